"""All detectors on one meter."""

import numpy as np
import pandas as pd

from core import Meter
from detect import DetectSettings, detect_all
from tests.detect.conftest import START, TARIFF, add, household_hourly, reads_from
from tests.notify.sentences import sentence


def test_a_leak_explains_its_overconsumption(household):
    hourly = add(household, 40, 20 * 24, 50.0)
    reads = reads_from(hourly)
    as_of = START + pd.Timedelta(days=60)
    meter = Meter("M1", timezone="UTC")
    types = [e.type for e in detect_all(reads, meter=meter, as_of=as_of)]
    assert types == ["continuous_flow"]
    both = DetectSettings(explained_overconsumption=False)
    types = {e.type for e in detect_all(reads, meter=meter, as_of=as_of, settings=both)}
    assert types == {"continuous_flow", "overconsumption"}


def test_every_type_on_one_meter(household):
    hourly = add(household, 20.5, 3, 1500.0)
    hourly = add(hourly, 45, 10 * 24, 20.0)
    reads = reads_from(hourly)
    reads = reads[
        (reads.index < START + pd.Timedelta(days=30))
        | (reads.index > START + pd.Timedelta(days=33))
    ]
    events = pd.DataFrame({"ts": [START + pd.Timedelta(days=10)], "code": ["DRY"], "raw": ["DRY"]})
    episodes = detect_all(
        reads, meter=Meter("M1"), as_of=START + pd.Timedelta(days=60), events=events, tariff=TARIFF
    )
    assert {e.type for e in episodes} == {"burst", "continuous_flow", "no_data", "meter_alarm"}
    assert all(e.meter_id == "M1" for e in episodes)
    assert all(sentence(e, "fr") and sentence(e, "en") for e in episodes)
    assert np.isfinite([e.estimated_cost_eur for e in episodes if e.type == "burst"]).all()


def test_as_of_in_any_timezone(household):
    reads = reads_from(add(household, 40, 20 * 24, 20.0))
    as_of = START + pd.Timedelta(days=60)
    meter = Meter("M1")
    utc = detect_all(reads, meter=meter, as_of=as_of)
    paris = detect_all(reads, meter=meter, as_of=as_of.tz_convert("Europe/Paris"))
    assert paris == utc and utc


def test_a_legal_notice_is_kept_though_a_leak_explains_it():
    """Three years of a household, then a 20 L/h leak through March 2029: the loi
    Warsmann notice is owed for March, whatever explains the volume."""
    hourly = household_hourly(1190)
    leaking = (hourly.index >= "2029-03-01") & (hourly.index < "2029-04-01")
    reads = reads_from(hourly + np.where(leaking, 20.0, 0.0))
    meter = Meter("M1", timezone="UTC")
    episodes = detect_all(reads, meter=meter, as_of=reads.index[-1], tariff=TARIFF)
    assert any(e.type == "continuous_flow" for e in episodes)
    notices = [e for e in episodes if e.legally_notifiable]
    assert [e.evidence["period"] for e in notices] == ["2029-03"]
