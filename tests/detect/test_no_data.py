"""No-data detector."""

import pandas as pd
import pytest

from core import Meter
from detect import detect_no_data
from tests.detect.conftest import START, reads_from

METER = Meter("M1")


@pytest.mark.parametrize(
    ("every", "silence_days", "fires"),
    [
        pytest.param("1h", 3, True, id="hourly_3_days"),
        pytest.param("1h", 1.5, False, id="hourly_36h_under_48h"),
        pytest.param("1D", 2.5, False, id="daily_under_3_intervals"),
        pytest.param("1D", 5, True, id="daily_5_days"),
    ],
)
def test_silences_between_reads(household, every, silence_days, fires):
    reads = reads_from(household, every=every)
    gap_start = START + pd.Timedelta(days=30)
    gap_end = gap_start + pd.Timedelta(days=silence_days)
    reads = reads[(reads.index <= gap_start) | (reads.index >= gap_end)]
    episodes = detect_no_data(reads, meter=METER, as_of=reads.index[-1])
    assert bool(episodes) is fires
    if fires:
        assert episodes[0].start == gap_start and episodes[0].end == gap_end
        assert episodes[0].customer_facing is False
        assert episodes[0].evidence["silence_h"] == pytest.approx(silence_days * 24, abs=0.1)


def test_silence_going_on_at_as_of(household):
    reads = reads_from(household)
    as_of = reads.index[-1] + pd.Timedelta(hours=60)
    episodes = detect_no_data(reads, meter=METER, as_of=as_of)
    assert len(episodes) == 1
    assert episodes[0].end is None and episodes[0].start == reads.index[-1]
    assert episodes[0].confirmed_at == reads.index[-1] + pd.Timedelta(hours=48)
    assert detect_no_data(reads, meter=METER, as_of=reads.index[-1] + pd.Timedelta(hours=40)) == []
