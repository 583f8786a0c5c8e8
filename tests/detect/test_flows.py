"""Array helpers of detect.flows against the pandas operations they stand for."""

import numpy as np
import pandas as pd
import pytest

from detect.flows import (
    daily_volumes,
    rolling_min,
    rolling_sum,
    run_bounds,
    runs,
    window_starts,
)

HOUR = 3_600_000_000_000


@pytest.mark.parametrize("seed", range(20))
def test_rolling_min_and_sum_match_pandas(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    t = np.cumsum(rng.integers(1, 5, n)) * HOUR
    values = rng.random(n)
    values[rng.random(n) < 0.2] = np.nan
    width, min_count = int(rng.integers(1, 50)) * HOUR, int(rng.integers(1, 6))
    series = pd.Series(values, index=pd.DatetimeIndex(t))
    starts = window_starts(t, width)
    expected = series.rolling(pd.Timedelta(width), min_periods=min_count).min().to_numpy()
    assert np.array_equal(rolling_min(values, starts, min_count), expected, equal_nan=True)
    filled = series.fillna(0.0)
    expected = filled.rolling(pd.Timedelta(width)).sum().to_numpy()
    assert rolling_sum(filled.to_numpy(), starts) == pytest.approx(expected)


def test_runs_merge_across_short_gaps_only():
    t = np.array([0, 1, 2, 3, 7, 8, 20]) * HOUR
    mask = np.array([True, True, False, True, True, False, True])
    assert run_bounds(t, mask, 4 * HOUR) == [(0, 4), (6, 6)]
    assert run_bounds(t, mask, 1 * HOUR) == [(0, 1), (3, 3), (4, 4), (6, 6)]
    assert run_bounds(t, np.zeros(7, dtype=bool), HOUR) == []
    series = pd.Series(mask, index=pd.DatetimeIndex(t, tz="UTC"))
    first, last = runs(series, pd.Timedelta(hours=4))[0]
    assert (first, last) == (series.index[0], series.index[4])


@pytest.mark.parametrize(("day", "hours"), [("2026-03-29", 23), ("2026-10-25", 25)])
def test_daily_volumes_follow_local_days_across_a_clock_change(day, hours):
    ts = pd.date_range("2026-03-20", "2026-11-01", freq="h", tz="UTC")
    register = pd.Series(np.arange(ts.size, dtype=float), index=ts)  # 1 L every hour
    daily = daily_volumes(register, "Europe/Paris", max_gap_h=48.0)
    local_days = daily.index.tz_convert("Europe/Paris")
    assert (local_days.hour == 0).all()
    assert daily[local_days == pd.Timestamp(day, tz="Europe/Paris")].iloc[0] == hours
    assert np.isnan(daily.iloc[0])  # the first day began before the first read
    assert daily.iloc[1:].isin([23.0, 24.0, 25.0]).all()
