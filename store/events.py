"""Meter events: meter-side alarms and states (LEAK, BURST, DRY, ...), kept once each."""

from __future__ import annotations

import pandas as pd
import psycopg

from core.columns import CODE, METER_ID, SOURCE, TS
from store.copy import FROM_US, copy_frame, timestamps_us

EVENT_COLUMNS = [METER_ID, TS, CODE, "raw", SOURCE]
STAGE = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_meter_events (meter_id text, ts_us bigint,"
    " code text, raw text, source text) ON COMMIT DELETE ROWS"
)


def upsert_meter_events(conn: psycopg.Connection, events: pd.DataFrame) -> int:
    """Insert events (``meter_id, ts, code, raw, source``) unique on (meter_id, ts, code).

    An event already stored is left as it is, so redelivered messages change
    nothing. Runs in the caller's transaction; returns how many are new.
    """
    if events.empty:
        return 0
    conn.execute(STAGE)
    stage = events[EVENT_COLUMNS].assign(ts_us=timestamps_us(events[TS]))
    stage["raw"] = stage["raw"].astype(str).str.replace("\x00", "", regex=False)
    copy_frame(conn, "stage_meter_events", stage[[METER_ID, "ts_us", CODE, "raw", SOURCE]])
    cur = conn.execute(
        "INSERT INTO meter_events (meter_id, ts, code, raw, source)"  # type: ignore[arg-type]
        f" SELECT DISTINCT ON (meter_id, ts_us, code) meter_id, {FROM_US.format(column='ts_us')},"
        " code, raw, source FROM stage_meter_events"
        " ORDER BY meter_id, ts_us, code ON CONFLICT (meter_id, ts, code) DO NOTHING"
    )
    conn.execute("TRUNCATE stage_meter_events")
    return cur.rowcount


def fetch_meter_events(
    conn: psycopg.Connection, meter_ids: list[str] | None = None
) -> pd.DataFrame:
    """Meter events ordered by meter and time: ``meter_id, ts, code, raw, source``."""
    query = "SELECT meter_id, ts, code, raw, source FROM meter_events"
    params: tuple = ()
    if meter_ids is not None:
        query += " WHERE meter_id = ANY(%s)"
        params = (list(meter_ids),)
    cur = conn.execute(query + " ORDER BY meter_id, ts, code", params)  # type: ignore[arg-type]
    frame = pd.DataFrame(cur.fetchall(), columns=EVENT_COLUMNS)
    frame[TS] = pd.to_datetime(frame[TS], utc=True)
    return frame
