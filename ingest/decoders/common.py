"""Checks shared by the decoders: size, JSON, meter id, timestamp, index and unit."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from core import DEFAULT_TIMEZONE, METER_ID_PATTERN
from ingest.decoders.exceptions import DecodeError
from ingest.decoders.records import Decoded, Rejection
from ingest.units import normalize_unit

METER_ID_RE = re.compile(METER_ID_PATTERN)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
RAW_LIMIT = 4096  # characters of a payload kept in quarantine [chars]


@dataclass(frozen=True)
class DecodeOptions:
    """How lenient the decoders are and how they read local times."""

    timezone: str = DEFAULT_TIMEZONE  # zone of timestamps given without an offset
    max_payload_bytes: int = 256 * 1024  # larger payloads are quarantined [bytes]
    max_future: timedelta = timedelta(days=1)  # allowed lead over the received time
    strict: bool = False  # raise DecodeError instead of returning rejections


DEFAULT_OPTIONS = DecodeOptions()


@lru_cache(maxsize=32)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def raw_text(payload: bytes) -> str:
    """The payload as text for quarantine, truncated when huge."""
    text = payload[: RAW_LIMIT * 4].decode("utf-8", "replace")
    if len(payload) > RAW_LIMIT or len(text) > RAW_LIMIT:
        return text[:RAW_LIMIT] + f"...[truncated, {len(payload)} bytes in all]"
    return text


def reject(location: str, payload: bytes, error: DecodeError, options: DecodeOptions) -> Decoded:
    """A message rejected as a whole (or raise in strict mode)."""
    if options.strict:
        raise error
    return Decoded(rejections=(rejection(location, raw_text(payload), error),))


def rejection(location: str, raw: str, error: DecodeError) -> Rejection:
    """The rejection record of one item."""
    return Rejection(location=location, raw=raw, reason=error.reason, reason_code=error.reason_code)


def check_size(topic: str, payload: bytes, options: DecodeOptions) -> None:
    """Refuse payloads larger than the limit before parsing them."""
    if len(payload) > options.max_payload_bytes:
        raise DecodeError(
            "payload_too_large",
            f"payload on {topic} is {len(payload)} bytes, over the {options.max_payload_bytes} "
            "bytes limit; split it into several messages",
        )


def load_json(topic: str, payload: bytes) -> Any:
    """The decoded JSON document of a payload."""
    try:
        return json.loads(payload)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and UnicodeDecodeError.
        raise DecodeError(
            "not_json", f"payload on {topic} is not valid UTF-8 JSON ({exc}); publish JSON"
        ) from None


def check_meter_id(value: object, where: str) -> str:
    """A valid meter id: 1-64 characters of [A-Za-z0-9._:-]."""
    if not isinstance(value, str) or not METER_ID_RE.fullmatch(value):
        raise DecodeError(
            "bad_meter_id",
            f"{where} gives meter id {str(value)[:80]!r}; a meter id is 1-64 characters "
            "of letters, digits and . _ : -",
        )
    return value


def require(item: dict[str, Any], name: str, what: str) -> Any:
    """The value of a required field."""
    if name not in item or item[name] is None:
        raise DecodeError("missing_field", f"{what} has no {name!r} field; add it")
    return item[name]


def parse_timestamp(
    value: object, field: str, received_at: datetime, options: DecodeOptions
) -> datetime:
    """A timestamp (ISO 8601 text or epoch seconds) as tz-aware UTC, within bounds.

    Text without an offset is local time in ``options.timezone``.
    """
    if isinstance(value, str):
        try:
            ts = datetime.fromisoformat(value.strip())
            if ts.tzinfo is None:
                ts = ts.replace(tzinfo=_zone(options.timezone))
            ts = ts.astimezone(UTC)
        except (ValueError, OverflowError):
            raise DecodeError(
                "bad_timestamp", f"{field} {value[:80]!r} is not an ISO 8601 timestamp"
            ) from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value) or not 0 <= value < 1e11:
            raise DecodeError(
                "bad_timestamp", f"{field} {value!r} is not epoch seconds; give ISO 8601 text"
            )
        ts = datetime.fromtimestamp(value, UTC)
    else:
        raise DecodeError(
            "wrong_type", f"{field} is {type(value).__name__}, not an ISO 8601 string"
        )
    return check_time_bounds(ts, field, received_at, options)


def check_time_bounds(
    ts: datetime, field: str, received_at: datetime, options: DecodeOptions
) -> datetime:
    """Refuse times before 2000 or more than ``max_future`` after reception."""
    if ts < EARLIEST:
        raise DecodeError(
            "timestamp_before_2000",
            f"{field} {ts.isoformat()} is before 2000; check the meter clock",
        )
    if ts > received_at + options.max_future:
        raise DecodeError(
            "future_timestamp",
            f"{field} {ts.isoformat()} is more than {options.max_future} after its reception "
            f"at {received_at.isoformat()}; check the meter or gateway clock",
        )
    return ts


def parse_index(value: object, field: str) -> float:
    """A finite, non-negative register value."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DecodeError(
            "wrong_type", f"{field} is {type(value).__name__}, not a number; send a JSON number"
        )
    try:
        index = float(value)
    except OverflowError:
        index = math.inf
    if not math.isfinite(index):
        raise DecodeError("non_finite_index", f"{field} is {value!r}, not a finite number")
    if index < 0:
        raise DecodeError(
            "negative_index", f"{field} is {index}; a register index cannot be negative"
        )
    return index


def parse_unit(value: object, field: str) -> str:
    """The canonical spelling of a unit (m3, L, kWh, Wh)."""
    if not isinstance(value, str):
        raise DecodeError("wrong_type", f"{field} is {type(value).__name__}, not a unit string")
    unit = normalize_unit(value)
    if unit is None:
        raise DecodeError("unknown_unit", f"{field} {value[:40]!r} is not one of m3, L, kWh, Wh")
    return unit
