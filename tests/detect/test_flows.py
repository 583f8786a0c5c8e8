"""Array helpers of detect.flows against the pandas operations they stand for."""

import numpy as np
import pandas as pd
import pytest

from detect.flows import rolling_min, rolling_sum, run_bounds, runs, window_starts

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
