"""Validation of index series: order, duplicates, rollovers, replacements, glitches, decreases."""

import numpy as np
import pandas as pd
import pytest

from estimate import validate_reads


def series(values, start="2026-01-05", freq="h"):
    ts = pd.date_range(start, periods=len(values), freq=freq, tz="UTC")
    return pd.DataFrame({"ts": ts, "index": np.asarray(values, dtype=float)})


def codes(validated):
    return validated.findings["code"].tolist()


def test_rollover_is_consumption_not_a_negative():
    validated = validate_reads(series([9990, 9995, 3, 10]), digits=4)
    assert validated.reads["delta"].tolist()[1:] == [5, 8, 7]
    assert validated.reads["register"].iloc[-1] == 10010
    assert codes(validated) == ["rollover"]


def test_without_digits_a_wrap_is_a_decrease():
    validated = validate_reads(series([9990, 9995, 3, 10]))
    assert "rollover" not in codes(validated)
    assert validated.reads["delta"].iloc[2] == -9992


def test_replacement_restarts_the_register():
    reads = series([500, 510, 2, 7])
    validated = validate_reads(reads, replacements=[reads["ts"].iloc[2] - pd.Timedelta("10min")])
    assert validated.reads["delta"].tolist()[1:] == [10, 2, 5]
    assert codes(validated) == ["replacement"]


def test_replacement_with_a_known_start_index():
    reads = series([500, 510, 102, 107])
    validated = validate_reads(reads, replacements=[(reads["ts"].iloc[2], 100.0)])
    assert validated.reads["delta"].tolist()[1:] == [10, 2, 5]


@pytest.mark.parametrize(
    ("values", "glitched"),
    [
        pytest.param([100, 102, 248345, 104, 110], [2], id="spike_and_drop_back"),
        pytest.param([100, 102, 248345, 248350, 104, 110], [2, 3], id="spike_of_two_reads"),
        pytest.param([5000, 5002, 0, 5004, 5010], [2], id="read_far_below"),
    ],
)
def test_glitch_is_excluded_and_reported(values, glitched):
    validated = validate_reads(series(values), max_rate_per_h=2500)
    excluded = np.flatnonzero(validated.reads["excluded"]).tolist()
    assert excluded == glitched
    assert codes(validated) == ["glitch"] * len(glitched)
    valid = validated.valid
    assert valid["delta"].sum() == values[-1] - values[0]
    assert (valid["delta"].dropna() >= 0).all()


def test_interleaved_glitches_as_in_the_daiad_data():
    """In the real data glitch reads alternate with good ones a few minutes apart."""
    before = pd.date_range("2017-01-17 01:20", periods=10, freq="h", tz="UTC")
    times = ["11:20", "12:34", "12:36", "13:34", "13:36", "14:40"]
    ts = before.append(pd.to_datetime([f"2017-01-17 {t}" for t in times], utc=True))
    values = list(range(900, 1000, 10)) + [1000, 249243, 1040, 249499, 1077, 1090]
    validated = validate_reads(pd.DataFrame({"ts": ts, "index": values}))
    flags = validated.reads["excluded"].tolist()
    assert flags == [False] * 11 + [True, False, True, False, False]
    assert validated.valid["delta"].tolist()[-3:] == [40, 37, 13]
    assert codes(validated).count("glitch") == 2


def test_genuine_decrease_is_kept_and_reported():
    validated = validate_reads(series([100, 105, 103, 110]), max_rate_per_h=2500)
    assert not validated.reads["excluded"].any()
    assert validated.reads["delta"].iloc[2] == -2
    finding = validated.findings.iloc[0]
    assert finding["code"] == "decrease"
    assert finding["amount"] == -2
    assert "2" in finding["detail"]


def test_duplicates_and_out_of_order_reads():
    reads = series([10, 20, 30, 40])
    shuffled = pd.concat([reads.iloc[[2, 0, 1]], reads.iloc[[1]], reads.iloc[[3]]])
    conflicting = reads.iloc[[3]].assign(index=41.0)
    validated = validate_reads(pd.concat([shuffled, conflicting]))
    assert validated.reads.index.is_monotonic_increasing
    assert validated.reads["index"].tolist() == [10, 20, 30, 41]
    found = set(codes(validated))
    assert {"out_of_order", "duplicate", "conflicting_duplicate"} <= found


def test_implausible_rate_is_reported_but_kept():
    validated = validate_reads(series([0, 5, 60, 62]), max_rate_per_h=10)
    assert codes(validated) == ["implausible_rate"]
    assert not validated.reads["excluded"].any()


def test_off_cadence_read_is_reported():
    ts = list(pd.date_range("2026-01-05", periods=12, freq="h", tz="UTC"))
    ts.insert(6, ts[5] + pd.Timedelta("2min"))
    reads = pd.DataFrame({"ts": ts, "index": np.arange(13, dtype=float)})
    validated = validate_reads(reads)
    assert codes(validated) == ["off_cadence"]
    assert validated.findings["ts"].iloc[0] == ts[6]


def test_index_as_the_frame_index_and_empty_input():
    reads = series([1, 2, 3]).set_index("ts")
    assert validate_reads(reads).reads["delta"].tolist()[1:] == [1, 1]
    empty = validate_reads(series([]))
    assert empty.reads.empty
    assert empty.findings.empty
