"""Zero-consumption detector."""

import pandas as pd
import pytest

from core import Meter
from detect import detect_zero_consumption
from tests.detect.conftest import START, household_hourly, reads_from

METER = Meter("M1", timezone="UTC")


def stopped(hourly: pd.Series, first_day: int, days: int) -> pd.Series:
    day = (hourly.index - START).days
    return hourly.where((day < first_day) | (day >= first_day + days), 0.0)


@pytest.mark.parametrize("every", [pytest.param("1h", id="hourly"), pytest.param("12h", id="12h")])
def test_fires_after_two_weeks_without_use(household, every):
    hourly = stopped(household, 35, 30)
    as_of = START + pd.Timedelta(days=60)
    episodes = detect_zero_consumption(reads_from(hourly, every=every), meter=METER, as_of=as_of)
    assert len(episodes) == 1
    stop = episodes[0]
    assert abs(stop.start - (START + pd.Timedelta(days=35))) <= pd.Timedelta(days=1)
    assert stop.end is None
    assert stop.confirmed_at == stop.start + pd.Timedelta(days=14)
    assert stop.evidence["days"] >= 24
    assert stop.evidence["usual_daily_l"] > 100


def test_resumed_use_ends_the_episode(household):
    hourly = stopped(household, 30, 20)
    episodes = detect_zero_consumption(
        reads_from(hourly), meter=METER, as_of=START + pd.Timedelta(days=60)
    )
    assert len(episodes) == 1
    assert episodes[0].end == START + pd.Timedelta(days=50)


def test_quiet_on_a_holiday_week(household):
    hourly = stopped(household, 30, 7)
    as_of = START + pd.Timedelta(days=60)
    assert detect_zero_consumption(reads_from(hourly), meter=METER, as_of=as_of) == []


def test_quiet_on_a_meter_never_used():
    hourly = household_hourly(60) * 0.0
    as_of = START + pd.Timedelta(days=60)
    assert detect_zero_consumption(reads_from(hourly), meter=METER, as_of=as_of) == []


def test_quiet_on_a_silent_meter(household):
    reads = reads_from(household)
    day = (reads.index - START).days
    silent = reads[(day < 30) | (day >= 50)]
    as_of = START + pd.Timedelta(days=60)
    assert detect_zero_consumption(silent, meter=METER, as_of=as_of) == []


def test_a_stop_across_the_autumn_dst_change():
    hourly = household_hourly(70)
    hourly.index = hourly.index + (pd.Timestamp("2026-09-01", tz="UTC") - START)
    stop = (hourly.index >= "2026-10-15") & (hourly.index < "2026-11-05")
    reads = reads_from(hourly.where(~stop, 0.0))
    meter = Meter("M1", timezone="Europe/Paris")
    episodes = detect_zero_consumption(
        reads, meter=meter, as_of=pd.Timestamp("2026-11-09", tz="UTC")
    )
    assert len(episodes) == 1
    assert episodes[0].evidence["days"] >= 20
