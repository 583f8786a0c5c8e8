"""Zero consumption: a meter that usually turns records nothing for days.

A stopped or blocked meter, or an empty home. A holiday week is shorter than
the default window, and a meter that never turned is not regular use.
"""

from __future__ import annotations

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, Severity
from detect.features import MeterSeries, meter_series
from detect.flows import runs


class ZeroConsumptionSettings(BaseModel):
    """Thresholds of the zero-consumption detector."""

    model_config = ConfigDict(frozen=True)

    min_days: int = Field(
        default=14, description="Days without consumption that raise an alert [d]"
    )
    zero_l: float = Field(
        default=0.5, description="Daily volume at or below which a day is empty [L]"
    )
    history_days: int = Field(
        default=28, description="History before the stop judged for regular use [d]"
    )
    history_min_known_days: int = Field(
        default=14, description="Known days needed in that history [d]"
    )
    regular_share: float = Field(
        default=0.5, description="Share of history days with use that is regular"
    )


def detect_zero_consumption(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    settings: ZeroConsumptionSettings | None = None,
    series: MeterSeries | None = None,
) -> list[Episode]:
    """Episodes of ``min_days`` or more days without consumption after regular use."""
    s = settings or ZeroConsumptionSettings()
    daily = meter_series(reads, meter, as_of, series).daily_l
    if daily.empty:
        return []
    # NaN (unknown) days are never empty
    empty_days = daily.to_numpy() <= s.zero_l
    if int(empty_days.sum()) < s.min_days:
        return []
    empty = pd.Series(empty_days, index=daily.index)
    episodes = []
    # local days: 23 to 25 hours apart around a DST change
    for first, last in runs(empty, pd.Timedelta(hours=26)):
        days = (last - first).days + 1
        before = daily[first - pd.Timedelta(days=s.history_days) : first - pd.Timedelta(days=1)]
        known = before.dropna()
        if days < s.min_days or known.size < s.history_min_known_days:
            continue
        if (known > s.zero_l).mean() < s.regular_share:
            continue
        end = None if last == daily.index[-1] else last + pd.Timedelta(days=1)
        episodes.append(_episode(first, end, days, float(known.median()), meter, s))
    return episodes


def _episode(
    first: pd.Timestamp,
    end: pd.Timestamp | None,
    days: int,
    usual_l: float,
    meter: Meter,
    s: ZeroConsumptionSettings,
) -> Episode:
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.ZERO_CONSUMPTION,
        severity=Severity.WARNING,
        start=first,
        end=end,
        confirmed_at=first + pd.Timedelta(days=s.min_days),
        evidence={"days": days, "usual_daily_l": round(usual_l, 1)},
    )
