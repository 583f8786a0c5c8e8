"""Burst detector."""

import numpy as np
import pandas as pd
import pytest

from core import Meter
from detect import BurstSettings, detect_burst
from tests.detect.conftest import START, TARIFF, add, household_hourly, reads_from

METER = Meter("M1")
AS_OF = START + pd.Timedelta(days=60)


@pytest.mark.parametrize(
    ("rate", "hours", "every"),
    [
        pytest.param(1000.0, 3, "1h", id="burst_1000lph_3h_hourly"),
        pytest.param(600.0, 6, "1h", id="burst_600lph_6h_hourly"),
        pytest.param(1500.0, 4, "12h", id="burst_1500lph_4h_twice_daily"),
    ],
)
def test_fires_on_a_burst(household, rate, hours, every):
    hourly = add(household, 40.5, hours, rate)
    episodes = detect_burst(
        reads_from(hourly, every=every), meter=METER, as_of=AS_OF, tariff=TARIFF
    )
    assert len(episodes) == 1
    burst = episodes[0]
    burst_start = START + pd.Timedelta(days=40.5)
    assert burst.start <= burst_start + pd.Timedelta(hours=1)
    assert burst.end is not None and burst.end >= burst_start + pd.Timedelta(hours=hours)
    assert burst.severity == "critical"
    if every == "1h":
        assert burst.evidence["peak_flow_lph"] >= rate
        lost = float(hourly[burst.start : burst.end - pd.Timedelta(hours=1)].sum()) / 1000
        assert burst.estimated_volume_m3 == pytest.approx(lost, rel=0.01)
    assert burst.estimated_volume_m3 is not None
    assert burst.estimated_cost_eur == pytest.approx(burst.estimated_volume_m3 * 4.3, abs=0.01)


def test_quiet_on_nightly_irrigation_and_a_seasonal_peak():
    hourly = household_hourly(90)
    day = (hourly.index - START).days
    irrigation = np.where((hourly.index.hour >= 2) & (hourly.index.hour < 4), 500.0, 0.0)
    season = 1.0 + 0.6 * np.clip((day - 45) / 30.0, 0, 1)
    normal = hourly * season + irrigation
    as_of = START + pd.Timedelta(days=90)
    assert detect_burst(reads_from(normal), meter=METER, as_of=as_of) == []


def test_one_high_hour_is_not_sustained(household):
    hourly = add(household, 40.5, 1, 1200.0)
    assert detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF) == []
    one_hour = BurstSettings(min_duration_h=1.0)
    assert len(detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF, settings=one_hour)) == 1


def test_q3_fraction_without_history():
    hourly = add(household_hourly(3), 1.5, 3, 320.0)
    reads = reads_from(hourly)
    as_of = START + pd.Timedelta(days=3)
    assert len(detect_burst(reads, meter=Meter("M1", q3_m3h=2.5), as_of=as_of)) == 1
    assert detect_burst(reads, meter=Meter("M1", q3_m3h=4.0), as_of=as_of) == []


def test_daily_reads_are_not_checked(household):
    hourly = add(household, 40.5, 4, 1500.0)
    assert detect_burst(reads_from(hourly, every="1D"), meter=METER, as_of=AS_OF) == []
    every_day = BurstSettings(max_cadence_h=24.0)
    reads = reads_from(hourly, every="1D")
    assert len(detect_burst(reads, meter=METER, as_of=AS_OF, settings=every_day)) == 1


def test_reads_inside_the_burst_hours_still_find_it(household):
    # reads at half past: a 2 h burst at 500 L/h lands in three intervals, and
    # the first and the last hold only 250 L each, below the 300 L/h threshold
    hourly = add(household, 40.5, 2, 500.0)
    reads = reads_from(hourly)
    shifted = reads.copy()
    shifted.index = shifted.index + pd.Timedelta(minutes=30)
    halfway = (reads["index"].to_numpy()[:-1] + reads["index"].to_numpy()[1:]) / 2.0
    shifted = shifted.iloc[:-1].assign(index=halfway)
    episodes = detect_burst(shifted, meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    burst_start = START + pd.Timedelta(days=40.5)
    assert burst_start - pd.Timedelta(hours=1) <= episodes[0].start <= burst_start
    assert episodes[0].evidence["volume_m3"] >= 1.0
    no_edges = BurstSettings(edge_share=1.0)
    assert detect_burst(shifted, meter=METER, as_of=AS_OF, settings=no_edges) == []


def test_one_big_hour_beside_a_moderate_one_is_not_sustained(household):
    # 700 L in one hour and 200 L the next: 900 L, more than 300 L/h x 2 h, but
    # the flow cannot have held 300 L/h for 2 h (at most 1 h + 200/300 h)
    quiet = household.where(household.index.hour >= 6, 0.0)
    hourly = add(add(quiet, 40 + 1 / 24, 1, 700.0), 40 + 2 / 24, 1, 200.0)
    assert detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF) == []
    steady = add(quiet, 40 + 1 / 24, 2, 450.0)
    assert len(detect_burst(reads_from(steady), meter=METER, as_of=AS_OF)) == 1


@pytest.mark.parametrize(
    ("rate", "hours", "fires"),
    [
        pytest.param(400.0, 2, False, id="burst_400lph_2h_twice_daily_is_a_big_day"),
        pytest.param(800.0, 4, True, id="burst_800lph_4h_twice_daily"),
        pytest.param(1500.0, 4, True, id="burst_1500lph_4h_twice_daily"),
    ],
)
def test_coarse_reads_need_a_volume_no_tap_gives(household, rate, hours, fires):
    hourly = add(household, 40.5, hours, rate)
    reads = reads_from(hourly, every="12h")
    assert bool(detect_burst(reads, meter=METER, as_of=AS_OF)) is fires
    hourly_reads = reads_from(hourly)
    assert len(detect_burst(hourly_reads, meter=METER, as_of=AS_OF)) == 1


def test_a_short_edge_still_counts_for_its_volume(household):
    # a 2 h burst at 420 L/h read at twenty to: 280, 420 and 140 L; the last
    # interval holds 20 minutes of it, which the 2 h must include
    quiet = household.where(household.index.hour >= 6, 0.0)
    reads = reads_from(add(quiet, 40 + 1 / 24, 2, 420.0))
    shifted = reads.copy()
    shifted.index = shifted.index + pd.Timedelta(minutes=40)
    values = reads["index"].to_numpy()
    shifted = shifted.iloc[:-1].assign(index=values[:-1] + (values[1:] - values[:-1]) * 2 / 3)
    night = START + pd.Timedelta(days=40)
    litres = (shifted["index"].diff() * 1000).round()[night : night + pd.Timedelta(hours=4)]
    assert litres.tolist() == [0.0, 280.0, 420.0, 140.0]
    episodes = detect_burst(shifted, meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    assert episodes[0].evidence["volume_m3"] == pytest.approx(0.84, abs=0.01)
    stricter_edges = BurstSettings(edge_share=0.5)
    assert detect_burst(shifted, meter=METER, as_of=AS_OF, settings=stricter_edges) == []


def test_the_usual_peak_is_a_flow_held_as_long_as_a_burst(household):
    # a bath filled at 300 L/h most evenings: single hours reach 300 L/h, but
    # no flow was ever held for 2 h, so 2 h at 450 L/h is a burst
    evenings = (household.index.hour == 19) & (household.index.day % 3 == 0)
    baths = household + np.where(evenings, 300.0, 0.0)
    hourly = add(baths, 45 + 1 / 24, 2, 450.0)
    episodes = detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF)
    assert [e.start for e in episodes] == [START + pd.Timedelta(days=45, hours=1)]


def test_a_hose_a_season_ago_is_still_usual():
    # 2 h at 400 L/h in the first week, and 3 h at 500 L/h seven weeks later
    hose = add(household_hourly(70), 5 + 20 / 24, 2, 400.0)
    hourly = add(hose, 55 + 20 / 24, 3, 500.0)
    as_of = START + pd.Timedelta(days=70)
    assert detect_burst(reads_from(hourly), meter=METER, as_of=as_of) == []
    one_month = BurstSettings(history_days=30)
    episodes = detect_burst(reads_from(hourly), meter=METER, as_of=as_of, settings=one_month)
    assert len(episodes) == 1


def test_a_long_burst_is_not_cut_short_by_its_own_flow(household):
    # once held, the burst is in the history; it is judged against the usual
    # peak it began against, not the one it raised
    hourly = add(household, 40.5, 20, 600.0)
    episodes = detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    assert episodes[0].end >= START + pd.Timedelta(days=40.5, hours=20)
    assert episodes[0].evidence["volume_m3"] >= 12.0


@pytest.mark.parametrize(
    ("burst_lph", "fires"),
    [
        pytest.param(0.0, False, id="catch_up_after_5_still_days"),
        pytest.param(1500.0, True, id="burst_1500lph_5h_after_5_still_days"),
    ],
)
def test_a_volume_after_a_still_register_may_be_a_catch_up(household, burst_lph, fires):
    # a stale register for 5 days, then the 5 days' use at once (1.5 m3 in one
    # hour: more than 600 L/h for 2 h); a burst is what no catch-up explains
    away = (household.index >= START + pd.Timedelta(days=40)) & (
        household.index < START + pd.Timedelta(days=45, hours=8)
    )
    stale = household.where(~away, 0.0)
    stale = add(add(stale, 45 + 8 / 24, 1, 1500.0), 45 + 9 / 24, 5, burst_lph)
    reads = reads_from(stale, every="12h")
    assert bool(detect_burst(reads, meter=METER, as_of=AS_OF)) is fires
    trusting = BurstSettings(still_days=0.0)
    assert len(detect_burst(reads, meter=METER, as_of=AS_OF, settings=trusting)) == 1


def test_a_long_flow_is_judged_against_the_homes_long_holds(household):
    # the garden watered at 300 L/h for 2 h every third evening sets the 2 h
    # burst level at 750 L/h; 500 L/h is nothing for 2 h, but no use of this
    # home ever held 4 h, so 500 L/h for 6 h is a burst
    evenings = (household.index.hour.isin((19, 20))) & (household.index.day % 3 == 0)
    watered = household + np.where(evenings, 300.0, 0.0)
    hourly = add(watered, 45 + 9 / 24, 6, 500.0)
    episodes = detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    assert episodes[0].evidence["held_h"] == 4.0
    assert episodes[0].evidence["threshold_lph"] < 500.0
    assert "message" not in episodes[0].evidence
    two_hours_only = BurstSettings(longer_holds_h=())
    assert detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF, settings=two_hours_only) == []


def test_a_burst_read_a_second_early_each_hour_lasts_its_two_hours(household):
    quiet = household.where(household.index.hour >= 6, 0.0)
    reads = reads_from(add(quiet, 40 + 1 / 24, 2, 450.0))
    drifting = reads.set_axis(reads.index - pd.to_timedelta(np.arange(len(reads)), unit="s"))
    assert len(detect_burst(drifting, meter=METER, as_of=AS_OF)) == 1
    exact = BurstSettings(read_drift_h=0.0)
    assert detect_burst(drifting, meter=METER, as_of=AS_OF, settings=exact) == []


def test_hourly_reads_after_a_still_register_show_a_burst_whole(household):
    # after 5 days away, 2 h at 1500 L/h: hourly reads show a flow that lasted,
    # not a stale register catching up in one read
    away = (household.index >= START + pd.Timedelta(days=40)) & (
        household.index < START + pd.Timedelta(days=45, hours=8)
    )
    hourly = add(household.where(~away, 0.0), 45 + 8 / 24, 2, 1500.0)
    episodes = detect_burst(reads_from(hourly), meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    assert episodes[0].evidence["volume_m3"] >= 3.0
