"""Hourly consumption: apportioning, gap filling methods, conservation, re-estimation."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimate import estimate_hourly, resample_curve, validate_reads

UTC = "UTC"
# a household day: nothing at night, peaks morning and evening [L/h]
DAY_SHAPE = np.array([0] * 6 + [20, 40, 10] + [3] * 9 + [30, 25, 15, 5, 0, 0], dtype=float)


def hourly_reads(days=28, start="2026-02-02", seed=42):
    """Hourly reads on the hour of a meter with a daily pattern and noise."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range(start, periods=days * 24 + 1, freq="h", tz=UTC)
    volume = rng.poisson(np.tile(DAY_SHAPE, days + 1)[: ts.size - 1]).astype(float)
    return pd.DataFrame({"ts": ts, "index": np.concatenate(([1000.0], 1000 + np.cumsum(volume)))})


def estimate(reads, as_of=None, **kwargs):
    validated = validate_reads(reads)
    as_of = validated.reads.index[-1] if as_of is None else pd.Timestamp(as_of)
    return estimate_hourly(validated, as_of=as_of, **kwargs)


def utc(when):
    ts = pd.Timestamp(when)
    return ts.tz_localize(UTC) if ts.tz is None else ts


def between(reads, start, end):
    """Index delta between two read times."""
    by_ts = reads.set_index("ts")["index"]
    return by_ts[utc(end)] - by_ts[utc(start)]


def hide(reads, start, end):
    """Reads without those strictly between start and end."""
    ts = reads["ts"]
    return reads[~((ts > utc(start)) & (ts < utc(end)))]


def test_hourly_reads_give_measured_hours():
    reads = hourly_reads(days=2)
    hourly = estimate(reads)
    assert len(hourly) == 48
    np.testing.assert_allclose(hourly["volume"], np.diff(reads["index"]))
    assert (hourly["quality"] == "actual").all()
    assert (hourly["method"] == "measured").all()
    assert (hourly["estimated_share"] == 0).all()


def test_reads_between_hours_are_apportioned_by_time():
    ts = pd.to_datetime(["2026-02-02 10:30", "2026-02-02 11:30"], utc=True)
    hourly = estimate(pd.DataFrame({"ts": ts, "index": [0.0, 10.0]}))
    assert hourly.index.tolist() == list(
        pd.date_range("2026-02-02 10:00", periods=2, freq="h", tz=UTC)
    )
    np.testing.assert_allclose(hourly["volume"], [5.0, 5.0])


def test_short_gap_is_linear_and_conserves_the_delta():
    reads = hourly_reads(days=3)
    gapped = hide(reads, "2026-02-03 10:00", "2026-02-03 13:00")
    hourly = estimate(gapped)
    gap = hourly.loc["2026-02-03 10:00":"2026-02-03 12:00"]
    assert (gap["method"] == "linear").all()
    assert (gap["quality"] == "estimated").all()
    np.testing.assert_allclose(gap["volume"], gap["volume"].iloc[0])
    assert gap["volume"].sum() == pytest.approx(
        between(reads, "2026-02-03 10:00", "2026-02-03 13:00")
    )
    assert (hourly.drop(gap.index)["quality"] == "actual").all()


def test_long_gap_follows_the_meters_own_profile():
    reads = hourly_reads(days=28)
    start, end = "2026-02-20 05:00", "2026-02-21 05:00"
    hourly = estimate(hide(reads, start, end))
    gap = hourly.loc[start:"2026-02-21 04:00"]
    assert (gap["method"] == "profile").all()
    assert (gap["estimated_share"] == 1).all()
    assert gap["volume"].sum() == pytest.approx(between(reads, start, end), rel=1e-12)
    night = gap[gap.index.hour.isin([0, 1, 2, 3])]["volume"]
    morning = gap[gap.index.hour == 7]["volume"]
    assert night.max() < 0.1 * morning.max()


def test_long_gap_without_history_uses_the_seasonal_profile():
    reads = hourly_reads(days=3)
    start, end = "2026-02-03 00:00", "2026-02-04 00:00"
    gas = estimate(hide(reads, start, end), kind="gas")
    gap = gas.loc[start:"2026-02-03 23:00"]
    assert (gap["method"] == "profile_seasonal").all()
    assert gap["volume"].sum() == pytest.approx(between(reads, start, end))
    assert gap["volume"].max() > 2 * gap["volume"].min()
    water = estimate(hide(reads, start, end), kind="water").loc[gap.index]
    np.testing.assert_allclose(water["volume"], water["volume"].iloc[0])


def test_daily_reads_without_history_follow_the_gas_profile():
    ts = pd.date_range("2026-01-01", periods=8, freq="D", tz=UTC)
    reads = pd.DataFrame({"ts": ts, "index": [0, 30, 55, 90, 120, 150, 170, 200.0]})
    hourly = estimate(reads, kind="gas", timezone="UTC")
    daily = hourly["volume"].groupby(hourly.index.floor("D")).sum()
    np.testing.assert_allclose(daily, np.diff(reads["index"]))
    assert set(hourly["method"]) == {"profile_seasonal"}
    by_hour = hourly["volume"].groupby(hourly.index.hour).mean()
    assert by_hour[7] > 2 * by_hour[2]


def test_manual_reads_months_apart_are_shaped_by_season():
    ts = pd.to_datetime(["2026-01-01", "2026-07-01"], utc=True)
    reads = pd.DataFrame({"ts": ts, "index": [1000.0, 1900.0]})
    hourly = estimate(reads, kind="gas", timezone="UTC")
    monthly = hourly["volume"].groupby(hourly.index.month).sum()
    assert monthly.sum() == pytest.approx(900)
    assert monthly[1] > monthly[3] > monthly[6]


def test_long_gap_with_history_months_long_is_seasonal_too():
    history = hourly_reads(days=14, start="2025-12-01")
    late = pd.DataFrame({"ts": [pd.Timestamp("2026-06-30", tz=UTC)], "index": [30000.0]})
    hourly = estimate(pd.concat([history, late]), kind="gas", timezone="UTC")
    gap = hourly.loc["2025-12-16":]
    assert (gap["method"] == "profile").all()
    monthly = gap["volume"].groupby(gap.index.month).sum()
    assert monthly[1] > monthly[5]


def test_prospective_like_day_after_the_last_read():
    reads = hourly_reads(days=21)
    last = reads["ts"].iloc[-1]
    hourly = estimate(reads, as_of=last + pd.Timedelta(days=2))
    future = hourly.loc[last:]
    assert len(future) == 48
    assert (future["method"] == "prospective_like_day").all()
    assert (future["quality"] == "estimated").all()
    mean_day = np.diff(reads["index"]).sum() / 21
    assert future["volume"].sum() / 2 == pytest.approx(mean_day, rel=0.15)
    assert future[future.index.hour == 2]["volume"].max() < future["volume"].mean()


def test_prospective_average_daily_load_without_hourly_history():
    ts = pd.date_range("2026-03-01", periods=5, freq="7D", tz=UTC)
    reads = pd.DataFrame({"ts": ts, "index": [0, 70, 140, 210, 280.0]})
    hourly = estimate(reads, as_of=ts[-1] + pd.Timedelta(days=7))
    future = hourly.loc[ts[-1] :]
    assert (future["method"] == "prospective_adl").all()
    assert future["volume"].sum() == pytest.approx(70)


def test_prospective_part_of_the_hour_holding_as_of():
    reads = hourly_reads(days=1)
    last = reads["ts"].iloc[-1]
    hourly = estimate(reads, as_of=last + pd.Timedelta(minutes=30))
    assert hourly.index[-1] == last
    assert hourly["method"].iloc[-1] == "prospective_adl"
    assert hourly["volume"].iloc[-1] == pytest.approx((reads["index"].iloc[-1] - 1000) / 48)


def test_single_read_gives_nothing_to_estimate():
    reads = hourly_reads(days=1).iloc[[5]]
    hourly = estimate(reads, as_of=reads["ts"].iloc[0] + pd.Timedelta(hours=5))
    assert hourly["volume"].sum() == 0
    assert len(hourly) <= 1


def test_reads_after_as_of_are_ignored():
    reads = hourly_reads(days=2)
    hourly = estimate(reads, as_of=reads["ts"].iloc[24])
    assert len(hourly) == 24
    assert hourly["volume"].sum() == pytest.approx(
        between(reads, reads["ts"].iloc[0], reads["ts"].iloc[24])
    )


def test_reads_estimated_elsewhere_make_estimated_hours():
    reads = hourly_reads(days=1).assign(quality="actual")
    reads.loc[10, "quality"] = "estimated"
    hourly = estimate(reads)
    flagged = hourly[hourly["method"] == "external_estimate"]
    assert flagged.index.tolist() == [reads["ts"][9], reads["ts"][10]]
    assert (flagged["quality"] == "estimated").all()


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        pytest.param("2026-03-29", 23, id="spring_forward"),
        pytest.param("2026-10-25", 25, id="fall_back"),
    ],
)
def test_dst_days_in_europe_paris(day, hours):
    local = pd.Timestamp(day, tz="Europe/Paris")
    start, end = local - pd.Timedelta(days=7), local + pd.Timedelta(days=2)
    ts = pd.date_range(start.tz_convert(UTC), end.tz_convert(UTC), freq="h")
    reads = pd.DataFrame({"ts": ts, "index": np.arange(ts.size, dtype=float) * 2})
    hourly = estimate(reads, timezone="Europe/Paris")
    local_day = hourly.index.tz_convert("Europe/Paris").normalize() == local
    assert local_day.sum() == hours
    assert hourly.loc[local_day, "volume"].sum() == pytest.approx(2 * hours)


def test_dst_gap_profile_keeps_local_hours():
    """A gap over the spring-forward night still puts the volume on local mornings."""
    local = pd.Timestamp("2026-03-29", tz="Europe/Paris")
    ts = pd.date_range((local - pd.Timedelta(days=21)).tz_convert(UTC), periods=28 * 24, freq="h")
    hours = ts.tz_convert("Europe/Paris").hour
    volume = np.where(np.isin(hours, [7, 8]), 50.0, 0.0)
    reads = pd.DataFrame({"ts": ts, "index": np.concatenate(([0.0], np.cumsum(volume)[:-1]))})
    hourly = estimate(hide(reads, local - pd.Timedelta(hours=2), local + pd.Timedelta(hours=22)))
    gap = hourly.loc[local.tz_convert(UTC) : (local + pd.Timedelta(hours=20)).tz_convert(UTC)]
    local_hours = gap.index.tz_convert("Europe/Paris").hour
    assert gap.loc[np.isin(local_hours, [7, 8]), "volume"].sum() == pytest.approx(100, rel=0.05)


def test_late_read_replaces_the_estimate_and_totals_still_match():
    reads = hourly_reads(days=28)
    start, end = "2026-02-20 05:00", "2026-02-22 05:00"
    before = estimate(hide(reads, start, end))
    late_ts = pd.Timestamp("2026-02-21 05:00", tz=UTC)
    with_late = pd.concat([hide(reads, start, end), reads[reads["ts"] == late_ts]])
    after = estimate(with_late)
    first = slice(start, "2026-02-21 04:00")
    second = slice("2026-02-21 05:00", "2026-02-22 04:00")
    assert not np.allclose(before.loc[first, "volume"], after.loc[first, "volume"])
    assert after.loc[first, "volume"].sum() == pytest.approx(between(reads, start, late_ts))
    assert after.loc[second, "volume"].sum() == pytest.approx(between(reads, late_ts, end))
    total = before.loc[start:"2026-02-22 04:00", "volume"].sum()
    assert total == pytest.approx(between(reads, start, end))


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=25),
    deltas=st.lists(
        st.floats(min_value=0, max_value=5000, allow_nan=False), min_size=25, max_size=25
    ),
    kind=st.sampled_from(["water", "gas"]),
)
def test_every_gap_conserves_its_index_delta(gaps, deltas, kind):
    """For random reads on hour boundaries, each gap's hours add up to its delta."""
    offsets = np.concatenate(([0], np.cumsum(gaps)))
    ts = pd.Timestamp("2026-01-01", tz=UTC) + pd.to_timedelta(offsets, unit="h")
    index = np.concatenate(([100.0], 100.0 + np.cumsum(deltas[: len(gaps)])))
    hourly = estimate(pd.DataFrame({"ts": ts, "index": index}), kind=kind)
    volume = hourly["volume"].to_numpy()
    for k in range(len(gaps)):
        got = volume[offsets[k] : offsets[k + 1]].sum()
        assert got == pytest.approx(index[k + 1] - index[k], rel=1e-9, abs=1e-7)
    assert (hourly["estimated_share"].between(0, 1)).all()


@settings(max_examples=40, deadline=None)
@given(
    minutes=st.lists(st.integers(min_value=1, max_value=20_000), min_size=1, max_size=40),
    seed=st.integers(min_value=0, max_value=1000),
)
def test_total_is_conserved_for_reads_at_any_minute(minutes, seed):
    rng = np.random.default_rng(seed)
    ts = pd.Timestamp("2026-01-01 00:17", tz=UTC) + pd.to_timedelta(np.cumsum([0, *minutes]), "min")
    index = np.cumsum(rng.uniform(0, 50, ts.size))
    hourly = estimate(pd.DataFrame({"ts": ts, "index": index}))
    assert hourly["volume"].sum() == pytest.approx(index[-1] - index[0], rel=1e-9, abs=1e-7)


def steady_reads(first, minutes, periods, rate_per_h=6.0):
    """Reads every ``minutes`` from ``first`` [UTC] of a meter passing ``rate_per_h`` [L/h]."""
    ts = pd.date_range(first, periods=periods, freq=f"{minutes}min", tz=UTC)
    hours = (ts - ts[0]) / pd.Timedelta(hours=1)
    return pd.DataFrame({"ts": ts, "index": 1000.0 + rate_per_h * np.asarray(hours)})


@pytest.mark.parametrize(
    ("first", "minutes", "share", "quality", "method"),
    [
        pytest.param("2026-02-02 00:00", 60, 0.0, "actual", "measured", id="hourly_on_the_hour"),
        pytest.param("2026-02-02 00:00", 30, 0.0, "actual", "measured",
                     id="half_hourly_on_the_hour"),
        pytest.param("2026-02-02 00:20", 60, 1.0, "estimated", "interpolated",
                     id="hourly_at_20_past"),
        pytest.param("2026-02-02 00:30", 60, 1.0, "estimated", "interpolated",
                     id="hourly_at_half_past"),
        pytest.param("2026-02-02 00:05", 15, 0.25, "estimated", "interpolated",
                     id="quarter_hourly_at_5_past"),
        pytest.param("2026-02-02 00:00", 40, 1 / 3, "estimated", "interpolated",
                     id="every_40_min_from_midnight"),
        pytest.param("2026-02-01 23:59:59", 60, 0.0, "actual", "measured",
                     id="hourly_a_second_early"),
        pytest.param("2026-02-02 00:02", 60, 1.0, "estimated", "interpolated",
                     id="hourly_two_minutes_late"),
    ],
)  # fmt: skip
def test_hours_split_by_reads_off_their_edges_are_partly_estimated(
    first, minutes, share, quality, method
):
    """Issue 11: only the volume between two reads inside an hour (its edges included) is
    measured; the rest was apportioned over time from a delta across the hour's edge."""
    reads = steady_reads(first, minutes, periods=2 * 24 * 60 // minutes)
    hourly = estimate(reads, timezone=UTC)
    inner = hourly.iloc[1:-1]  # the first and last hours are only partly covered
    np.testing.assert_allclose(inner["volume"], 6.0)
    np.testing.assert_allclose(inner["estimated_share"], share)
    assert (inner["quality"] == quality).all()
    assert (inner["method"] == method).all()


def test_day_bounded_by_reads_at_midnight_is_actual_though_its_hours_were_interpolated():
    """Reads every 40 min from midnight fall on every second hour edge, each midnight too."""
    reads = steady_reads("2026-02-02 00:00", 40, periods=3 * 36 + 1)
    hourly = estimate(reads, timezone=UTC)
    assert (hourly["quality"] == "estimated").any()
    daily = resample_curve(hourly, "day", UTC)
    assert daily["volume"].tolist() == pytest.approx([144.0] * 3)
    assert (daily["estimated_share"] == 0).all()
    assert (daily["quality"] == "actual").all()
    assert (daily["method"] == "measured").all()


def test_day_whose_midnight_falls_between_close_reads_stays_measured():
    """As before the fix: at day level an edge inside an interval of reads at most
    ``measured_max_gap_h`` apart counts as known (the DAIAD data reads at :19 or :20)."""
    reads = steady_reads("2026-02-02 00:20", 60, periods=3 * 24)
    hourly = estimate(reads, timezone=UTC)
    assert (hourly["method"].iloc[1:-1] == "interpolated").all()
    inner = resample_curve(hourly, "day", UTC).iloc[1:-1]
    assert (inner["estimated_share"] == 0).all()
    assert (inner["quality"] == "actual").all()


def test_day_with_a_short_gap_is_estimated_by_the_gap_not_by_the_interpolated_hours():
    reads = steady_reads("2026-02-02 00:20", 60, periods=3 * 24)
    gapped = hide(reads, "2026-02-03 21:20", "2026-02-04 00:20")  # a 3 h gap over midnight
    hourly = estimate(gapped, timezone=UTC)
    assert (hourly.loc["2026-02-03 22:00":"2026-02-03 23:00", "method"] == "linear").all()
    day = resample_curve(hourly, "day", UTC).loc[pd.Timestamp("2026-02-03", tz=UTC)]
    assert day["quality"] == "estimated"
    assert day["method"] == "linear"
    assert day["estimated_share"] == pytest.approx(160 / 60 * 6 / 144)
