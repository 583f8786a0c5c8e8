"""Validation of index series: order, duplicates, rollovers, replacements, glitches, decreases."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def total(validated):
    """Consumption over the valid reads: the sum of their deltas [meter unit]."""
    return validated.valid["delta"].sum()


def test_zero_read_with_digits_is_a_glitch_not_a_rollover():
    """Issue 11: the reads after the zero go on from 6002, so the zero is no rollover."""
    validated = validate_reads(series([6000, 6002, 0, 6004, 6010]), digits=4)
    assert np.flatnonzero(validated.reads["excluded"]).tolist() == [2]
    assert codes(validated) == ["glitch"]
    assert total(validated) == 10


@pytest.mark.parametrize(
    ("values", "digits", "excluded", "found", "consumed"),
    [
        pytest.param([9980, 9985, 9990, 9995, 3], 4, [], ["rollover"], 23,
                     id="rollover_last_read_plausible"),
        pytest.param([6000, 6002, 6004, 6006, 0], 4, [], ["decrease"], -6000,
                     id="zero_last_read_implausible_wrap_is_a_decrease"),
        pytest.param([9985, 9990, 9995, 3, 5000, 10, 15], 4, [4], ["rollover", "glitch"], 30,
                     id="rollover_then_wild_read"),
        pytest.param([9000, 9002, 0, 9004, 9990, 9995, 3, 8], 4, [2], ["glitch", "rollover"],
                     1008, id="zero_glitch_then_rollover"),
        pytest.param([99985, 99990, 99995, 348000, 3, 8], 5, [3], ["glitch", "rollover"], 23,
                     id="out_of_range_read_just_before_rollover"),
        pytest.param([9985, 9990, 9995, 4000, 3, 8], 4, [3], ["glitch", "rollover"], 23,
                     id="wild_read_just_before_rollover"),
        pytest.param([9985, 9990, 9995, 5000, 3, 8], 4, [3], ["glitch", "rollover"], 23,
                     id="wild_read_half_a_register_from_a_rollover"),
        pytest.param([9990, 9995, 0, 3, 10], 4, [], ["rollover"], 20,
                     id="zero_read_at_the_rollover_is_the_register"),
    ],
)  # fmt: skip
def test_rollovers_are_confirmed_by_the_reads_after(values, digits, excluded, found, consumed):
    validated = validate_reads(series(values), digits=digits)
    assert np.flatnonzero(validated.reads["excluded"]).tolist() == excluded
    assert codes(validated) == found
    assert total(validated) == consumed


# Far from the series: more than 50 x (the fastest step, 10/h) x (the longest interval, 3 h).
FAR = 2000


@st.composite
def rising_series_with_one_bad_read(draw):
    """A rising series (as read: wrapped when ``digits`` is set), the same with one bad
    read, ``digits`` and the consumption.

    At least three steps consume, so that the series has a rate to judge reads by. With
    ``digits`` the series starts anywhere in the register, often just below its top so that
    it rolls over. The bad read goes strictly between the first and the last read: a last
    read has nothing after it to contradict it.
    """
    steps = draw(st.lists(st.integers(0, 10), min_size=6, max_size=30))
    steps[:3] = [max(step, 1) for step in steps[:3]]
    hours = draw(st.lists(st.integers(1, 3), min_size=len(steps), max_size=len(steps)))
    digits = draw(st.sampled_from([None, 4, 5]))
    size = 10**digits if digits else 10**6
    start = draw(st.integers(size - 200, size - 1) | st.integers(FAR + 100, size - 1))
    register = start + np.concatenate(([0], np.cumsum(steps)))
    values = register % size if digits else register
    pos = draw(st.integers(1, len(steps)))  # the bad read goes just before read ``pos``
    near = int(values[pos - 1])
    kind = draw(st.sampled_from(["zero", "far_above", "far_below"]))
    if kind == "zero":
        bad = 0
    elif kind == "far_above":  # with digits it may be beyond the register's capacity
        bad = near + draw(st.integers(FAR + 30, 10**6))
    elif digits:  # far from both neighbours, the register's wrap included
        bad = (near - draw(st.integers(FAR + 30, size - FAR - 30))) % size
    else:
        bad = draw(st.integers(0, near - FAR - 30))
    ts = pd.Timestamp("2026-01-05", tz="UTC") + pd.to_timedelta(
        np.concatenate(([0], np.cumsum(hours))), unit="h"
    )
    bad_ts = ts[pos - 1] + (ts[pos] - ts[pos - 1]) * draw(st.sampled_from([0.25, 0.5, 0.75]))
    clean = pd.DataFrame({"ts": ts, "index": values.astype(float)})
    with_bad = pd.concat([clean, pd.DataFrame({"ts": [bad_ts], "index": [float(bad)]})])
    with_bad = with_bad.sort_values("ts", ignore_index=True)
    return clean, with_bad, digits, int(register[-1] - register[0])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(case=rising_series_with_one_bad_read())
def test_one_zero_or_wild_read_never_changes_the_total(case):
    """Property: one zero or wild read inserted into a rising series, with or without
    ``digits`` (rolling over or not), leaves the total consumption as it was."""
    clean, with_bad, digits, consumed = case
    assert total(validate_reads(clean, digits=digits)) == consumed
    assert total(validate_reads(with_bad, digits=digits)) == consumed


def test_spike_is_judged_from_the_last_valid_read_not_an_excluded_one():
    """A small decrease after an excluded dip is not the end of a spike: the jump up to the
    reads before it is measured from the last valid read (5002), not from the dip (0)."""
    values = [5002, 0, 5015, 5018, 5024, 5029, 5033, 5010, 5044, 5046]
    validated = validate_reads(series(values))
    assert np.flatnonzero(validated.reads["excluded"]).tolist() == [1]
    assert codes(validated) == ["glitch", "decrease"]
