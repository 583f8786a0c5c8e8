"""Over-consumption detector (loi Warsmann and recent weeks)."""

import numpy as np
import pandas as pd
import pytest

from core import Meter
from detect import detect_overconsumption
from tests.detect.conftest import START, household_hourly, reads_from

METER = Meter("M1", timezone="UTC")


def scaled(hourly: pd.Series, first_day: int, days: int, factor: float) -> pd.Series:
    day = (hourly.index - START).days
    return hourly * np.where((day >= first_day) & (day < first_day + days), factor, 1.0)


def test_fires_on_a_tripled_fortnight(household):
    hourly = scaled(household, 35, 14, 3.0)
    as_of = START + pd.Timedelta(days=60)
    episodes = detect_overconsumption(reads_from(hourly), meter=METER, as_of=as_of)
    assert len(episodes) == 1
    over = episodes[0]
    assert over.evidence["reference_kind"] == "recent_weeks"
    assert over.evidence["ratio"] >= 2.5
    assert over.evidence["volume_m3"] == pytest.approx(
        over.evidence["reference_m3"] * over.evidence["ratio"], rel=0.01
    )
    assert not over.legally_notifiable
    spike = START + pd.Timedelta(days=35)
    assert spike - pd.Timedelta(days=7) <= over.start <= spike + pd.Timedelta(days=3)


def test_loi_warsmann_against_the_same_period_of_previous_years():
    days = 3 * 365 + 60
    hourly = household_hourly(days, daily_l=200.0)
    hourly = scaled(hourly, 3 * 365, 60, 2.4)
    as_of = START + pd.Timedelta(days=days)
    episodes = detect_overconsumption(reads_from(hourly, every="1D"), meter=METER, as_of=as_of)
    legal = [e for e in episodes if e.evidence["reference_kind"] == "previous_years"]
    assert legal, episodes
    assert all(e.legally_notifiable for e in legal)
    peak = max(legal, key=lambda e: e.evidence["ratio"])
    assert peak.evidence["ratio"] == pytest.approx(2.4, rel=0.15)
    assert peak.estimated_volume_m3 == pytest.approx(
        peak.evidence["volume_m3"] - peak.evidence["reference_m3"], abs=0.01
    )
    gas = detect_overconsumption(
        reads_from(hourly, every="1D"), meter=Meter("G", kind="gas", timezone="UTC"), as_of=as_of
    )
    assert gas and not any(e.legally_notifiable for e in gas)


@pytest.mark.parametrize("every", [pytest.param("1h", id="hourly"), pytest.param("1D", id="daily")])
def test_quiet_on_holiday_and_seasonal_peak(every):
    hourly = household_hourly(120)
    day = (hourly.index - START).days
    season = 1.0 + 0.7 * np.clip((day - 50) / 40.0, 0, 1)
    holiday = (day >= 40) & (day < 47)
    normal = (hourly * season).where(~holiday, 0.0)
    as_of = START + pd.Timedelta(days=120)
    assert detect_overconsumption(reads_from(normal, every=every), meter=METER, as_of=as_of) == []


def test_quiet_on_the_return_from_a_month_away():
    hourly = household_hourly(150)
    day = (hourly.index - START).days
    away = (day >= 60) & (day < 95)
    reads = reads_from(hourly.where(~away, 0.0))
    as_of = START + pd.Timedelta(days=150)
    assert detect_overconsumption(reads, meter=METER, as_of=as_of) == []
    # the same weeks are abnormal when the use after the return is tripled
    tripled = scaled(hourly.where(~away, 0.0), 95, 21, 3.0)
    assert detect_overconsumption(reads_from(tripled), meter=METER, as_of=as_of)


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
    hourly = household_hourly(150)
    day = (hourly.index - START).days
    away = hourly.where((day < 50) | (day >= 80), 0.0)
    reads = reads_from(away, every="1D")
    as_of = START + pd.Timedelta(days=150)
    assert detect_overconsumption(reads, meter=METER, as_of=as_of) == []
    tripled = scaled(away, 110, 21, 3.0)
    assert detect_overconsumption(reads_from(tripled, every="1D"), meter=METER, as_of=as_of)
