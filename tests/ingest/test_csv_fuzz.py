"""Property: garbage lines never crash the parser and never cost a good row."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.csv_files import parse_header
from ingest.readings_csv import ReadingsCsvOptions, parse_readings, resolve_columns
from tests.ingest.lines import split_lines

HEADER = parse_header("meter_id,timestamp,index,unit,quality", "f.csv")
OPTIONS = ReadingsCsvOptions()
NOW = pd.Timestamp("2026-06-01T00:00Z")
GOOD = [f"M{i},2026-03-0{1 + i}T10:00:00Z,{i}.5,m3,actual" for i in range(5)]

garbage = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=200
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(garbage, max_size=20), st.randoms(use_true_random=False))
def test_garbage_never_crashes_and_never_costs_a_good_row(junk: list[str], rnd) -> None:
    lines = GOOD + junk
    rnd.shuffle(lines)
    fields, bad = split_lines(lines, HEADER)
    positions = resolve_columns(HEADER, OPTIONS, "f.csv")
    readings, rejects = parse_readings(
        fields, positions, HEADER, OPTIONS, location="f.csv", now=NOW
    )
    assert set(GOOD) <= set(readings["raw"])
    # Empty lines and lines of bare delimiters carry no row; everything else is a reading or a rejection.
    blank = sum(1 for line in lines if line == "" or line.strip() == ",,,,")
    assert len(readings) + len(rejects) + len(bad) == len(lines) - blank, (
        "every line is accounted for"
    )
    assert rejects["reason"].map(bool).all() and bad["reason"].map(bool).all()
