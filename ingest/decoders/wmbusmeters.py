"""wmbusmeters JSON: one telegram of one wireless M-Bus meter, as the gateway publishes it.

Source fields map to records here and only here: ``id`` -> meter id, ``total_m3``
(or another ``INDEX_FIELDS`` entry) -> index, ``timestamp`` (or
``meter_datetime``) -> time, ``media`` -> kind, alarm fields -> meter events.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from core import MeterKind, Quality
from ingest.decoders.common import (
    DEFAULT_OPTIONS,
    DecodeOptions,
    check_meter_id,
    check_size,
    load_json,
    parse_index,
    parse_timestamp,
    raw_text,
    reject,
    rejection,
    require,
)
from ingest.decoders.exceptions import DecodeError
from ingest.decoders.records import Decoded, MeterEvent, Reading

# Register fields in order of preference, with their unit.
INDEX_FIELDS: tuple[tuple[str, str], ...] = (
    ("total_m3", "m3"),
    ("total_volume_m3", "m3"),
    ("total_l", "L"),
    ("total_kwh", "kWh"),
    ("total_energy_consumption_kwh", "kWh"),
    ("total_wh", "Wh"),
)
MEDIA_KINDS: dict[str, str] = {
    "water": MeterKind.WATER,
    "cold water": MeterKind.WATER,
    "warm water": MeterKind.WATER,
    "hot water": MeterKind.WATER,
    "gas": MeterKind.GAS,
    "electricity": MeterKind.ELECTRICITY,
}
STATUS_FIELDS = ("status", "current_status", "current_alarms")
DURATION_FIELDS = {
    "time_leaking": "LEAK",
    "time_bursting": "BURST",
    "time_dry": "DRY",
    "time_reversed": "REVERSE",
}
# Spellings of one alarm across drivers, mapped to one code for the detectors.
CODE_ALIASES = {
    "LEAKAGE": "LEAK",
    "BURSTING": "BURST",
    "REVERSED": "REVERSE",
    "BACK_FLOW": "REVERSE",
}
NO_ALARM = frozenset({"", "OK", "NO", "NONE", "NULL", "NO_ALARM", "0", "FALSE", "0_HOURS"})
_TOKEN_SPLIT = re.compile(r"[\s,;|]+")


def parse_wmbusmeters(
    topic: str, payload: bytes, received_at: datetime, options: DecodeOptions = DEFAULT_OPTIONS
) -> Decoded:
    """The reading and meter events of one wmbusmeters message; bad ones become rejections.

    ``received_at`` is when the message arrived (tz-aware); it bounds future timestamps.
    """
    raw = ""
    try:
        check_size(topic, payload, options)
        document = load_json(topic, payload)
        raw = raw_text(payload)
        if not isinstance(document, dict):
            raise DecodeError(
                "wrong_type",
                f"payload on {topic} is a JSON {type(document).__name__}, not an object",
            )
        meter_id = check_meter_id(require(document, "id", f"payload on {topic}"), f"id on {topic}")
        ts = _timestamp(document, topic, received_at, options)
        kind = _kind(document.get("media"))
    except DecodeError as error:
        return reject(topic, payload, error, options)
    events = tuple(
        MeterEvent(meter_id, ts, code, text, topic) for code, text in parse_alarms(document).items()
    )
    try:
        reading = _reading(document, meter_id, ts, kind, topic, raw)
    except DecodeError as error:
        if options.strict or not events:
            return reject(topic, payload, error, options)
        return Decoded(events=events, rejections=(rejection(topic, raw, error),))
    return Decoded(readings=(reading,) if reading else (), events=events)


def _timestamp(
    document: dict[str, Any], topic: str, received_at: datetime, options: DecodeOptions
) -> datetime:
    for field in ("timestamp", "meter_datetime"):
        if document.get(field) is not None:
            return parse_timestamp(document[field], field, received_at, options)
    raise DecodeError(
        "missing_field", f"payload on {topic} has neither 'timestamp' nor 'meter_datetime'"
    )


def _kind(media: object) -> str | None:
    if media is None:
        return None
    kind = MEDIA_KINDS.get(str(media).strip().lower())
    if kind is None:
        raise DecodeError(
            "unknown_media",
            f"media {str(media)[:40]!r} is not a kind Relevé stores "
            "(water, cold/warm/hot water, gas, electricity)",
        )
    return kind


def _reading(
    document: dict[str, Any], meter_id: str, ts: datetime, kind: str | None, topic: str, raw: str
) -> Reading | None:
    """The register reading, None for an alarm-only message that carries events."""
    for field, unit in INDEX_FIELDS:
        if document.get(field) is not None:
            index = parse_index(document[field], field)
            return Reading(meter_id, ts, index, unit, Quality.ACTUAL, kind, topic, raw)
    if any(code for code in parse_alarms(document)):
        return None
    names = ", ".join(field for field, _ in INDEX_FIELDS)
    raise DecodeError(
        "missing_field", f"payload on {topic} has no index field ({names}) and no alarm"
    )


def parse_alarms(document: dict[str, Any]) -> dict[str, str]:
    """Alarm codes of a message, each with the raw fields that raised it.

    ``status`` and friends hold space-separated flags (``"LEAK DRY"``); the
    ``time_*`` fields hold a duration (``"22-31 days"``) that is an alarm
    unless it says none.
    """
    found: dict[str, list[str]] = {}
    for field in STATUS_FIELDS:
        value = document.get(field)
        if value is None:
            continue
        for token in _TOKEN_SPLIT.split(str(value).strip()):
            code = token.upper()
            if code not in NO_ALARM:
                found.setdefault(CODE_ALIASES.get(code, code), []).append(f"{field}={value}")
    for field, code in DURATION_FIELDS.items():
        value = document.get(field)
        if value is not None and str(value).strip().upper().replace(" ", "_") not in NO_ALARM:
            found.setdefault(code, []).append(f"{field}={value}")
    return {code: "; ".join(dict.fromkeys(texts)) for code, texts in found.items()}
