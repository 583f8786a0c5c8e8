"""Relevé JSON: ``{"timestamp", "index", "unit"[, "quality"]}`` or an array of them.

The meter id comes from the topic, ``meters/{meter_id}/readings``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from core import READ_QUALITIES, Quality
from ingest.decoders.common import (
    DEFAULT_OPTIONS,
    DecodeOptions,
    check_meter_id,
    check_size,
    load_json,
    parse_index,
    parse_timestamp,
    parse_unit,
    raw_text,
    reject,
    rejection,
    require,
)
from ingest.decoders.exceptions import DecodeError
from ingest.decoders.records import Decoded, Reading, Rejection


def parse_releve_json(
    topic: str, payload: bytes, received_at: datetime, options: DecodeOptions = DEFAULT_OPTIONS
) -> Decoded:
    """Readings of one Relevé JSON message; bad items become rejections.

    ``received_at`` is when the message arrived (tz-aware); it bounds future timestamps.
    """
    try:
        check_size(topic, payload, options)
        meter_id = meter_id_from_topic(topic)
        document = load_json(topic, payload)
    except DecodeError as error:
        return reject(topic, payload, error, options)
    if isinstance(document, list):
        return _parse_items(topic, meter_id, document, received_at, options)
    try:
        reading = parse_item(document, meter_id, topic, raw_text(payload), received_at, options)
    except DecodeError as error:
        return reject(topic, payload, error, options)
    return Decoded(readings=(reading,))


def meter_id_from_topic(topic: str) -> str:
    """The meter id of ``.../{meter_id}/readings``."""
    parts = topic.split("/")
    if len(parts) < 3 or parts[-1] != "readings" or not parts[-2]:
        raise DecodeError(
            "no_meter_in_topic",
            f"topic {topic!r} names no meter; publish Relevé JSON to meters/<meter_id>/readings",
        )
    return check_meter_id(parts[-2], f"topic {topic!r}")


def _parse_items(
    topic: str, meter_id: str, items: list[Any], received_at: datetime, options: DecodeOptions
) -> Decoded:
    if not items:
        error = DecodeError("empty_payload", f"payload on {topic} is an empty array; send readings")
        return reject(topic, json.dumps(items).encode(), error, options)
    readings: list[Reading] = []
    rejections: list[Rejection] = []
    for i, item in enumerate(items):
        location = f"{topic}[{i}]"
        raw = raw_text(json.dumps(item).encode())
        try:
            readings.append(parse_item(item, meter_id, location, raw, received_at, options))
        except DecodeError as error:
            if options.strict:
                raise
            rejections.append(rejection(location, raw, error))
    return Decoded(readings=tuple(readings), rejections=tuple(rejections))


def parse_item(
    item: Any, meter_id: str, location: str, raw: str, received_at: datetime, options: DecodeOptions
) -> Reading:
    """One reading object; raises :class:`DecodeError` when it is not valid."""
    if not isinstance(item, dict):
        raise DecodeError(
            "wrong_type",
            f"{location} is a JSON {type(item).__name__}; send an object "
            '{"timestamp": ..., "index": ..., "unit": ...}',
        )
    what = f"reading at {location}"
    ts = parse_timestamp(require(item, "timestamp", what), "timestamp", received_at, options)
    index = parse_index(require(item, "index", what), "index")
    unit = parse_unit(require(item, "unit", what), "unit")
    quality = item.get("quality", Quality.ACTUAL)
    if quality not in READ_QUALITIES:
        raise DecodeError(
            "bad_quality",
            f"quality {str(quality)[:40]!r} is not one of {', '.join(READ_QUALITIES)}",
        )
    return Reading(meter_id, ts, index, unit, quality, None, location, raw)
