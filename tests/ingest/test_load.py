"""The one write path: ``store_readings``, also inside a caller's transaction."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from ingest.load import store_readings
from ingest.rows import no_rejections

pytestmark = pytest.mark.integration


def readings(*rows: tuple[str, str, float], kind: str | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "meter_id": [r[0] for r in rows],
            "ts": pd.to_datetime([r[1] for r in rows], utc=True),
            "index": [r[2] for r in rows],
            "unit": "m3",
            "quality": "actual",
            "source": "test",
            "location": [f"t:{i}" for i in range(len(rows))],
            "raw": [str(r) for r in rows],
        }
    )
    return frame.assign(kind=kind) if kind else frame


def test_inside_a_callers_transaction_new_and_stored_rows_are_told_apart(
    conn: psycopg.Connection,
) -> None:
    store_readings(
        conn, readings(("M1", "2026-01-01T00:00Z", 1.0)), no_rejections(), source="t", location="t"
    )
    with conn.transaction():
        result = store_readings(
            conn,
            readings(("M1", "2026-01-01T00:00Z", 1.0), ("M1", "2026-01-01T01:00Z", 2.0)),
            no_rejections(),
            source="t",
            location="t",
        )
    assert (result.stored, result.duplicates) == (1, 1)


def test_a_kind_given_with_readings_registers_the_new_meter_with_it(
    conn: psycopg.Connection,
) -> None:
    store_readings(
        conn,
        readings(("G9", "2026-01-01T00:00Z", 1.0), kind="gas"),
        no_rejections(),
        source="t",
        location="t",
    )
    assert conn.execute("SELECT kind, assigned FROM meters WHERE meter_id = 'G9'").fetchone() == (
        "gas",
        False,
    )


def test_each_write_records_when_its_meters_last_received_readings(
    conn: psycopg.Connection,
) -> None:
    store_readings(
        conn,
        readings(("M1", "2026-01-01T00:00Z", 1.0), ("M1", "2026-01-01T05:00Z", 2.0)),
        no_rejections(),
        source="t",
        location="t",
    )
    first = conn.execute(
        "SELECT received_upto, last_ts FROM meter_receipts WHERE meter_id = 'M1'"
    ).fetchone()
    assert first is not None and first[1] == pd.Timestamp("2026-01-01T05:00Z")
    store_readings(
        conn, readings(("M1", "2025-12-31T00:00Z", 0.5)), no_rejections(), source="t", location="t"
    )
    second = conn.execute(
        "SELECT received_upto, last_ts FROM meter_receipts WHERE meter_id = 'M1'"
    ).fetchone()
    assert second is not None and second[0] > first[0], "a late read moves the receipt mark"
    assert second[1] == first[1], "but not the last reading time"
    store_readings(
        conn, readings(("M1", "2025-12-31T00:00Z", 0.5)), no_rejections(), source="t", location="t"
    )
    third = conn.execute(
        "SELECT received_upto FROM meter_receipts WHERE meter_id = 'M1'"
    ).fetchone()
    assert third == (second[0],), "a duplicate is no news"


def test_readings_stored_behind_the_receipts_back_are_still_told_apart(
    conn: psycopg.Connection,
) -> None:
    # New-looking rows take the plain insert; a key the receipts do not know
    # about makes it fail, and the careful path sorts the batch out.
    store_readings(
        conn, readings(("M1", "2026-01-01T00:00Z", 1.0)), no_rejections(), source="t", location="t"
    )
    conn.execute("DELETE FROM meter_receipts")
    result = store_readings(
        conn,
        readings(
            ("M1", "2026-01-01T00:00Z", 1.0),
            ("M1", "2026-01-01T01:00Z", 2.0),
            ("M2", "2026-01-01T00:00Z", 5.0),
        ),
        no_rejections(),
        source="t",
        location="t",
    )
    assert (result.stored, result.duplicates) == (2, 1)
    assert conn.execute("SELECT count(*) FROM readings").fetchone() == (3,)
    assert conn.execute(
        "SELECT meter_id, last_ts FROM meter_receipts ORDER BY meter_id"
    ).fetchall() == [
        ("M1", pd.Timestamp("2026-01-01T01:00Z")),
        ("M2", pd.Timestamp("2026-01-01T00:00Z")),
    ]
