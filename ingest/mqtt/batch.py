"""A batch of MQTT messages decoded into the frames the store takes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

import pandas as pd

from core.columns import CODE, INDEX, METER_ID, QUALITY, SOURCE, TS, UNIT
from ingest.decoders import Decoded, DecodeOptions, Rejection
from ingest.decoders.common import raw_text
from ingest.mqtt.routing import Router
from ingest.rows import REJECT_COLUMNS
from store.events import EVENT_COLUMNS

MQTT_SOURCE = "mqtt"
READING_COLUMNS = [METER_ID, TS, INDEX, UNIT, QUALITY, SOURCE, "location", "raw"]


class Message(NamedTuple):
    """One received message, tagged with the connection it came on."""

    topic: str
    payload: bytes
    mid: int
    qos: int
    received_at: float  # epoch [s]
    generation: int  # connection count when received: acks only go back on the same one


@dataclass(frozen=True)
class BatchFrames:
    """Readings, rejects and meter events of a batch, ready for the store."""

    readings: pd.DataFrame
    rejects: pd.DataFrame
    events: pd.DataFrame


def decode_messages(
    messages: Sequence[Message], router: Router, options: DecodeOptions
) -> list[Decoded]:
    """Decode every message with its topic's decoder; unrouted topics are rejected."""
    decoded = []
    for message in messages:
        received_at = datetime.fromtimestamp(message.received_at, UTC)
        decoder = router.decoder(message.topic)
        if decoder is None:
            decoded.append(_unrouted(message))
        else:
            decoded.append(decoder(message.topic, message.payload, received_at, options))
    return decoded


def _unrouted(message: Message) -> Decoded:
    reason = f"no decoder is configured for topic {message.topic!r}; add it to the ingest topics"
    rejection = Rejection(message.topic, raw_text(message.payload), reason, "unknown_topic")
    return Decoded(rejections=(rejection,))


def batch_frames(decoded: Sequence[Decoded]) -> BatchFrames:
    """The frames of decoded messages."""
    readings = [r for d in decoded for r in d.readings]
    rejections = [r for d in decoded for r in d.rejections]
    events = [e for d in decoded for e in d.events]
    reading_frame = pd.DataFrame(
        {
            METER_ID: [r.meter_id for r in readings],
            TS: pd.DatetimeIndex([r.ts for r in readings], dtype="datetime64[us, UTC]"),
            INDEX: [r.index for r in readings],
            UNIT: [r.unit for r in readings],
            QUALITY: [r.quality for r in readings],
            SOURCE: MQTT_SOURCE,
            "location": [r.location for r in readings],
            "raw": [r.raw for r in readings],
        },
        columns=READING_COLUMNS,
    )
    reject_frame = pd.DataFrame(
        {
            "location": [r.location for r in rejections],
            "raw": [r.raw for r in rejections],
            "reason": [r.reason for r in rejections],
            "reason_code": [r.reason_code for r in rejections],
        },
        columns=REJECT_COLUMNS,
    )
    event_frame = pd.DataFrame(
        {
            METER_ID: [e.meter_id for e in events],
            TS: pd.DatetimeIndex([e.ts for e in events], dtype="datetime64[us, UTC]"),
            CODE: [e.code for e in events],
            "raw": [e.raw for e in events],
            SOURCE: MQTT_SOURCE,
        },
        columns=EVENT_COLUMNS,
    )
    return BatchFrames(reading_frame, reject_frame, event_frame)
