"""Timestamps of input rows: ISO 8601 or a given format; naive ones are local time."""

from __future__ import annotations

import pandas as pd

OFFSET_AT_END = r"(?:[Zz]|[+-]\d\d(?::?\d\d)?)$"


def parse_timestamps(
    text: pd.Series, *, timezone: str, fmt: str | None = None
) -> tuple[pd.Series, pd.Series]:
    """Parse timestamps to UTC.

    Returns the UTC timestamps (NaT where they cannot be had) and, for those,
    a problem code: ``unparsable_timestamp``, ``ambiguous_local_time`` (the
    repeated hour of a DST change) or ``nonexistent_local_time`` (the skipped
    hour).
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
        problem[retry.index[retry.notna()]] = "ambiguous_local_time"
        problem[retry.index[retry.isna()]] = "nonexistent_local_time"
    utc = pd.concat([_as_utc_us(aware), _as_utc_us(localized)])
    return utc.reindex(text.index), problem


def _as_utc_us(stamps: pd.Series) -> pd.Series:
    if not isinstance(stamps.dtype, pd.DatetimeTZDtype):
        stamps = pd.to_datetime(stamps).dt.tz_localize("UTC")
    return stamps.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
