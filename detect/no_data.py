"""No data: a meter silent for longer than its usual cadence allows.

Reported to operations (communication loss), not to the customer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, Severity
from core.columns import TS
from detect.flows import NS_PER_HOUR


class NoDataSettings(BaseModel):
    """Thresholds of the no-data detector."""

    model_config = ConfigDict(frozen=True)

    expected_intervals: float = Field(default=3.0, description="Missed reads that make a silence")
    min_silence_h: float = Field(default=48.0, description="Shortest silence reported [h]")
    critical_silence_h: float = Field(default=24.0 * 14, description="Silence that is critical [h]")


def detect_no_data(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    settings: NoDataSettings | None = None,
) -> list[Episode]:
    """Silences between reads, and the one going on at ``as_of``."""
    s = settings or NoDataSettings()
    ts = _read_times(reads, as_of)
    if ts.size < 2:
        return []
    t = ts.as_unit("ns").asi8
    cadence_h = float(np.median(np.diff(t)) / NS_PER_HOUR)
    limit = pd.Timedelta(hours=max(s.expected_intervals * cadence_h, s.min_silence_h))
    ends = np.append(t[1:], pd.Timestamp(as_of).as_unit("ns").value)
    silent = np.flatnonzero(ends - t > limit.value)
    episodes = []
    for k in silent:
        end = None if k == ts.size - 1 else ts[k + 1]
        episodes.append(_episode(ts[k], end, as_of, cadence_h, limit, meter, s))
    return episodes


def _read_times(reads: pd.DataFrame, as_of: pd.Timestamp) -> pd.DatetimeIndex:
    """Times of every read received, glitches included: they prove the link works."""
    ts = pd.DatetimeIndex(reads[TS] if TS in reads.columns else reads.index)
    stop = pd.Timestamp(as_of)
    if ts.tz is not None and stop.tz is not None and not ts.hasnans:
        t = ts.as_unit("ns").asi8
        if (np.diff(t) > 0).all():
            # already sorted and unique, as validated reads are: a slice of them
            end = np.searchsorted(t, stop.as_unit("ns").value, side="right")
            return ts[:end].tz_convert("UTC")
    return ts[ts <= as_of].unique().sort_values().tz_convert("UTC")


def _episode(
    start: pd.Timestamp,
    end: pd.Timestamp | None,
    as_of: pd.Timestamp,
    cadence_h: float,
    limit: pd.Timedelta,
    meter: Meter,
    s: NoDataSettings,
) -> Episode:
    silence_h = ((end or as_of) - start) / pd.Timedelta(hours=1)
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.NO_DATA,
        severity=Severity.CRITICAL if silence_h >= s.critical_silence_h else Severity.INFO,
        start=start,
        end=end,
        confirmed_at=start + limit,
        evidence={
            "silence_h": round(silence_h, 1),
            "usual_interval_h": round(cadence_h, 2),
        },
    )
