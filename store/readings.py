"""Raw readings: idempotent bulk insert on (meter_id, ts), and reads back."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg

from core.columns import INDEX, METER_ID, QUALITY, SOURCE, TS
from store.copy import FROM_US, copy_frame, timestamps_us

STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_readings (meter_id text, ts_us bigint,"
    " index_value float8, quality text, source text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS stage_inserted (meter_id text, ts timestamptz)"
    " ON COMMIT DELETE ROWS"
)

INSERT_STAGED = (
    "INSERT INTO readings (meter_id, ts, index_value, quality, source, batch_id)"
    f" SELECT meter_id, {FROM_US.format(column='ts_us')}, index_value, quality, source, %s"
    " FROM stage_readings"
)


@dataclass(frozen=True)
class InsertOutcome:
    """What became of staged readings: stored, or already there (same or other value)."""

    stored: int
    existing: pd.DataFrame  # meter_id, ts, index_value, stored_index, stored_source


def upsert_readings(
    conn: psycopg.Connection, readings: pd.DataFrame, *, batch_id: int
) -> InsertOutcome:
    """Insert readings (``meter_id, ts, index_value, quality, source``) unique on (meter_id, ts).

    A reading whose key is already stored is not written; it comes back in
    ``existing`` with the stored value, for the caller to tell a duplicate from
    a conflict. Rows are inserted in key order so that concurrent loads of
    overlapping files wait for each other instead of deadlocking (the staging
    table is filled in that order and read back in it).
    """
    conn.execute(STAGE)
    stage = readings
    if not _in_key_order(stage):
        stage = stage.sort_values([METER_ID, TS])
    stage = stage.assign(ts_us=timestamps_us(stage[TS]))
    copy_frame(conn, "stage_readings", stage[[METER_ID, "ts_us", "index_value", QUALITY, SOURCE]])
    stored = _insert_new(conn, batch_id)
    latest = f"SELECT meter_id, now(), {FROM_US.format(column='max(ts_us)')} FROM stage_readings"
    if stored is None:
        stored = _insert_missing(conn, batch_id)
        latest = "SELECT meter_id, now(), max(ts) FROM stage_inserted"
    if stored:
        conn.execute(
            "INSERT INTO meter_receipts (meter_id, received_upto, last_ts)"  # type: ignore[arg-type]
            f" {latest} GROUP BY meter_id"
            " ORDER BY meter_id ON CONFLICT (meter_id) DO UPDATE SET"
            " received_upto = excluded.received_upto,"
            " last_ts = greatest(meter_receipts.last_ts, excluded.last_ts)"
        )
    existing = pd.DataFrame(columns=[METER_ID, TS, "index_value", "stored_index", "stored_source"])
    if stored < len(stage):
        cur = conn.execute(
            "SELECT s.meter_id, r.ts, s.index_value, r.index_value, r.source"  # type: ignore[arg-type]
            " FROM stage_readings s JOIN readings r"
            f" ON r.meter_id = s.meter_id AND r.ts = {FROM_US.format(column='s.ts_us')}"
            " WHERE NOT EXISTS (SELECT 1 FROM stage_inserted i"
            " WHERE i.meter_id = r.meter_id AND i.ts = r.ts)"
        )
        existing = pd.DataFrame(cur.fetchall(), columns=existing.columns)
    conn.execute("TRUNCATE stage_readings, stage_inserted")
    return InsertOutcome(stored, existing)


def _insert_new(conn: psycopg.Connection, batch_id: int) -> int | None:
    """Insert the staged rows without ``ON CONFLICT`` when they are all new; None if not.

    Every staged reading is later than its meter's last stored one: the plain
    insert skips the speculative insertion that ``ON CONFLICT`` pays per row.
    The receipts only say where to try; a key stored meanwhile by another load
    raises a unique violation, the savepoint undoes the attempt, and the caller
    takes the careful path.
    """
    all_new = conn.execute(
        "SELECT coalesce(bool_and(r.last_ts IS NULL OR s.first_ts > r.last_ts), true) FROM"  # type: ignore[arg-type]
        f" (SELECT meter_id, {FROM_US.format(column='min(ts_us)')} AS first_ts"
        "  FROM stage_readings GROUP BY meter_id) s"
        " LEFT JOIN meter_receipts r USING (meter_id)"
    ).fetchone()
    if not (all_new and all_new[0]):
        return None
    try:
        with conn.transaction():
            return conn.execute(INSERT_STAGED, (batch_id,)).rowcount
    except psycopg.errors.UniqueViolation:
        return None


def _insert_missing(conn: psycopg.Connection, batch_id: int) -> int:
    """Insert the staged rows whose key is not stored; their keys go to ``stage_inserted``.

    Inside a caller's transaction nothing else tells this statement's rows
    from earlier ones.
    """
    return conn.execute(
        f"WITH inserted AS ({INSERT_STAGED} ON CONFLICT (meter_id, ts) DO NOTHING"  # type: ignore[arg-type]
        " RETURNING meter_id, ts) INSERT INTO stage_inserted SELECT meter_id, ts FROM inserted",
        (batch_id,),
    ).rowcount


def _in_key_order(readings: pd.DataFrame) -> bool:
    meters = readings[METER_ID]
    if not meters.is_monotonic_increasing:
        return False
    same_meter = meters.to_numpy()[1:] == meters.to_numpy()[:-1]
    ts = timestamps_us(readings[TS]).to_numpy()
    return bool((ts[1:][same_meter] > ts[:-1][same_meter]).all())


def fetch_readings(
    conn: psycopg.Connection,
    meter_ids: list[str] | None = None,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Readings ordered by meter and time: ``meter_id, ts, index, quality, source``."""
    where, params = ["true"], []
    if meter_ids is not None:
        where.append("meter_id = ANY(%s)")
        params.append(list(meter_ids))
    if start is not None:
        where.append("ts >= %s")
        params.append(start)
    if end is not None:
        where.append("ts < %s")
        params.append(end)
    cur = conn.execute(
        "SELECT meter_id, ts, index_value, quality, source FROM readings"  # type: ignore[arg-type]
        f" WHERE {' AND '.join(where)} ORDER BY meter_id, ts",
        params,
    )
    frame = pd.DataFrame(cur.fetchall(), columns=[METER_ID, TS, INDEX, QUALITY, SOURCE])
    frame[TS] = pd.to_datetime(frame[TS], utc=True)
    return frame
