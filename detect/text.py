"""Words for evidence sentences a customer reads."""

from __future__ import annotations

import pandas as pd

from core import Meter, MeterKind


def local_time(ts: pd.Timestamp, meter: Meter) -> str:
    """A timestamp in the meter's local time, e.g. ``03 Mar 2026 14:00``."""
    return ts.tz_convert(meter.timezone).strftime("%d %b %Y %H:%M")


def local_day(ts: pd.Timestamp, meter: Meter) -> str:
    """A day in the meter's local time, e.g. ``03 Mar 2026``."""
    return ts.tz_convert(meter.timezone).strftime("%d %b %Y")


def substance(meter: Meter) -> str:
    """``Water`` or ``Gas``."""
    return "Gas" if meter.kind == MeterKind.GAS else "Water"


def in_euros(cost_eur: float | None) -> str:
    """`` (12.34 EUR)``, or nothing when the cost is unknown (no tariff)."""
    return "" if cost_eur is None else f" ({cost_eur:.2f} EUR)"
