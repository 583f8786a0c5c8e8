"""Flows from validated reads."""

import numpy as np
import pandas as pd
import pytest

from detect.flows import binned_flows

T0 = pd.Timestamp("2026-01-05", tz="UTC")


def register(hours: list[float], litres: list[float]) -> pd.Series:
    index = pd.DatetimeIndex([T0 + pd.Timedelta(hours=h) for h in hours])
    return pd.Series(np.cumsum(litres), index=index, dtype=float)


@pytest.mark.parametrize(
    ("hours", "litres", "block_h", "expected"),
    [
        pytest.param([0, 1, 2, 3], [0, 4, 6, 8], 1.0, [4, 6, 8], id="one_read_per_block"),
        pytest.param([0, 0.5, 1, 2], [0, 1, 3, 10], 1.0, [4, 10], id="two_reads_in_a_block"),
        pytest.param([0, 1, 3], [0, 2, 12], 1.0, [2, 6, 6], id="empty_block_takes_the_next"),
        pytest.param([0, 1, 9, 10], [0, 2, 40, 3], 1.0, [2] + [np.nan] * 8 + [3], id="silence"),
        pytest.param([0, 1, 2, 3, 4], [0, 1, 2, 3, 4], 2.0, [1.5, 3.5], id="blocks"),
    ],
)
def test_binned_flows(hours, litres, block_h, expected):
    flows = binned_flows(register(hours, litres), block_h, max_gap_h=4.0)
    assert flows.to_numpy() == pytest.approx(np.array(expected, dtype=float), nan_ok=True)
    assert flows.index[0] == T0 + pd.Timedelta(hours=block_h)
    assert (np.diff(flows.index.asi8) == pd.Timedelta(hours=block_h).value).all()
