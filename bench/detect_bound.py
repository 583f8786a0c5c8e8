"""What coarse reads allow, for bench/detect_eval.py: the hindsight bound and the
time to detect of an incremental run.

Hindsight bound. For each labelled leak, the best a detector could do at the same
false-alert budget if it knew when the leak began: a one-sided test of the
volumes after the known start against the home's own distribution before it.
The register is taken at the utility's nominal read times (06:00 and 18:00, or
06:00, local; linear between the reads, so a missed read costs nothing); for
``k`` = 1, 2, ... intervals after the start, up to the deadline, the sum of the
``k`` volumes is set against the sums of ``k`` intervals that began at the same
time of day over the ``BOUND_HISTORY_DAYS`` before: its excess over their median
in units of their spread (interquartile range / 1.349, at least one register
step). The test fires at the first ``k`` whose excess passes ``threshold``. The
threshold is the lowest that gives at most ``BOUND_BUDGET`` false alerts per 100
meter-months on the homes without injections, where every interval is tried as
a start and the firings of starts closer than the deadline are one alert.

Time to detect. ``detect`` run after each read, as the scheduler runs it: for
each leak, reads (and meter events) up to each read time from the leak's start
to the deadline are validated and detected with ``as_of`` just after that read;
the delay is from the start to the first read whose run opens an alert that
finds the label (bench/detect_eval.py's ``detects``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

BOUND_HISTORY_DAYS = 56  # the home's own distribution before a start [d]
BOUND_MIN_DAYS = 21  # no test before this much history [d]
BOUND_BUDGET = 1.0  # false alerts per 100 meter-months on clean homes
THRESHOLDS = tuple(np.round(np.arange(1.0, 30.01, 0.25), 2))


def nominal_volumes(register: pd.Series, hours: tuple[int, ...], tz: str) -> pd.Series:
    """Volumes [L] between the nominal read times of a register [L], indexed by
    the interval's start; the register is linear between its reads."""
    local = register.index.tz_convert(tz)
    days = pd.date_range(local[0].normalize(), local[-1].normalize(), freq="D")
    grid = pd.DatetimeIndex([d + pd.Timedelta(hours=h) for d in days for h in hours])
    grid = grid.tz_convert("UTC")
    grid = grid[(grid >= register.index[0]) & (grid <= register.index[-1])]
    t = register.index.as_unit("ns").asi8.astype(float)
    values = np.interp(grid.as_unit("ns").asi8.astype(float), t, register.to_numpy(float))
    return pd.Series(np.diff(values), index=grid[:-1])


def excess(volumes: np.ndarray, per_day: int, horizon: int, step_l: float) -> np.ndarray:
    """Excess [spreads] of the sum of k intervals from each start i over the sums
    of k intervals that began at the same time of day in the history before i:
    array [i, k - 1], NaN where the history is short."""
    n = volumes.size
    window = BOUND_HISTORY_DAYS
    out = np.full((n, horizon), np.nan)
    csum = np.concatenate([[0.0], np.cumsum(volumes)])
    for k in range(1, horizon + 1):
        sums = np.full(n, np.nan)
        sums[: n - k + 1] = csum[k:] - csum[: n - k + 1]
        for phase in range(per_day):
            sub = pd.Series(sums[phase::per_day])
            roll = sub.rolling(window, min_periods=BOUND_MIN_DAYS)
            med, q1, q3 = roll.median(), roll.quantile(0.25), roll.quantile(0.75)
            spread = np.maximum((q3 - q1).to_numpy() / 1.349, step_l)
            starts = np.arange(phase, n, per_day)
            # the history of start i ends with the last sum that closes before i
            last = (starts - k - phase) // per_day
            ok = last >= 0
            z = np.full(starts.size, np.nan)
            z[ok] = (sub.to_numpy()[ok] - med.to_numpy()[last[ok]]) / spread[last[ok]]
            out[starts, k - 1] = z
    return out


def first_firing(z: np.ndarray, threshold: float) -> np.ndarray:
    """Per start, the first k (1-based) whose excess passes ``threshold``; 0 if none."""
    fired = np.nan_to_num(z, nan=-np.inf) > threshold
    first = fired.argmax(axis=1) + 1
    return np.where(fired.any(axis=1), first, 0)


def false_alerts_per_100_months(clean: list[np.ndarray], months: float, threshold: float,
                                horizon: int) -> float:  # fmt: skip
    """Alerts of the known-start test on clean homes, every interval tried as a
    start; firing starts closer than ``horizon`` intervals are one alert."""
    count = 0
    for z in clean:
        starts = np.flatnonzero(first_firing(z, threshold) > 0)
        if starts.size:
            count += 1 + int(np.count_nonzero(np.diff(starts) >= horizon))
    return 100.0 * count / months if months else math.nan


def calibrate(clean: list[np.ndarray], months: float, horizon: int) -> tuple[float, float]:
    """The lowest threshold within ``BOUND_BUDGET``, and its false alerts."""
    for threshold in THRESHOLDS:
        rate = false_alerts_per_100_months(clean, months, threshold, horizon)
        if rate <= BOUND_BUDGET:
            return float(threshold), rate
    return float(THRESHOLDS[-1]), rate
