"""Meter alarms passed through."""

import pandas as pd

from core import Meter
from detect import detect_meter_alarm
from tests.detect.conftest import START
from tests.notify.sentences import sentence

METER = Meter("M1")


def events(times_h, code):
    return pd.DataFrame(
        {
            "ts": [START + pd.Timedelta(hours=h) for h in times_h],
            "code": code,
            "raw": f'{{"status":"{code}"}}',
        }
    )


def test_repeats_of_a_code_are_one_episode():
    frame = pd.concat([events([0, 6, 12, 18], "LEAK"), events([100], "DRY")])
    as_of = START + pd.Timedelta(hours=20)
    episodes = detect_meter_alarm(frame, meter=METER, as_of=as_of)
    assert [(e.evidence["code"], e.start, e.end) for e in episodes] == [("LEAK", START, None)]
    assert episodes[0].evidence["raw"] == '{"status":"LEAK"}'
    assert "(code LEAK)" in sentence(episodes[0])


def test_alarm_ends_when_the_meter_stops_repeating_it():
    frame = pd.concat([events([0, 6], "BURST"), events([200], "TAMPER"), events([1], "REVERSE")])
    as_of = START + pd.Timedelta(hours=210)
    episodes = detect_meter_alarm(frame, meter=METER, as_of=as_of)
    by_code = {e.evidence["code"]: e for e in episodes}
    assert set(by_code) == {"BURST", "TAMPER"}
    assert by_code["BURST"].end == START + pd.Timedelta(hours=6)
    assert by_code["BURST"].severity == "critical"
    assert by_code["TAMPER"].end is None


def test_no_events():
    assert detect_meter_alarm(None, meter=METER, as_of=START) == []
