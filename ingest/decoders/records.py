"""Typed records a decoder makes of one MQTT message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Reading:
    """One index reading of one meter.

    ``index`` is the cumulative register [unit]; ``ts`` is tz-aware UTC;
    ``kind`` is the meter kind when the payload tells it (wmbusmeters ``media``).
    """

    meter_id: str
    ts: datetime
    index: float
    unit: str
    quality: str
    kind: str | None
    location: str
    raw: str


@dataclass(frozen=True, slots=True)
class MeterEvent:
    """A meter-side alarm or state (LEAK, BURST, DRY, ...) at a time (tz-aware UTC)."""

    meter_id: str
    ts: datetime
    code: str
    raw: str
    location: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """An item that cannot be stored, with a sentence a person can act on."""

    location: str
    raw: str
    reason: str
    reason_code: str


@dataclass(frozen=True, slots=True)
class Decoded:
    """Everything one message gave: readings, meter events and rejected items."""

    readings: tuple[Reading, ...] = ()
    events: tuple[MeterEvent, ...] = ()
    rejections: tuple[Rejection, ...] = ()
