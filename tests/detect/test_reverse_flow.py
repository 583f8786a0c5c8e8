"""Reverse-flow detector."""

import pandas as pd
import pytest

from core import Meter
from detect import detect_reverse_flow
from tests.detect.conftest import START, add, reads_from
from tests.notify.sentences import sentence

METER = Meter("M1")
AS_OF = START + pd.Timedelta(days=60)


def test_fires_on_index_going_back(household):
    hourly = add(household, 40.1, 3, -20.0)
    episodes = detect_reverse_flow(reads_from(hourly), meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    back = episodes[0]
    assert abs(back.start - (START + pd.Timedelta(days=40.1))) <= pd.Timedelta(hours=2)
    assert back.evidence["decrease_l"] == pytest.approx(60.0, abs=2.0)
    assert "by 60\u00a0L" in sentence(back)


@pytest.mark.parametrize(
    ("drop_l", "resolution_l", "fires"),
    [
        pytest.param(1.0, 1.0, False, id="one_litre_jitter"),
        pytest.param(10.0, 10.0, False, id="one_step_of_a_10l_register"),
        pytest.param(30.0, 10.0, True, id="three_steps_of_a_10l_register"),
    ],
)
def test_resolution_decides(household, drop_l, resolution_l, fires):
    quiet = household.where(household.index.hour >= 6, 0.0)
    hourly = add(quiet, 40.1, 1, -drop_l)
    reads = reads_from(hourly, resolution_l=resolution_l)
    assert bool(detect_reverse_flow(reads, meter=METER, as_of=AS_OF)) is fires


def test_findings_and_meter_alarm(household):
    reads = reads_from(household)
    findings = pd.DataFrame(
        {
            "ts": [START + pd.Timedelta(days=20)],
            "code": ["decrease"],
            "detail": ["index 12.3 below 12.35"],
            "amount": [-0.05],
        }
    )
    events = pd.DataFrame(
        {
            "ts": [START + pd.Timedelta(days=30)],
            "code": ["REVERSE"],
            "raw": ['{"status":"REVERSE"}'],
        }
    )
    episodes = detect_reverse_flow(
        reads, meter=METER, as_of=AS_OF, findings=findings, events=events
    )
    assert [e.start for e in episodes] == [START + pd.Timedelta(days=d) for d in (20, 30)]
    assert episodes[0].evidence["decrease_l"] == pytest.approx(50.0)
    assert episodes[1].evidence["meter_alarm"] is True


def test_a_slow_reversal_shows_in_its_depth_below_the_peak(household):
    # 8 L back per hour for 4 h on a 10 L register: no read-to-read drop clears
    # the 15 L tolerance, the 32 L below the last peak does
    quiet = household.where(household.index.hour >= 6, 0.0)
    hourly = add(quiet, 40.0, 4, -8.0)
    reads = reads_from(hourly, resolution_l=10.0)
    assert (-reads["index"].diff() * 1000.0).max() <= 15.0
    episodes = detect_reverse_flow(reads, meter=METER, as_of=AS_OF)
    assert len(episodes) == 1
    back = episodes[0]
    began = START + pd.Timedelta(days=40)
    assert began - pd.Timedelta(hours=1) <= back.start <= began
    assert back.end is not None and back.end <= began + pd.Timedelta(hours=5)
    assert back.evidence["decrease_l"] == pytest.approx(30.0, abs=10.0)
