"""Readings CSV parsing and row validation: one case per rejection reason."""

from __future__ import annotations

import pandas as pd
import pytest

from ingest.csv_files import parse_header
from ingest.exceptions import FileProblem
from ingest.readings_csv import ReadingsCsvOptions, parse_readings, resolve_columns
from tests.ingest.lines import split_lines

NOW = pd.Timestamp("2026-03-10T12:00:00Z")
HEADER = "meter_id,timestamp,index,unit,quality"


def parse(
    text: str, options: ReadingsCsvOptions | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    options = options or ReadingsCsvOptions()
    header_line, *lines = text.strip("\n").split("\n")
    header = parse_header(header_line, "f.csv")
    positions = resolve_columns(header, options, "f.csv")
    fields, bad = split_lines(lines, header)
    readings, rejects = parse_readings(
        fields, positions, header, options, location="f.csv", now=NOW
    )
    return readings, pd.concat([bad, rejects])


def test_valid_rows_become_readings_in_utc() -> None:
    readings, rejects = parse(
        f"{HEADER}\nM1,2026-03-01T10:00:00+01:00,12.5,m3,actual\nM1,2026-03-01 11:00,13,M3,\n"
    )
    assert rejects.empty
    assert list(readings["ts"]) == [
        pd.Timestamp("2026-03-01T09:00Z"),
        pd.Timestamp("2026-03-01T10:00Z"),
    ]
    assert list(readings["index"]) == [12.5, 13.0]
    assert list(readings["unit"]) == ["m3", "m3"]
    assert list(readings["quality"]) == ["actual", "actual"]
    assert list(readings["location"]) == ["f.csv:2", "f.csv:3"]


@pytest.mark.parametrize(
    ("line", "code", "words"),
    [
        pytest.param(
            ",2026-03-01T10:00Z,1,m3,", "missing_meter_id", "empty", id="missing_meter_id"
        ),
        pytest.param("bad id,2026-03-01T10:00Z,1,m3,", "bad_meter_id", "bad id", id="bad_meter_id"),
        pytest.param(
            "M" * 65 + ",2026-03-01T10:00Z,1,m3,", "bad_meter_id", "1-64", id="meter_id_too_long"
        ),
        pytest.param(
            "M1,yesterday,1,m3,", "unparsable_timestamp", "yesterday", id="unparsable_timestamp"
        ),
        pytest.param(
            "M1,2026-02-30T10:00Z,1,m3,", "unparsable_timestamp", "2026-02-30", id="impossible_date"
        ),
        pytest.param(
            "M1,1999-12-31T10:00Z,1,m3,", "timestamp_too_old", "before 2000", id="too_old"
        ),
        pytest.param(
            "M1,2026-03-12T10:00Z,1,m3,", "future_timestamp", "more than a day", id="future"
        ),
        pytest.param("M1,2026-03-29 02:30,1,m3,", "nonexistent_local_time", "DST", id="dst_gap"),
        pytest.param(
            "M1,2025-10-26 02:30,1,m3,", "ambiguous_local_time", "repeated hour", id="dst_repeat"
        ),
        pytest.param("M1,2026-03-01T10:00Z,,m3,", "missing_index", "empty", id="missing_index"),
        pytest.param("M1,2026-03-01T10:00Z,abc,m3,", "bad_index", "'abc'", id="bad_index"),
        pytest.param("M1,2026-03-01T10:00Z,inf,m3,", "bad_index", "finite", id="infinite_index"),
        pytest.param("M1,2026-03-01T10:00Z,nan,m3,", "bad_index", "finite", id="nan_index"),
        pytest.param(
            "M1,2026-03-01T10:00Z,-3,m3,", "negative_index", "negative", id="negative_index"
        ),
        pytest.param(
            "M1,2026-03-01T10:00Z,3,gallons,", "unknown_unit", "gallons", id="unknown_unit"
        ),
        pytest.param(
            "M1,2026-03-01T10:00Z,3,m3,guessed", "bad_quality", "guessed", id="bad_quality"
        ),
        pytest.param(
            "M1,2026-03-01T10:00Z,3,m3", "wrong_field_count", "4 fields", id="too_few_fields"
        ),
        pytest.param(
            "M1,2026-03-01T10:00Z,3,m3,actual,x",
            "wrong_field_count",
            "6 fields",
            id="too_many_fields",
        ),
    ],
)
def test_each_bad_row_is_rejected_with_its_reason(line: str, code: str, words: str) -> None:
    good = "M9,2026-03-01T10:00Z,1,m3,actual"
    readings, rejects = parse(f"{HEADER}\n{good}\n{line}\n")
    assert list(readings["meter_id"]) == ["M9"], "the good row beside the bad one is kept"
    assert list(rejects["reason_code"]) == [code]
    assert words in rejects["reason"].iloc[0]
    assert rejects["location"].iloc[0] == "f.csv:3"
    assert rejects["raw"].iloc[0] == line


def test_semicolon_files_accept_decimal_commas() -> None:
    readings, rejects = parse("meter_id;timestamp;index;unit\nM1;2026-03-01T10:00Z;1234,567;m3\n")
    assert rejects.empty
    assert readings["index"].iloc[0] == pytest.approx(1234.567)


def test_quoted_fields_are_read() -> None:
    readings, rejects = parse(f'{HEADER}\n"M1","2026-03-01T10:00Z","7.5","m3","actual"\n')
    assert rejects.empty
    assert readings["index"].iloc[0] == 7.5


def test_blank_lines_are_skipped_and_numbering_stays_exact() -> None:
    readings, rejects = parse(f"{HEADER}\n\nM1,2026-03-01T10:00Z,1,m3,\n\nM1,x,1,m3,\n")
    assert list(readings["location"]) == ["f.csv:3"]
    assert list(rejects["location"]) == ["f.csv:5"]


def test_column_mapping_unit_and_timestamp_format_read_a_foreign_export() -> None:
    options = ReadingsCsvOptions(
        columns={"meter_id": "user key", "timestamp": "datetime", "index": "meter reading"},
        unit="L",
        timestamp_format="%d/%m/%Y %H:%M:%S",
        timezone="Europe/Athens",
    )
    text = "user key;datetime;meter reading;diff\nabc-1;01/03/2016 00:28:55;68321;10\n"
    readings, rejects = parse(text, options)
    assert rejects.empty
    assert readings["ts"].iloc[0] == pd.Timestamp("2016-02-29T22:28:55Z")
    assert readings["unit"].iloc[0] == "L"
    assert readings["index"].iloc[0] == 68321


def test_missing_required_column_stops_the_file_with_a_hint() -> None:
    with pytest.raises(FileProblem, match="index.*--columns index="):
        parse("meter_id,timestamp,unit\nM1,2026-03-01T10:00Z,m3\n")


def test_unit_column_may_be_replaced_by_an_option() -> None:
    with pytest.raises(FileProblem, match="--unit"):
        parse("meter_id,timestamp,index\nM1,2026-03-01T10:00Z,1\n")
    readings, _ = parse(
        "meter_id,timestamp,index\nM1,2026-03-01T10:00Z,1\n", ReadingsCsvOptions(unit="m3")
    )
    assert readings["unit"].iloc[0] == "m3"


def test_the_repeated_dst_hour_is_resolved_by_each_meters_order() -> None:
    text = (
        f"{HEADER}\n"
        "M1,2025-10-26 02:10,1,m3,\nM2,2025-10-26 02:40,5,m3,\n"
        "M1,2025-10-26 02:40,2,m3,\nM1,2025-10-26 02:10,3,m3,\nM1,2025-10-26 02:40,4,m3,\n"
    )
    readings, rejects = parse(text)
    m1 = readings[readings["meter_id"] == "M1"]
    assert list(m1["ts"]) == [
        pd.Timestamp("2025-10-26T00:10Z"),
        pd.Timestamp("2025-10-26T00:40Z"),
        pd.Timestamp("2025-10-26T01:10Z"),
        pd.Timestamp("2025-10-26T01:40Z"),
    ]
    assert list(rejects["reason_code"]) == ["ambiguous_local_time"], (
        "M2's single read cannot be placed"
    )
