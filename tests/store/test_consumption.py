"""Store side of estimation: idempotent interval writes, audit history, COPY reads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest

from ingest.load import store_readings
from store.consumption import (
    fetch_estimation_reads,
    fetch_hourly,
    upsert_consumption,
    upsert_watermarks,
)

pytestmark = pytest.mark.integration
RUN_1 = pd.Timestamp("2026-03-01 06:00", tz="UTC")
RUN_2 = pd.Timestamp("2026-03-02 06:00", tz="UTC")


def intervals(meter_id: str, volumes, quality="estimated", method="profile") -> pd.DataFrame:
    ts = pd.date_range("2026-02-01", periods=len(volumes), freq="h", tz="UTC")
    return pd.DataFrame(
        {
            "meter_id": meter_id,
            "ts": ts,
            "volume": np.asarray(volumes, dtype=float),
            "quality": quality,
            "estimated_share": 1.0 if quality == "estimated" else 0.0,
            "method": method,
        }
    )


def bounds(meter_id: str, fresh: bool, write_from=None) -> pd.DataFrame:
    return pd.DataFrame({"meter_id": [meter_id], "write_from": [write_from], "fresh": [fresh]})


def count(conn: psycopg.Connection, table: str) -> int:
    row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def test_rewriting_the_same_intervals_changes_nothing(conn: psycopg.Connection) -> None:
    rows = intervals("M1", [0.1, 1 / 3, 2.5e-7, 1234.5678901234])
    first = upsert_consumption(conn, rows, bounds("M1", True), run_at=RUN_1)
    conn.commit()
    again = upsert_consumption(conn, rows, bounds("M1", False), run_at=RUN_2)
    conn.commit()
    assert (first.written, again.written, again.replaced) == (4, 0, 0)
    stored = fetch_hourly(conn, ["M1"])
    np.testing.assert_array_equal(stored["volume"], rows["volume"])
    run_at = conn.execute("SELECT DISTINCT run_at FROM consumption_hourly").fetchall()
    assert run_at == [(RUN_1.to_pydatetime(),)]


def test_changed_estimates_go_to_history_and_vanished_rows_are_deleted(
    conn: psycopg.Connection,
) -> None:
    upsert_consumption(conn, intervals("M1", [1, 2, 3, 4]), bounds("M1", True), run_at=RUN_1)
    conn.commit()
    real = intervals("M1", [1, 5, 3], quality="actual", method="measured")
    counts = upsert_consumption(conn, real, bounds("M1", False), run_at=RUN_2)
    conn.commit()
    assert counts.written == 3
    assert counts.replaced == 4  # every estimate changed quality, one also vanished
    stored = fetch_hourly(conn, ["M1"])
    assert stored["volume"].tolist() == [1, 5, 3]
    assert set(stored["quality"]) == {"actual"}
    history = conn.execute(
        "SELECT volume, replaced_at FROM consumption_history ORDER BY ts"
    ).fetchall()
    assert [h[0] for h in history] == [1, 2, 3, 4]
    assert {h[1] for h in history} == {RUN_2.to_pydatetime()}


def test_rows_before_write_from_are_left_alone(conn: psycopg.Connection) -> None:
    upsert_consumption(conn, intervals("M1", [1, 2, 3, 4]), bounds("M1", True), run_at=RUN_1)
    conn.commit()
    tail = intervals("M1", [1, 2, 9, 9]).iloc[2:]
    write_from = tail["ts"].iloc[0]
    upsert_consumption(conn, tail, bounds("M1", False, write_from), run_at=RUN_2)
    conn.commit()
    assert fetch_hourly(conn, ["M1"])["volume"].tolist() == [1, 2, 9, 9]
    assert count(conn, "consumption_history") == 2


def test_readings_come_back_through_copy(conn: psycopg.Connection) -> None:
    ts = pd.date_range("2026-02-01", periods=5, freq="h", tz="UTC")
    readings = pd.DataFrame(
        {
            "meter_id": ["A:1"] * 5,
            "ts": ts,
            "index": [1.5, 2.25, 3.0, 1e6 + 0.001, 1e6 + 0.002],
            "unit": "m3",
            "quality": ["actual", "customer", "actual", "estimated", "actual"],
            "source": "test",
            "location": [f"t.csv:{i}" for i in range(5)],
            "raw": "",
        }
    )
    rejects = pd.DataFrame(columns=["location", "raw", "reason", "reason_code"])
    store_readings(conn, readings, rejects, source="test", location="t.csv")
    back = fetch_estimation_reads(conn, ["A:1", "nobody"], end=ts[3])
    assert back["ts"].tolist() == ts[:4].tolist()
    assert back["index"].tolist() == readings["index"][:4].tolist()
    assert back["quality"].tolist() == readings["quality"][:4].tolist()
    assert fetch_estimation_reads(conn, ["nobody"], end=ts[3]).empty


def test_watermarks_upsert(conn: psycopg.Connection) -> None:
    marks = pd.DataFrame({"meter_id": ["M1"], "received_upto": [RUN_1], "last_read_ts": [pd.NaT]})
    upsert_watermarks(conn, marks, as_of=RUN_1, run_at=RUN_1)
    upsert_watermarks(conn, marks.assign(received_upto=RUN_2), as_of=RUN_2, run_at=RUN_2)
    row = conn.execute(
        "SELECT received_upto, last_read_ts, as_of FROM estimate_watermarks"
    ).fetchall()
    assert row == [(RUN_2.to_pydatetime(), None, RUN_2.to_pydatetime())]
