"""Consumption profiles: the meter's own like-day profile and the shipped seasonal ones.

The seasonal profiles live in ``estimate/profiles/<kind>.csv`` (``month``,
``hour``, ``weight``; relative weights, any scale): gas is heating-dominated,
water is flat. They shape gaps when a meter has no history of its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

PROFILE_DIR = Path(__file__).parent / "profiles"
HOURS_PER_WEEK = 168


@lru_cache(maxsize=8)
def read_seasonal_profile(kind: str) -> np.ndarray:
    """Seasonal weights for ``kind`` as a (12, 24) array [month-1, local hour].

    Kinds without a shipped profile (electricity) get the flat water one.
    """
    path = PROFILE_DIR / f"{kind}.csv"
    if not path.is_file():
        path = PROFILE_DIR / "water.csv"
    frame = pd.read_csv(path)
    table = np.ones((12, 24))
    table[frame["month"].to_numpy() - 1, frame["hour"].to_numpy()] = frame["weight"].to_numpy()
    table.setflags(write=False)
    return table


@dataclass(frozen=True)
class LocalCalendar:
    """Local calendar of each hour of a UTC hourly grid.

    week_hour : weekday * 24 + hour, local [0-167].
    hour : local hour [0-23].
    month : local month [1-12].
    day : local calendar day number (days since epoch of the local date).
    """

    week_hour: np.ndarray
    hour: np.ndarray
    month: np.ndarray
    day: np.ndarray


@lru_cache(maxsize=64)
def local_calendar(start_ns: int, hours: int, timezone: str) -> LocalCalendar:
    """The local calendar of ``hours`` hourly intervals from ``start_ns`` [ns UTC]."""
    grid = pd.DatetimeIndex(start_ns + np.arange(hours, dtype=np.int64) * 3_600_000_000_000)
    local = grid.tz_localize("UTC").tz_convert(timezone)
    hour = local.hour.to_numpy()
    week_hour = local.day_of_week.to_numpy() * 24 + hour
    day = local.tz_localize(None).normalize().asi8 // 86_400_000_000_000
    return LocalCalendar(week_hour, hour, local.month.to_numpy(), day)


def seasonal_weights(calendar: LocalCalendar, kind: str) -> np.ndarray:
    """Seasonal weight of every hour of the grid."""
    return read_seasonal_profile(kind)[calendar.month - 1, calendar.hour]


def like_day_profile(
    volume: np.ndarray,
    usable: np.ndarray,
    calendar: LocalCalendar,
    *,
    shrink: float,
    clip_quantile: float = 1.0,
    recency: np.ndarray | None = None,
) -> np.ndarray:
    """Average volume per hour of the week [meter unit/h] from the usable hours.

    Hours above the ``clip_quantile`` of the history are clipped to it, so
    that one exceptional hour (a garden watered) does not shape every gap.
    Each weekday-and-hour cell is shrunk towards the same hour's all-days
    average (``shrink`` 0-1), and cells never observed take that average: a
    few weeks give only a handful of samples per cell. ``recency`` weighs
    each hour of the grid (days close to a gap resemble it more).
    """
    keys = calendar.week_hour[usable]
    values = volume[usable]
    if clip_quantile < 1.0 and values.size:
        values = np.minimum(values, np.quantile(values, clip_quantile))
    weight = np.ones(values.size) if recency is None else recency[usable]
    sums = np.bincount(keys, weights=values * weight, minlength=HOURS_PER_WEEK)
    counts = np.bincount(keys, weights=weight, minlength=HOURS_PER_WEEK)
    hour_sums = sums.reshape(7, 24).sum(axis=0)
    hour_counts = counts.reshape(7, 24).sum(axis=0)
    overall = float(np.average(values, weights=weight)) if weight.sum() > 0 else 0.0
    by_hour = np.where(hour_counts > 0, hour_sums / np.maximum(hour_counts, 1), overall)
    by_week_hour = np.where(counts > 0, sums / np.maximum(counts, 1), np.tile(by_hour, 7))
    profile = (1 - shrink) * by_week_hour + shrink * np.tile(by_hour, 7)
    return np.clip(profile, 0.0, None)
