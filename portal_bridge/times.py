"""Instants as the API writes them: with the offset of the meter's or account's zone."""

from __future__ import annotations

from datetime import datetime

import pandas as pd


def local(ts: pd.Timestamp | None, timezone: str) -> datetime | None:
    """``ts`` in ``timezone``, None for a missing one."""
    if ts is None or pd.isna(ts):
        return None
    return pd.Timestamp(ts).tz_convert(timezone).to_pydatetime()


def required_local(ts: pd.Timestamp, timezone: str) -> datetime:
    """``ts`` in ``timezone``."""
    return pd.Timestamp(ts).tz_convert(timezone).to_pydatetime()
