"""Time windows of the API: parameters read as instants, local calendar periods, pages.

A curve's window selects the periods *starting* in ``[from, to)`` in the meter's local
calendar. A page holds at most ``PAGE_SPAN`` of its resolution; beyond it the answer
carries a cursor, the start of the next page.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from core import Resolution
from portal_bridge.problems import unprocessable

EARLIEST = pd.Timestamp("1990-01-01", tz="UTC")
LATEST = pd.Timestamp("2100-01-01", tz="UTC")
ONE = {
    Resolution.HOUR: pd.DateOffset(hours=1),
    Resolution.DAY: pd.DateOffset(days=1),
    Resolution.MONTH: pd.DateOffset(months=1),
    Resolution.YEAR: pd.DateOffset(years=1),
}
# Longest page of each resolution: a year of hours, six years of days, more for the rest.
PAGE_SPAN = {
    Resolution.HOUR: pd.DateOffset(days=366),
    Resolution.DAY: pd.DateOffset(years=6),
    Resolution.MONTH: pd.DateOffset(years=20),
    Resolution.YEAR: pd.DateOffset(years=100),
}
# Window without from: this much before the end.
DEFAULT_SPAN = {
    Resolution.HOUR: pd.DateOffset(days=7),
    Resolution.DAY: pd.DateOffset(days=366),
    Resolution.MONTH: pd.DateOffset(years=6),
    Resolution.YEAR: pd.DateOffset(years=10),
}
YEAR = pd.DateOffset(years=1)


def parse_instant(name: str, text: str, timezone: str) -> pd.Timestamp:
    """An ISO 8601 date or time [UTC]; without an offset it is local time in ``timezone``."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise unprocessable(
            name, f"{text[:40]!r} is not an ISO 8601 date or time such as 2026-03-01 or "
            "2026-03-01T10:00+01:00",
        ) from None  # fmt: skip
    ts = pd.Timestamp(parsed)
    if ts.tz is None:
        ts = ts.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
    ts = ts.tz_convert("UTC")
    if not EARLIEST <= ts < LATEST:
        raise unprocessable(name, f"{text[:40]!r} is outside 1990-2099")
    return ts


def period_floor(ts: pd.Timestamp, resolution: Resolution, timezone: str) -> pd.Timestamp:
    """The start of the local period holding ``ts`` [UTC]."""
    local = ts.tz_convert(timezone)
    if resolution == Resolution.HOUR:
        return ts.floor("h")
    naive = local.tz_localize(None).normalize()
    if resolution in (Resolution.MONTH, Resolution.YEAR):
        naive = naive.replace(day=1)
    if resolution == Resolution.YEAR:
        naive = naive.replace(month=1)
    return _local(naive, timezone)


def period_ceil(ts: pd.Timestamp, resolution: Resolution, timezone: str) -> pd.Timestamp:
    """The start of the first local period starting at or after ``ts`` [UTC]."""
    floor = period_floor(ts, resolution, timezone)
    return floor if floor == ts else shift(floor, ONE[resolution], timezone)


def shift(ts: pd.Timestamp, offset: pd.DateOffset, timezone: str, sign: int = 1) -> pd.Timestamp:
    """``ts`` moved by ``offset`` in the local calendar (a month later is the same local
    day and hour, whatever DST does in between) [UTC]."""
    naive = ts.tz_convert(timezone).tz_localize(None)
    moved = naive + offset if sign > 0 else naive - offset
    return _local(moved, timezone)


def _local(naive: pd.Timestamp, timezone: str) -> pd.Timestamp:
    return naive.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward").tz_convert(
        "UTC"
    )


@dataclass(frozen=True)
class Window:
    """One page of a curve: periods starting in ``[start, end)`` [UTC], and the next page."""

    start: pd.Timestamp
    end: pd.Timestamp
    next_start: pd.Timestamp | None
    resolution: Resolution
    timezone: str

    def previous_year(self) -> Window:
        """The same periods a year earlier, local calendar."""
        return Window(shift(self.start, YEAR, self.timezone, -1),
                      shift(self.end, YEAR, self.timezone, -1), None, self.resolution,
                      self.timezone)  # fmt: skip

    @property
    def cursor(self) -> str | None:
        """The opaque cursor of the next page."""
        if self.next_start is None:
            return None
        return base64.urlsafe_b64encode(self.next_start.isoformat().encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> pd.Timestamp:
    """The start a cursor stands for; 422 when it is not one the API gave."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        ts = pd.Timestamp(datetime.fromisoformat(text))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise unprocessable(
            "query.cursor", "not a cursor this API gave; start again without it"
        ) from None
    if ts.tz is None or not EARLIEST <= ts < LATEST:
        raise unprocessable("query.cursor", "not a cursor this API gave; start again without it")
    return ts.tz_convert("UTC")


def curve_window(
    resolution: Resolution, timezone: str, now: pd.Timestamp, *, start: str | None,
    end: str | None, cursor: str | None,
) -> Window:  # fmt: skip
    """The page asked for: periods starting in ``[from, to)``, at most a page's span."""
    hi = parse_instant("query.to", end, timezone) if end else shift(
        period_floor(now, resolution, timezone), ONE[resolution], timezone)  # fmt: skip
    if cursor:
        lo = read_cursor(cursor)
    elif start:
        lo = parse_instant("query.from", start, timezone)
    else:
        lo = shift(hi, DEFAULT_SPAN[resolution], timezone, -1)
    lo, hi = period_ceil(lo, resolution, timezone), period_ceil(hi, resolution, timezone)
    if lo >= hi:
        raise unprocessable("query.from", f"from must be before to: no {resolution} starts in"
                            f" [{lo.isoformat()}, {hi.isoformat()})")  # fmt: skip
    page_end = shift(lo, PAGE_SPAN[resolution], timezone)
    if page_end >= hi:
        return Window(lo, hi, None, resolution, timezone)
    page_end = period_ceil(page_end, resolution, timezone)
    return Window(lo, page_end, page_end, resolution, timezone)
