"""Loading CSV files into a real PostgreSQL: idempotence, duplicates, quarantine, file problems."""

from __future__ import annotations

import gzip
import subprocess
import sys
import threading
from pathlib import Path

import psycopg
import pytest

from ingest.csv_load import load_csv_file
from ingest.readings_csv import ReadingsCsvOptions

pytestmark = pytest.mark.integration
HEADER = "meter_id,timestamp,index,unit,quality\n"


def write(path: Path, text: str, *, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def hourly_rows(meter: str, hours: int, start_index: float = 0.0) -> str:
    return "".join(
        f"{meter},2026-02-01T{h % 24:02d}:00:00+00:00,{start_index + h * 0.01:.3f},m3,actual\n".replace(
            "2026-02-01", f"2026-02-{1 + h // 24:02d}"
        )
        for h in range(hours)
    )


def count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def load(conn: psycopg.Connection, path: Path, **kwargs):
    return load_csv_file(conn, path, ReadingsCsvOptions(), **kwargs)


def test_reloading_a_file_adds_nothing(conn: psycopg.Connection, tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", HEADER + hourly_rows("M1", 48) + "M1,garbage,1,m3,\n")
    first = load(conn, path)
    second = load(conn, path)
    assert (first.result.stored, first.result.duplicates) == (48, 0)
    assert (second.result.stored, second.result.duplicates) == (0, 48)
    assert count(conn, "readings") == 48
    assert count(conn, "quarantine") == 1


def test_duplicates_are_counted_and_conflicts_quarantined_with_both_values(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(conn, write(tmp_path / "a.csv", HEADER + "M1,2026-02-01T00:00Z,10.5,m3,\n"))
    outcome = load(
        conn,
        write(
            tmp_path / "b.csv",
            HEADER + "M1,2026-02-01T00:00Z,10.5,m3,\nM1,2026-02-01T00:00Z,11,m3,\n",
        ),
    )
    assert outcome.result.duplicates == 1
    assert outcome.result.quarantined == {"conflicting_duplicate": 1}
    reason = conn.execute("SELECT reason FROM quarantine").fetchone()
    assert reason is not None and "10.5" in reason[0] and "11" in reason[0]
    stored = conn.execute("SELECT index_value FROM readings").fetchall()
    assert stored == [(10.5,)], "the first reading stays"


def test_conflict_against_the_store_names_both_values(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(conn, write(tmp_path / "a.csv", HEADER + "M1,2026-02-01T00:00Z,10.5,m3,\n"))
    outcome = load(conn, write(tmp_path / "b.csv", HEADER + "M1,2026-02-01T01:00+01:00,12,m3,\n"))
    assert outcome.result.quarantined == {"conflicting_duplicate": 1}
    reason = conn.execute("SELECT reason FROM quarantine").fetchone()
    assert reason is not None and "12" in reason[0] and "stored index 10.5" in reason[0]


def test_quarantine_keeps_file_line_raw_text_and_reason(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "r.csv", HEADER + "M1,2026-02-01T00:00Z,1,m3,\nM1,2026-02-01T01:00Z,-5,m3,\n"
    )
    load(conn, path)
    row = conn.execute(
        "SELECT source, location, raw, reason_code, reason FROM quarantine"
    ).fetchone()
    assert row == (
        "csv:r.csv",
        f"{path}:3",
        "M1,2026-02-01T01:00Z,-5,m3,",
        "negative_index",
        "index -5 is negative; a register cannot go below zero",
    )


def test_unknown_meters_are_registered_unassigned(conn: psycopg.Connection, tmp_path: Path) -> None:
    load(conn, write(tmp_path / "r.csv", HEADER + "NEW-1,2026-02-01T00:00Z,1,L,\n"))
    assert conn.execute("SELECT meter_id, kind, unit, assigned FROM meters").fetchall() == [
        ("NEW-1", None, "L", False)
    ]


def test_readings_are_converted_to_the_meter_unit_and_incompatible_units_quarantined(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    load(conn, write(tmp_path / "m.csv", "meter_id,kind,unit,digits\nW1,water,m3,5\n"))
    outcome = load(
        conn,
        write(
            tmp_path / "r.csv",
            HEADER + "W1,2026-02-01T00:00Z,1500,L,\nW1,2026-02-01T01:00Z,3,kWh,\n",
        ),
    )
    assert outcome.result.quarantined == {"incompatible_unit": 1}
    assert conn.execute("SELECT index_value FROM readings").fetchall() == [(1.5,)]


def test_a_file_with_20_percent_bad_rows_keeps_the_80(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    rows = [
        f"M{i % 7},2026-02-0{1 + i // 300}T{(i // 7) % 24:02d}:{i % 60:02d}:00Z,{i},m3,\n"
        for i in range(1000)
    ]
    rows = [r if i % 5 else r.replace("m3", "bogus-unit") for i, r in enumerate(rows)]
    outcome = load(conn, write(tmp_path / "r.csv", HEADER + "".join(rows)))
    assert outcome.result.quarantined == {"unknown_unit": 200}
    assert count(conn, "readings") + outcome.result.duplicates == 800


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        pytest.param(b"", "no header", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary", id="binary"),
        pytest.param(b"\xff\xfe\xfa not utf8 at all \xff", "not UTF-8", id="not_utf8"),
        pytest.param(b"hello world\nthis is prose\n", "no CSV header", id="not_csv"),
        pytest.param(
            b"meter_id,timestamp,unit\nM1,2026-02-01T00:00Z,m3\n", "index", id="missing_column"
        ),
    ],
)
def test_file_level_problems_stop_the_file_and_write_nothing(
    conn: psycopg.Connection, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    outcome = load(conn, path)
    assert outcome.problem is not None and problem in outcome.problem
    assert count(conn, "readings") == 0 and count(conn, "quarantine") == 0


def test_truncated_gzip_is_refused_before_any_write(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    data = gzip.compress((HEADER + hourly_rows("M1", 500)).encode())
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    outcome = load(conn, path)
    assert outcome.problem is not None and "truncated" in outcome.problem
    assert count(conn, "readings") == 0


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        pytest.param("bom.csv", lambda t: b"\xef\xbb\xbf" + t.encode(), id="utf8_bom"),
        pytest.param("z.csv.gz", lambda t: gzip.compress(t.encode()), id="gzip"),
        pytest.param("crlf.csv", lambda t: t.replace("\n", "\r\n").encode(), id="crlf"),
        pytest.param(
            "semi.csv",
            lambda t: t.replace(",", ";").replace(".", ",").encode(),
            id="semicolon_decimal_comma",
        ),
    ],
)
def test_encodings_compression_and_delimiters(
    conn: psycopg.Connection, tmp_path: Path, name: str, encode
) -> None:
    text = HEADER + "M1,2026-02-01T00:00:00Z,10.25,m3,actual\nM1,2026-02-01T01:00:00Z,10.5,m3,\n"
    path = tmp_path / name
    path.write_bytes(encode(text))
    outcome = load(conn, path)
    assert outcome.problem is None and outcome.result.stored == 2
    assert conn.execute("SELECT index_value FROM readings ORDER BY ts").fetchall() == [
        (10.25,),
        (10.5,),
    ]


def test_meters_file_registers_meters_and_owners(conn: psycopg.Connection, tmp_path: Path) -> None:
    text = (
        "meter_id,kind,unit,digits,account_id,site_id,timezone,q3_m3h,conversion_kwh_per_m3\n"
        "W1,water,m3,5,A1,S1,Europe/Paris,2.5,\nG1,gas,m3,6,A1,S1,,,11.2\n"
        "X1,steam,m3,,,,,,\nW2,water,kWh,,,,,,\nW3,water,m3,99,,,,,\nW4,water,m3,,,,Mars/Olympus,,\n"
    )
    outcome = load(conn, write(tmp_path / "meters.csv", text))
    assert outcome.kind == "meters"
    assert outcome.result.stored == 2
    assert outcome.result.quarantined == {
        "bad_kind": 1,
        "incompatible_unit": 1,
        "bad_meter_attribute": 1,
        "bad_timezone": 1,
    }
    assert conn.execute(
        "SELECT meter_id, kind, digits, conversion_kwh_per_m3, assigned FROM meters ORDER BY 1"
    ).fetchall() == [
        ("G1", "gas", 6, 11.2, True),
        ("W1", "water", 5, None, True),
    ]
    assert count(conn, "accounts") == 1 and count(conn, "sites") == 1


def test_two_overlapping_loads_at_once_lose_and_double_nothing(db_url: str, tmp_path: Path) -> None:
    a = write(tmp_path / "a.csv", HEADER + hourly_rows("M1", 400) + hourly_rows("M2", 400))
    b = write(tmp_path / "b.csv", HEADER + hourly_rows("M2", 400) + hourly_rows("M3", 400))
    outcomes = {}

    def run(path: Path) -> None:
        with psycopg.connect(db_url) as c, psycopg.connect(db_url) as extra:
            outcomes[path.name] = load(c, path, block_bytes=4096, extra_writer=extra)

    threads = [threading.Thread(target=run, args=(p,)) for p in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with psycopg.connect(db_url) as c:
        assert count(c, "readings") == 1200
        assert count(c, "quarantine") == 0
    stored = sum(o.result.stored for o in outcomes.values())
    duplicates = sum(o.result.duplicates for o in outcomes.values())
    assert (stored, duplicates) == (1200, 400)


def test_cli_summary_and_exit_codes(releve_env: dict[str, str], tmp_path: Path) -> None:
    good = write(
        tmp_path / "good.csv", HEADER + "M1,2026-02-01T00:00Z,1,m3,\nM1,2026-02-01T01:00Z,x,m3,\n"
    )
    missing = tmp_path / "missing.csv"

    def releve(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "releve.cli", *args],
            env=releve_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = releve("ingest", "csv", str(good))
    assert done.returncode == 0, done.stderr
    assert "2 rows read, 1 stored, 0 duplicates, 1 quarantined" in done.stdout
    assert "bad_index: 1" in done.stdout
    assert releve("ingest", "csv", "--strict", str(good)).returncode == 1
    unreadable = releve("ingest", "csv", str(missing), str(good))
    assert unreadable.returncode == 2
    assert "missing.csv: NOT LOADED: cannot be read" in unreadable.stdout
    assert "good.csv (readings)" in unreadable.stdout, "the next file is still loaded"
    listed = releve("quarantine", "--format", "json")
    assert listed.returncode == 0 and "bad_index" in listed.stdout


def test_a_huge_line_and_a_nul_byte_are_quarantined_and_the_rows_around_them_kept(
    conn: psycopg.Connection, tmp_path: Path
) -> None:
    huge = "M2,2026-02-01T00:00Z," + "9" * 5_000_000 + ",m3,"
    text = (
        HEADER
        + hourly_rows("M1", 30)
        + huge
        + "\n"
        + "M4,2026-02-01T00:00Z,1\x00,m3,\n"
        + hourly_rows("M3", 30)
    )
    outcome = load(conn, write(tmp_path / "hostile.csv", text), block_bytes=1 << 16)
    assert outcome.problem is None
    assert outcome.result.stored == 60
    assert outcome.result.quarantined == {"line_too_long": 1, "nul_byte": 1}
    rows = dict(conn.execute("SELECT reason_code, location FROM quarantine").fetchall())
    assert rows == {
        "line_too_long": f"{tmp_path / 'hostile.csv'}:32",
        "nul_byte": f"{tmp_path / 'hostile.csv'}:33",
    }
    raw = conn.execute(
        "SELECT length(raw) FROM quarantine WHERE reason_code = 'line_too_long'"
    ).fetchone()
    assert raw is not None and raw[0] <= 4096, "a huge line is kept in part, not whole"
