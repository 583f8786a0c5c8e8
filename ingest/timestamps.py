"""Timestamps of input rows: ISO 8601 or a given format; naive ones are local time."""

from __future__ import annotations

import pandas as pd

# An offset counts only after a time: the "-02" of a date-only "2026-02-02" is its day.
OFFSET_AT_END = r"[T ]\d\d(?::?\d\d){0,2}(?:[.,]\d+)?\s*(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"


def parse_timestamps(
    text: pd.Series, *, timezone: str, fmt: str | None = None, series: pd.Series | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse timestamps to UTC.

    Returns the UTC timestamps (NaT where they cannot be had) and, for those,
    a problem code: ``unparsable_timestamp``, ``ambiguous_local_time`` (the
    repeated hour of a DST change) or ``nonexistent_local_time`` (the skipped
    hour). With ``series`` (the meter of each row), a repeated hour is resolved
    where the rows of one meter show the clock going back: before, summer
    time; after, winter time.
    """
    text = text.str.strip()
    problem = pd.Series(None, index=text.index, dtype=object)
    if fmt is None:
        aware_mask = text.str.contains(OFFSET_AT_END, regex=True)
        aware = pd.to_datetime(text[aware_mask], format="ISO8601", utc=True, errors="coerce")
        naive = pd.to_datetime(text[~aware_mask], format="ISO8601", errors="coerce")
    else:
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
        none = pd.Series([], dtype="datetime64[us]")
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            aware, naive = parsed.dt.tz_convert("UTC"), none
        else:
            aware, naive = none.dt.tz_localize("UTC"), parsed
    unparsable = pd.concat([aware[aware.isna()], naive[naive.isna()]]).index
    problem[unparsable] = "unparsable_timestamp"
    localized = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="NaT")
    dst_gap = localized.isna() & naive.notna()
    if dst_gap.any():
        retry = naive[dst_gap].dt.tz_localize(timezone, ambiguous=True, nonexistent="NaT")
        problem[retry.index[retry.isna()]] = "nonexistent_local_time"
        ambiguous = naive[retry.index[retry.notna()]]
        summer = _summer_time_by_order(ambiguous, series)
        resolved = summer.notna()
        for is_summer in (True, False):
            rows = summer.index[resolved & (summer == is_summer)]
            localized[rows] = naive[rows].dt.tz_localize(timezone, ambiguous=is_summer)
        problem[summer.index[~resolved]] = "ambiguous_local_time"
    utc = pd.concat([_as_utc_us(aware), _as_utc_us(localized)])
    return utc.reindex(text.index), problem


def _as_utc_us(stamps: pd.Series) -> pd.Series:
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = pd.to_datetime(stamps).dt.tz_localize("UTC")
    return stamps.dt.tz_convert("UTC").astype("datetime64[us, UTC]")


def _summer_time_by_order(ambiguous: pd.Series, series: pd.Series | None) -> pd.Series:
    """For each ambiguous local time: True (summer), False (winter), or None when the order tells nothing.

    Within one meter's rows in file order, the clock goes back once: the rows
    before that step are the first pass of the hour (summer time).
    """
    verdict = pd.Series(None, index=ambiguous.index, dtype=object)
    if series is None:
        return verdict
    for _, times in ambiguous.groupby(series[ambiguous.index], sort=False):
        steps_back = (times.diff() <= pd.Timedelta(0)).to_numpy()
        if not steps_back.any():
            continue
        back_at = int(steps_back.argmax())
        verdict[times.index[:back_at]] = True
        verdict[times.index[back_at:]] = False
    return verdict
