"""Over-consumption detector: the early alert (recent weeks, previous years) and
the legal notice of the loi Warsmann (same calendar month of previous years)."""

import numpy as np
import pandas as pd
import pytest

from core import Meter
from detect import detect_overconsumption
from tests.detect.conftest import START, household_hourly, reads_from
from tests.notify.sentences import sentence

METER = Meter("M1", timezone="UTC")
PARIS = Meter("M2", timezone="Europe/Paris")
LEGAL = "same_month_previous_years"


def scaled(hourly: pd.Series, first_day: int, days: int, factor: float) -> pd.Series:
    day = (hourly.index - START).days
    return hourly * np.where((day >= first_day) & (day < first_day + days), factor, 1.0)


def away(hourly: pd.Series, first_day: int, days: int) -> pd.Series:
    """``hourly`` with nobody home for ``days`` days from ``first_day``."""
    return scaled(hourly, first_day, days, 0.0)


def test_fires_on_a_tripled_fortnight(household):
    hourly = scaled(household, 35, 14, 3.0)
    as_of = START + pd.Timedelta(days=60)
    episodes = detect_overconsumption(reads_from(hourly), meter=METER, as_of=as_of)
    assert len(episodes) == 1
    over = episodes[0]
    assert over.evidence["reference_kind"] == "recent_weeks"
    assert over.evidence["reference_years"] == []
    assert over.evidence["ratio"] >= 2.5
    assert over.evidence["volume_m3"] == pytest.approx(
        over.evidence["reference_m3"] * over.evidence["ratio"], rel=0.01
    )
    first, last = (pd.Timestamp(day) for day in over.evidence["period"].split("/"))
    assert last - first == pd.Timedelta(days=13)
    assert not over.legally_notifiable
    spike = START + pd.Timedelta(days=35)
    assert spike - pd.Timedelta(days=7) <= over.start <= spike + pd.Timedelta(days=3)


def test_early_alert_against_the_same_period_of_previous_years():
    days = 3 * 365 + 60
    hourly = household_hourly(days, daily_l=200.0)
    hourly = scaled(hourly, 3 * 365, 60, 2.4)
    as_of = START + pd.Timedelta(days=days)
    episodes = detect_overconsumption(reads_from(hourly, every="1D"), meter=METER, as_of=as_of)
    assert len(episodes) == 1
    (over,) = episodes
    # the early alert came first, the notice of the months above twice joined it
    assert over.confirmed_at < START + pd.Timedelta(days=3 * 365 + 30)
    assert over.legally_notifiable
    assert over.evidence["reference_kind"] == LEGAL
    assert over.evidence["reference_years"] == [2026, 2027, 2028]
    assert over.evidence["ratio"] == pytest.approx(2.4, rel=0.15)
    assert over.estimated_volume_m3 == pytest.approx(
        over.evidence["volume_m3"] - over.evidence["reference_m3"], abs=0.01
    )
    gas = detect_overconsumption(
        reads_from(hourly, every="1D"), meter=Meter("G", kind="gas", timezone="UTC"), as_of=as_of
    )
    assert gas and not any(e.legally_notifiable for e in gas)
    assert {e.evidence["reference_kind"] for e in gas} == {"previous_years"}


@pytest.mark.parametrize("every", [pytest.param("1h", id="hourly"), pytest.param("1D", id="daily")])
def test_quiet_on_holiday_and_seasonal_peak(every):
    hourly = household_hourly(120)
    day = (hourly.index - START).days
    season = 1.0 + 0.7 * np.clip((day - 50) / 40.0, 0, 1)
    holiday = (day >= 40) & (day < 47)
    normal = (hourly * season).where(~holiday, 0.0)
    as_of = START + pd.Timedelta(days=120)
    assert detect_overconsumption(reads_from(normal, every=every), meter=METER, as_of=as_of) == []


@pytest.mark.parametrize(
    ("history", "weeks", "every"),
    [
        pytest.param(30, 6, "1h", id="six_weeks_away_after_a_month_hourly"),
        pytest.param(30, 6, "12h", id="six_weeks_away_after_a_month_twice_daily"),
        pytest.param(25, 3, "1D", id="three_weeks_away_after_25_days_daily"),
        pytest.param(60, 5, "1h", id="five_weeks_away_after_two_months"),
        pytest.param(400, 5, "1D", id="five_weeks_away_with_a_year_of_history"),
    ],
)
def test_quiet_on_ordinary_use_back_from_weeks_away(history, weeks, every):
    days = history + 7 * weeks + 42
    hourly = away(household_hourly(days), history, 7 * weeks)
    as_of = START + pd.Timedelta(days=days)
    reads = reads_from(hourly, every=every)
    assert detect_overconsumption(reads, meter=METER, as_of=as_of) == []


@pytest.mark.parametrize(
    ("history", "factor", "kind"),
    [
        pytest.param(60, 3.0, "recent_weeks", id="tripled_after_a_holiday"),
        pytest.param(400, 2.5, "previous_years", id="more_than_doubled_with_a_year_of_history"),
    ],
)
def test_a_rise_after_weeks_away_still_alerts(history, factor, kind):
    # four weeks away, then five weeks of use raised by ``factor``
    back = history + 28
    hourly = scaled(away(household_hourly(back + 35), history, 28), back, 35, factor)
    as_of = START + pd.Timedelta(days=back + 35)
    episodes = detect_overconsumption(reads_from(hourly, every="1D"), meter=METER, as_of=as_of)
    assert [e.evidence["reference_kind"] for e in episodes] == [kind]
    (over,) = episodes
    assert over.start >= START + pd.Timedelta(days=back - 30)
    assert over.evidence["ratio"] >= 2.0
    assert not over.legally_notifiable


def test_a_home_empty_every_weekend_keeps_its_usual_level():
    # weekends away are part of the home's usual level, not absences left out
    hourly = household_hourly(90)
    weekend = pd.Series(hourly.index.day_of_week >= 5, index=hourly.index)
    hourly = scaled(hourly.where(~weekend, 0.0), 63, 14, 3.0)
    as_of = START + pd.Timedelta(days=90)
    episodes = detect_overconsumption(reads_from(hourly), meter=METER, as_of=as_of)
    assert [e.evidence["reference_kind"] for e in episodes] == ["recent_weeks"]


def test_the_absence_of_a_home_that_never_was_lived_in_is_no_reference():
    # a newly occupied home: months of near-nothing, then ordinary use
    hourly = household_hourly(150) * 0.01
    hourly = scaled(hourly, 90, 60, 100.0)
    as_of = START + pd.Timedelta(days=150)
    assert detect_overconsumption(reads_from(hourly), meter=METER, as_of=as_of) == []


def stale(reads: pd.DataFrame, first_day: int, days: int) -> pd.DataFrame:
    """``reads`` whose index repeats its value of ``first_day`` for ``days`` days and
    then catches up, as a head-end that kept sending the last index."""
    out = reads.copy()
    day = (out.index - START).days
    inside = (day > first_day) & (day <= first_day + days)
    out.loc[inside, "index"] = out["index"][day == first_day].iloc[0]
    return out


@pytest.mark.parametrize(
    ("tripled", "fires"),
    [
        pytest.param(False, False, id="catch_up_alone"),
        pytest.param(True, True, id="tripled_fortnight_after_a_catch_up"),
    ],
)
def test_a_catch_up_after_stale_daily_reads_is_not_one_day_of_use(tripled, fires):
    # a month of repeated index then a jump of the month's use: taken as read, a
    # fortnight holding the jump is three times the reference
    hourly = household_hourly(150)
    if tripled:
        hourly = scaled(hourly, 110, 21, 3.0)
    reads = stale(reads_from(hourly, every="1D"), 50, 30)
    as_of = START + pd.Timedelta(days=150)
    episodes = detect_overconsumption(reads, meter=METER, as_of=as_of)
    assert bool(episodes) is fires
    if fires:
        assert all(e.start >= START + pd.Timedelta(days=95) for e in episodes)


def test_an_absence_ending_on_an_ordinary_day_is_not_a_catch_up():
    # a still register that resumes with an ordinary day is an absence, not stale reads
    hourly = away(household_hourly(150), 50, 30)
    reads = reads_from(hourly, every="1D")
    as_of = START + pd.Timedelta(days=150)
    assert detect_overconsumption(reads, meter=METER, as_of=as_of) == []
    tripled = scaled(hourly, 110, 21, 3.0)
    assert detect_overconsumption(reads_from(tripled, every="1D"), meter=METER, as_of=as_of)


# ---------------------------------------------------------------- loi Warsmann


def steady_hourly(
    first: str, last: str, daily_l: float, months: dict[str, float] | None = None
) -> pd.Series:
    """The same use every hour [L], ``daily_l`` a day, from ``first`` to ``last``
    (local days in Paris), at ``months[period]`` a day in the local months named
    (``2029-03``) or the ranges of local days named (``2029-03-16/2029-04-14``)."""
    hours = pd.date_range(first, last, freq="h", tz="Europe/Paris", inclusive="left")
    rate = np.full(hours.size, daily_l)
    for period, level in (months or {}).items():
        lo, _, hi = period.partition("/")
        start = pd.Timestamp(lo, tz="Europe/Paris")
        end = pd.Timestamp(hi, tz="Europe/Paris") + pd.DateOffset(days=1) if hi else None
        end = end if end is not None else start + pd.DateOffset(months=1)
        rate[(hours >= start) & (hours < end)] = level
    return pd.Series(rate / 24.0, index=hours.tz_convert("UTC"))


def notices(episodes, period: str):
    return [e for e in episodes if e.legally_notifiable and e.evidence["period"] == period]


@pytest.mark.parametrize(
    ("factor", "notifiable"),
    [
        pytest.param(2.1, True, id="march_at_2_1x_notifiable"),
        pytest.param(1.9, False, id="march_at_1_9x_not_notifiable"),
    ],
)
def test_loi_warsmann_a_month_above_twice_the_same_month_of_three_years(factor, notifiable):
    hourly = steady_hourly("2026-01-01", "2029-04-10", 200.0, {"2029-03": 200.0 * factor})
    as_of = pd.Timestamp("2029-04-10", tz="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=PARIS, as_of=as_of)
    march = notices(episodes, "2029-03")
    assert bool(march) is notifiable
    assert all(not e.legally_notifiable for e in episodes if e not in march)
    if notifiable:
        (notice,) = march
        ev = notice.evidence
        assert ev["reference_kind"] == LEGAL
        assert ev["reference_years"] == [2026, 2027, 2028]
        assert ev["ratio"] == pytest.approx(factor, abs=0.01)
        # March, local: 31 days less the hour of the change to summer time
        assert ev["reference_m3"] == pytest.approx(0.2 * (31 - 1 / 24), abs=1e-3)
        assert ev["threshold_m3"] == pytest.approx(2 * ev["reference_m3"], abs=1e-3)
        assert ev["month_over"]
        # the early alert on the last 30 days of March joined the notice
        assert notice.start <= pd.Timestamp("2029-03-01", tz="Europe/Paris")
        assert notice.end >= pd.Timestamp("2029-04-01", tz="Europe/Paris")
        assert "March 2026, 2027 and 2028" in sentence(notice)


@pytest.mark.parametrize(
    ("first", "levels", "years"),
    [
        pytest.param(
            "2027-01-01", {"2027-03": 150.0, "2028-03": 250.0}, [2027, 2028], id="two_years_known"
        ),
        pytest.param(
            "2025-01-01",
            {"2025-03": 600.0, "2026-03": 250.0, "2027-03": 150.0, "2028-03": 200.0},
            [2026, 2027, 2028],
            id="four_years_known_three_averaged",
        ),
    ],
)
def test_loi_warsmann_averages_the_previous_years_available(first, levels, years):
    # 420 L a day in March 2029 is 2.1 times the mean of the years averaged
    # (200 L a day), not of the last year alone (two years), nor of four years
    hourly = steady_hourly(first, "2029-04-10", 200.0, {**levels, "2029-03": 420.0})
    as_of = pd.Timestamp("2029-04-10", tz="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=PARIS, as_of=as_of)
    (notice,) = notices(episodes, "2029-03")
    assert notice.evidence["reference_years"] == years
    assert notice.evidence["ratio"] == pytest.approx(2.1, abs=0.01)
    if len(years) < 3:
        assert "(the years of this meter's history)" in sentence(notice)


def test_loi_warsmann_counts_local_months():
    # 1.95 times in March, local, and a use of 1 m3 in the first hour of 1 April,
    # local, which is still 31 March in UTC: March is not above twice
    hourly = steady_hourly("2026-01-01", "2029-04-10", 200.0, {"2029-03": 390.0})
    first_hour = pd.Timestamp("2029-04-01 00:00", tz="Europe/Paris").tz_convert("UTC")
    hourly[first_hour] += 1000.0
    as_of = pd.Timestamp("2029-04-10", tz="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=PARIS, as_of=as_of)
    assert not any(e.legally_notifiable for e in episodes)


def test_a_rolling_window_across_two_months_is_no_legal_notice():
    # 30 days at 2.1 times from mid-March: the early alert fires on its rolling
    # window, but neither calendar month is above twice the same month
    hourly = steady_hourly("2026-01-01", "2029-05-01", 200.0, {"2029-03-16/2029-04-14": 420.0})
    as_of = pd.Timestamp("2029-05-01", tz="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=PARIS, as_of=as_of)
    assert [e.evidence["reference_kind"] for e in episodes] == ["previous_years"]
    assert not episodes[0].legally_notifiable
    assert episodes[0].evidence["reference_years"] == [2026, 2027, 2028]
    # 30 local days, across the change to summer time
    first, last = (pd.Timestamp(day) for day in episodes[0].evidence["period"].split("/"))
    assert last - first == pd.Timedelta(days=29)


def test_loi_warsmann_notifies_a_month_going_on_once_it_passes_twice():
    # three times the use from 1 March: the volume so far passes twice March's
    # reference on the 21st (21 x 600 L > 2 x 31 x 200 L), the month goes on
    hourly = steady_hourly("2026-01-01", "2029-03-26", 200.0, {"2029-03": 600.0})
    as_of = pd.Timestamp("2029-03-26", tz="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=PARIS, as_of=as_of)
    (notice,) = notices(episodes, "2029-03")
    assert notice.end is None
    assert not notice.evidence["month_over"]
    assert "March 2029 so far" in sentence(notice)
    assert notice.evidence["volume_m3"] > notice.evidence["threshold_m3"]
    # the early alert came before; the notice's day is when the month passed twice
    assert notice.confirmed_at < pd.Timestamp("2029-03-21", tz="Europe/Paris")
    assert notice.start <= pd.Timestamp("2029-03-01", tz="Europe/Paris")


def test_loi_warsmann_keeps_the_months_the_home_stood_empty():
    # away in March 2028, at home in March 2029: the early alert leaves the empty
    # month out of its reference (200 L a day is 1.3 times March 2027), the law
    # averages it in (2.7 times the mean of 150 and 0 L a day)
    hourly = steady_hourly("2027-01-01", "2029-04-10", 200.0, {"2027-03": 150.0, "2028-03": 0.0})
    as_of = pd.Timestamp("2029-04-10", tz="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=PARIS, as_of=as_of)
    (notice,) = episodes
    assert notice.legally_notifiable
    assert notice.evidence["period"] == "2029-03"
    assert notice.evidence["reference_years"] == [2027, 2028]
    assert notice.evidence["ratio"] == pytest.approx(200 / 75, abs=0.01)


@pytest.mark.parametrize(
    "kind", [pytest.param("water", id="water"), pytest.param("gas", id="gas_never")]
)
def test_loi_warsmann_is_for_water_only(kind):
    hourly = steady_hourly("2026-01-01", "2029-04-10", 200.0, {"2029-03": 500.0})
    as_of = pd.Timestamp("2029-04-10", tz="Europe/Paris")
    meter = Meter("M3", kind=kind, timezone="Europe/Paris")
    episodes = detect_overconsumption(reads_from(hourly), meter=meter, as_of=as_of)
    assert episodes
    assert any(e.legally_notifiable for e in episodes) is (kind == "water")
    if kind == "gas":
        assert all(e.evidence["reference_kind"] != LEGAL for e in episodes)
