"""Continuous flow (leak) detector."""

import numpy as np
import pandas as pd
import pytest

from core import Meter, Tariff
from detect import ContinuousFlowSettings, detect_continuous_flow
from detect.flows import span_flow_values
from tests.detect.conftest import START, TARIFF, add, household_hourly, reads_from
from tests.notify.sentences import sentence

METER = Meter("M1", unit="m3")


def leak_episodes(hourly, *, every="1h", resolution_l=1.0, days=60):
    reads = reads_from(hourly, every=every, resolution_l=resolution_l)
    as_of = START + pd.Timedelta(days=days)
    return detect_continuous_flow(reads, meter=METER, as_of=as_of, tariff=TARIFF)


@pytest.mark.parametrize(
    ("rate", "every", "resolution_l", "within_h"),
    [
        pytest.param(5.0, "1h", 1.0, 48, id="leak_5lph_hourly"),
        pytest.param(20.0, "1h", 1.0, 48, id="leak_20lph_hourly"),
        pytest.param(10.0, "1h", 10.0, 48, id="leak_10lph_coarse_10l"),
        pytest.param(10.0, "12h", 1.0, 7 * 24, id="leak_10lph_twice_daily"),
        pytest.param(20.0, "1D", 1.0, 7 * 24, id="leak_20lph_daily"),
    ],
)
def test_fires_on_a_leak(household, rate, every, resolution_l, within_h):
    leak_start = START + pd.Timedelta(days=40)
    hourly = add(household, 40, 20 * 24, rate)
    episodes = leak_episodes(hourly, every=every, resolution_l=resolution_l)
    found = [e for e in episodes if e.confirmed_at >= leak_start - pd.Timedelta(hours=12)]
    assert len(found) == 1
    leak = found[0]
    assert leak.end is None
    assert leak.confirmed_at - leak_start <= pd.Timedelta(hours=within_h)
    assert leak.evidence["leak_rate_lph"] == pytest.approx(rate, rel=0.5)
    assert not [e for e in episodes if e.confirmed_at < leak_start]


def test_hourly_leak_rate_and_cost_in_evidence(household):
    hourly = add(household, 40, 20 * 24, 10.0)
    leak = leak_episodes(hourly)[0]
    hours = (START + pd.Timedelta(days=60) - leak.start) / pd.Timedelta(hours=1)
    rate = leak.evidence["leak_rate_lph"]
    assert rate == pytest.approx(10.0, abs=1.0)
    assert leak.estimated_volume_m3 == pytest.approx(rate * hours / 1000, rel=0.01)
    assert leak.estimated_cost_eur == pytest.approx(leak.estimated_volume_m3 * 4.3, abs=0.01)
    assert "10\u00a0L/h since" in sentence(leak)
    assert leak.severity == "warning"


def test_cost_follows_the_tariff(household):
    reads = reads_from(add(household, 40, 20 * 24, 10.0))
    leak = detect_continuous_flow(
        reads, meter=METER, as_of=START + pd.Timedelta(days=60), tariff=Tariff(2.0, 0.12)
    )[0]
    assert leak.estimated_volume_m3 is not None
    assert leak.estimated_cost_eur == pytest.approx(leak.estimated_volume_m3 * 2.0, abs=0.01)


@pytest.mark.parametrize(
    ("every", "rate"),
    [pytest.param("1h", 8.0, id="hourly"), pytest.param("12h", 30.0, id="twice_daily")],
)
def test_a_leak_that_lasts_months_stays_open(every, rate):
    # the leak must not become the meter's usual floor
    hourly = add(household_hourly(180), 30, 150 * 24, rate)
    episodes = leak_episodes(hourly, every=every, days=180)
    assert len(episodes) == 1
    assert episodes[0].end is None
    assert episodes[0].start - (START + pd.Timedelta(days=30)) <= pd.Timedelta(days=3)


def test_ended_leak_has_an_end(household):
    hourly = add(household, 30, 5 * 24, 20.0)
    episodes = leak_episodes(hourly)
    assert len(episodes) == 1
    fixed = START + pd.Timedelta(days=35)
    assert abs(episodes[0].end - fixed) <= pd.Timedelta(hours=3)


@pytest.mark.parametrize(
    "every", [pytest.param("1h", id="hourly"), pytest.param("12h", id="twice_daily")]
)
def test_quiet_on_normal_use(every):
    hourly = household_hourly(90)
    local_hour = hourly.index.hour
    irrigation = np.where((local_hour >= 2) & (local_hour < 4), 400.0, 0.0)
    day = (hourly.index - START).days
    holiday = (day >= 30) & (day < 37)
    season = 1.0 + 0.6 * np.clip((day - 45) / 30.0, 0, 1)
    normal = pd.Series((hourly * season + irrigation).where(~holiday, 0.0), index=hourly.index)
    assert leak_episodes(normal, every=every, days=90) == []


def test_no_flow_every_hour_needs_the_whole_window(household):
    hourly = add(household, 40, 20, 30.0)  # 20 h of flow then it stops
    assert leak_episodes(hourly) == []


def test_min_rate_setting_is_used(household):
    reads = reads_from(add(household, 40, 20 * 24, 5.0))
    as_of = START + pd.Timedelta(days=60)
    strict = ContinuousFlowSettings(min_rate_lph=8.0, slow_min_rate_lph=8.0)
    assert detect_continuous_flow(reads, meter=METER, as_of=as_of, settings=strict) == []


@pytest.mark.parametrize(
    ("resolution_l", "daily_l"),
    [
        pytest.param(1.0, 300.0, id="leak_2lph_hourly"),
        # on 10 L steps the slow tier's 6 h spans need the household's quiet night
        pytest.param(10.0, 150.0, id="leak_2lph_coarse_10l_light_user"),
    ],
)
def test_small_leak_found_by_the_slow_tier(resolution_l, daily_l):
    leak_start = START + pd.Timedelta(days=40)
    hourly = add(household_hourly(60, daily_l=daily_l), 40, 20 * 24, 2.0)
    episodes = leak_episodes(hourly, resolution_l=resolution_l)
    assert len(episodes) == 1
    leak = episodes[0]
    # after the first tier's window and deadline, within a week
    assert pd.Timedelta(hours=48) < leak.confirmed_at - leak_start <= pd.Timedelta(days=6)
    assert leak.evidence["window_h"] == ContinuousFlowSettings().slow_window_h
    # the last stop seen may be the evening before a leak that began at night
    assert leak_start - pd.Timedelta(hours=24) <= leak.start <= leak_start + pd.Timedelta(hours=1)
    assert leak.evidence["leak_rate_lph"] == pytest.approx(2.0, abs=1.0)


def test_large_leak_is_one_episode_with_the_fast_tier_figures(household):
    leak = leak_episodes(add(household, 40, 20 * 24, 20.0))
    assert len(leak) == 1
    assert leak[0].evidence["window_h"] == ContinuousFlowSettings().window_h
    assert leak[0].evidence["leak_rate_lph"] == pytest.approx(20.0, abs=2.0)


def test_fast_tier_spans_stay_short_on_a_10l_register(household):
    """Spans as long as a household's quiet hours would hide them: on 10 L
    steps the first tier keeps 2 h spans and reports from 6 L/h."""
    leak_start = START + pd.Timedelta(days=40)
    episodes = leak_episodes(add(household, 40, 20 * 24, 10.0), resolution_l=10.0)
    assert len(episodes) == 1
    assert episodes[0].evidence["block_h"] == ContinuousFlowSettings().max_span_h
    assert episodes[0].confirmed_at - leak_start <= pd.Timedelta(hours=48)


@pytest.mark.parametrize("short_h", [0.02, 0.0])
def test_reads_drifting_early_do_not_lengthen_the_spans(household, short_h):
    """Reads that come a second earlier every hour make each 2 h span fall
    2 s short; taken one read longer, a 6 L/h leak on 10 L steps shows one
    step in 3 h (3.3 L/h) and hides under the first tier's threshold."""
    leak_start = START + pd.Timedelta(days=40)
    reads = reads_from(add(household, 40, 20 * 24, 6.0), resolution_l=10.0)
    reads.index = reads.index - pd.to_timedelta(np.arange(len(reads)), unit="s")
    as_of = START + pd.Timedelta(days=60)
    settings = ContinuousFlowSettings(span_short_h=short_h)
    episodes = detect_continuous_flow(reads, meter=METER, as_of=as_of, settings=settings)
    in_time = [e for e in episodes if e.confirmed_at - leak_start <= pd.Timedelta(hours=48)]
    assert len(in_time) == (1 if short_h else 0)


def drop_reads(reads: pd.DataFrame, hours: tuple[int, ...]) -> pd.DataFrame:
    """``reads`` without those taken at the given UTC hours (a meter that
    misses its night reports)."""
    return reads[~reads.index.hour.isin(hours)]


def test_missing_reads_do_not_delay_a_leak(household):
    """Four reads missing twice a day: the spans over them still count."""
    leak_start = START + pd.Timedelta(days=40)
    hourly = add(household, 40, 20 * 24, 10.0)
    reads = drop_reads(reads_from(hourly), (1, 2, 3, 4, 13, 14, 15, 16))
    episodes = detect_continuous_flow(reads, meter=METER, as_of=START + pd.Timedelta(days=60))
    assert len(episodes) == 1
    assert episodes[0].confirmed_at - leak_start <= pd.Timedelta(hours=48)


def test_span_flows_slide_with_the_reads():
    t = pd.date_range(START, periods=6, freq="h").as_unit("ns").asi8
    register = np.array([0.0, 0.0, 10.0, 10.0, 10.0, 20.0])
    flows = span_flow_values(t, register, span_h=2.0, max_gap_h=1.0)
    assert np.isnan(flows).tolist() == [True, True, False, False, False, False]
    assert flows[2:].tolist() == pytest.approx([5.0, 5.0, 0.0, 5.0])
    gappy_t, gappy = np.delete(t, 3), np.delete(register, 3)
    # the span ending at 05:00 reaches back to 02:00 (3 h, 1 h more than asked)
    assert span_flow_values(gappy_t, gappy, 2.0, max_gap_h=1.0)[-1] == pytest.approx(10.0 / 3)
    assert np.isnan(span_flow_values(gappy_t, gappy, 2.0, max_gap_h=0.5)[-1])
    # reads 2 s early: spans of 2 h less 2 s are taken as 2 h when allowed to fall short
    early = t - 2_000_000_000 * np.arange(t.size)
    assert span_flow_values(early, register, 2.0, max_gap_h=1.0)[3] == pytest.approx(
        10.0 / 3, rel=1e-3
    )
    assert span_flow_values(early, register, 2.0, 1.0, short_h=0.02)[3] == pytest.approx(
        5.0, rel=1e-3
    )


def two_uses_a_day(days: int, morning_l: float, evening_l: float) -> pd.Series:
    """Hourly use [L] of a home drawing ``morning_l`` at 08:00 and ``evening_l`` at 20:00."""
    hours = pd.date_range(START, periods=days * 24, freq="h")
    used = np.select([hours.hour == 8, hours.hour == 20], [morning_l, evening_l], 0.0)
    return pd.Series(used, index=hours)


@pytest.mark.parametrize(
    ("later", "leak"),
    [
        # every use x3: the floor rises by 11 L/h, and the spread threefold
        pytest.param((720.0, 180.0), False, id="more_use_twice_daily"),
        # 12 L/h added: the same rise of the floor, the spread as it was
        pytest.param((384.0, 204.0), True, id="leak_12lph_twice_daily"),
    ],
)
def test_a_leak_leaves_the_spread_of_coarse_intervals_as_it_was(later, leak):
    before, after = two_uses_a_day(50, 240.0, 60.0), two_uses_a_day(20, *later)
    after.index = after.index + pd.Timedelta(days=50)
    reads = reads_from(pd.concat([before, after]), every="12h")
    meter = Meter("M1", unit="m3", resolution=0.001)
    episodes = detect_continuous_flow(reads, meter=meter, as_of=START + pd.Timedelta(days=70))
    assert len(episodes) == int(leak)
    if leak:
        assert episodes[0].evidence["leak_rate_lph"] == pytest.approx(12.0, rel=0.5)


@pytest.mark.parametrize(
    "every", [pytest.param("12h", id="twice_daily"), pytest.param("1D", id="daily")]
)
def test_coming_back_from_holidays_is_not_a_leak_on_coarse_reads(every):
    """Empty intervals say nothing of a lived-in home's usual floor."""
    hourly = household_hourly(100)
    away = ((hourly.index - START).days >= 10) & ((hourly.index - START).days < 50)
    assert leak_episodes(hourly.where(~away, 0.0), every=every, days=100) == []


@pytest.mark.parametrize(
    "every", [pytest.param("12h", id="twice_daily"), pytest.param("1D", id="daily")]
)
def test_a_leak_in_an_empty_home_is_found_on_coarse_reads(every):
    leak_start = START + pd.Timedelta(days=60)
    reads = reads_from(add(household_hourly(80) * 0.0, 60, 20 * 24, 10.0), every=every)
    meter = Meter("M1", unit="m3", resolution=0.001)
    episodes = detect_continuous_flow(reads, meter=meter, as_of=START + pd.Timedelta(days=80))
    assert len(episodes) == 1
    assert episodes[0].confirmed_at - leak_start <= pd.Timedelta(days=7)
    assert episodes[0].evidence["leak_rate_lph"] == pytest.approx(10.0, rel=0.1)


def test_a_coarse_leak_is_confirmed_at_a_read(household):
    """The rise must be seen to last: confirmed when a read shows it, not between reads."""
    reads = reads_from(add(household, 40, 20 * 24, 20.0), every="1D")
    leak = detect_continuous_flow(reads, meter=METER, as_of=START + pd.Timedelta(days=60))[0]
    assert leak.confirmed_at in reads.index
