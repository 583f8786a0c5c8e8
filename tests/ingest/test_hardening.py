"""Defects found by hostile or careless input (issue 19): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import psycopg
import pytest

from ingest.csv_load import load_csv_file
from ingest.readings_csv import ReadingsCsvOptions

pytestmark = pytest.mark.integration
SAMPLE_METERS = Path(__file__).resolve().parents[2] / "data" / "sample" / "meters.csv"
READINGS = "meter_id,timestamp,index,unit\n"
PENDING = pytest.mark.xfail(
    strict=True, reason="issue 19: defect not fixed yet (strict: passing fails the suite)"
)


def write(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def load(conn: psycopg.Connection, path: Path, **options):
    return load_csv_file(conn, path, ReadingsCsvOptions(**options))


def meter_row(conn: psycopg.Connection, meter_id: str) -> dict:
    cur = conn.execute(
        "SELECT kind, unit, digits, account_id, contract_id, site_id, timezone, q3_m3h"
        " FROM meters WHERE meter_id = %s",
        (meter_id,),
    )
    names = [d.name for d in cur.description or []]
    row = cur.fetchone()
    assert row is not None, f"meter {meter_id} is not stored"
    return dict(zip(names, row, strict=True))


def stored(conn: psycopg.Connection, meter_id: str) -> list[tuple[str, float]]:
    rows = conn.execute(
        "SELECT ts, index_value FROM readings WHERE meter_id = %s ORDER BY ts", (meter_id,)
    ).fetchall()
    return [(pd.Timestamp(ts).tz_convert("UTC").isoformat(), v) for ts, v in rows]


def quarantined(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return [
        (code, reason)
        for code, reason in conn.execute(
            "SELECT reason_code, reason FROM quarantine ORDER BY location"
        ).fetchall()
    ]


def test_a_partial_meters_file_keeps_the_attributes_it_does_not_name(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(conn, SAMPLE_METERS)
    before = meter_row(conn, "W-1001")
    outcome = load(conn, write(tmp_path / "m.csv", "meter_id,kind,unit\nW-1001,water,m3\n"))
    assert outcome.problem is None
    assert meter_row(conn, "W-1001") == before
    empty_cells = "meter_id,kind,unit,digits,account_id,q3_m3h\nW-1001,water,m3,,,\n"
    load(conn, write(tmp_path / "m2.csv", empty_cells))
    assert meter_row(conn, "W-1001") == before, "an empty cell leaves the stored value alone"


@PENDING
def test_a_unit_change_of_a_meter_with_readings_is_refused(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(conn, write(tmp_path / "u.csv", "meter_id,kind,unit\nU-1,water,m3\nU-2,water,m3\n"))
    rows = "".join(f"U-1,2026-02-01T0{h}:00Z,{100 + h * 0.05:.3f},m3\n" for h in range(3))
    load(conn, write(tmp_path / "r.csv", READINGS + rows))
    outcome = load(
        conn, write(tmp_path / "u2.csv", "meter_id,kind,unit\nU-1,water,L\nU-2,water,L\n")
    )
    assert meter_row(conn, "U-1")["unit"] == "m3", "the stored readings keep their meaning"
    assert meter_row(conn, "U-2")["unit"] == "L", "a meter without readings may change unit"
    assert outcome.result.quarantined == {"unit_change": 1}
    ((_, reason),) = quarantined(conn)
    assert "U-1" in reason and "m3" in reason and "replaces" in reason


@PENDING
def test_a_kind_change_of_a_meter_with_readings_is_refused(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(conn, write(tmp_path / "u.csv", "meter_id,kind,unit\nU-1,water,m3\n"))
    load(conn, write(tmp_path / "r.csv", READINGS + "U-1,2026-02-01T00:00Z,1,m3\n"))
    outcome = load(conn, write(tmp_path / "u2.csv", "meter_id,kind,unit\nU-1,gas,m3\n"))
    assert meter_row(conn, "U-1")["kind"] == "water"
    assert outcome.result.quarantined == {"unit_change": 1}


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("meter_id,kind,timestamp,value,unit", id="kind_and_timestamp"),
        pytest.param("meter_id,kind,timestamp,index,unit", id="both"),
        pytest.param("meter_id,value,unit", id="neither"),
    ],
)
def test_a_header_that_fits_neither_kind_or_both_is_refused(
    conn: psycopg.Connection, tmp_path: Path, header: str
) -> None:
    load(conn, SAMPLE_METERS)
    before = meter_row(conn, "W-1002")
    path = write(tmp_path / "x.csv", f"{header}\nW-1002,water,2026-02-01T00:00Z,5,L\n")
    outcome = load(conn, path)
    assert outcome.problem is not None
    assert "readings" in outcome.problem and "meters" in outcome.problem
    assert meter_row(conn, "W-1002") == before


@pytest.mark.parametrize(
    ("text", "utc"),
    [
        pytest.param("2026-02-02", "2026-02-01T23:00:00+00:00", id="date_only"),
        pytest.param("2026-07", "2026-06-30T22:00:00+00:00", id="year_month"),
        pytest.param("2026-02-02T00:00:00", "2026-02-01T23:00:00+00:00", id="local_midnight"),
        pytest.param("2026-02-02T00:00-05", "2026-02-02T05:00:00+00:00", id="short_offset"),
    ],
)
def test_a_date_without_a_time_is_local_midnight(
    conn: psycopg.Connection, tmp_path: Path, text: str, utc: str
) -> None:
    load(conn, write(tmp_path / "d.csv", READINGS + f"D-1,{text},1,m3\n"))
    assert stored(conn, "D-1") == [(utc, 1.0)]


@PENDING
def test_the_repeated_dst_hour_is_resolved_by_index_order(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    newest_first = (
        "R-1,2026-10-25T03:00:00,13,m3\n"
        "R-1,2026-10-25T02:00:00,12,m3\n"
        "R-1,2026-10-25T02:00:00,11,m3\n"
        "R-1,2026-10-25T01:00:00,10,m3\n"
    )
    load(conn, write(tmp_path / "dst.csv", READINGS + newest_first))
    assert stored(conn, "R-1") == [
        ("2026-10-24T23:00:00+00:00", 10.0),
        ("2026-10-25T00:00:00+00:00", 11.0),
        ("2026-10-25T01:00:00+00:00", 12.0),
        ("2026-10-25T02:00:00+00:00", 13.0),
    ]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("meter_id,timestamp,index,unit,index", id="index_twice"),
        pytest.param("meter_id,timestamp,index,unit,Meter_ID", id="meter_id_other_case"),
    ],
)
def test_duplicate_header_names_refuse_the_file(
    conn: psycopg.Connection, tmp_path: Path, header: str
) -> None:
    outcome = load(conn, write(tmp_path / "h.csv", f"{header}\nM-1,2026-02-01T00:00Z,1,m3,2\n"))
    assert outcome.problem is not None and "more than once" in outcome.problem
    assert stored(conn, "M-1") == [] and stored(conn, "2") == []


@PENDING
def test_indexes_beyond_a_register_are_quarantined_and_conversion_stays_finite(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(
        conn, write(tmp_path / "m.csv", "meter_id,kind,unit,digits\nB-1,water,L,\nB-2,water,m3,5\n")
    )
    rows = (
        "B-1,2026-02-01T00:00Z,1e300,m3\n"
        "B-1,2026-02-01T01:00Z,1.7e308,m3\n"
        "B-1,2026-02-01T02:00Z,1000,L\n"
        "B-2,2026-02-01T00:00Z,100000,m3\n"
        "B-2,2026-02-01T01:00Z,99999.5,m3\n"
        "B-3,2026-02-01T00:00Z,1e13,m3\n"
    )
    outcome = load(conn, write(tmp_path / "r.csv", READINGS + rows))
    assert outcome.result.quarantined == {"index_out_of_range": 4}
    assert stored(conn, "B-1") == [("2026-02-01T02:00:00+00:00", 1000.0)]
    assert stored(conn, "B-2") == [("2026-02-01T01:00:00+00:00", 99999.5)]
    reasons = " ".join(reason for _, reason in quarantined(conn))
    assert "5 digits" in reasons and "10^12" in reasons


@PENDING
def test_an_invalid_utf8_line_after_64_kib_is_quarantined_with_its_line_number(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    good = "".join(
        f"E-1,2026-02-01T00:{m:02d}:{s:02d}Z,{m * 60 + s},m3\n"
        for m in range(60)
        for s in range(0, 60, 2)
    )
    lines = good.count("\n")
    assert len(good) > 64 * 1024
    path = tmp_path / "late.csv"
    path.write_bytes((READINGS + good).encode() + "E-é,2026-02-02T00:00Z,1,m3\n".encode("cp1252"))
    outcome = load(conn, path)
    assert outcome.result.stored == lines
    assert outcome.result.quarantined == {"bad_encoding": 1}
    (location,) = conn.execute("SELECT location FROM quarantine").fetchone() or ()
    assert location.endswith(f":{lines + 2}")
    assert conn.execute(
        "SELECT count(*) FROM meters WHERE meter_id LIKE '%\ufffd%'"
    ).fetchone() == (0,)


@PENDING
def test_a_cp1252_file_loads_with_encoding_cp1252(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = write(
        tmp_path / "fr.csv",
        "meter_id;kind;unit;site_id\nW-9;water;m3;Gîte-Noël\n",
        encoding="cp1252",
    )
    refused = load(conn, path)
    assert refused.problem is not None and "--encoding cp1252" in refused.problem
    outcome = load(conn, path, encoding="cp1252")
    assert outcome.problem is None
    assert meter_row(conn, "W-9")["site_id"] == "Gîte-Noël"
