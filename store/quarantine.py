"""The quarantine: bad items kept with their source, location, raw text and reason."""

from __future__ import annotations

import pandas as pd
import psycopg

from store.copy import copy_frame

MAX_RAW_CHARS = 4096


def upsert_quarantine(
    conn: psycopg.Connection, rejects: pd.DataFrame, *, source: str, batch_id: int | None
) -> int:
    """Quarantine rejected items once each; return how many are new."""
    if rejects.empty:
        return 0
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stage_quarantine"
        " (location text, raw text, reason_code text, reason text) ON COMMIT DELETE ROWS"
    )
    frame = rejects[["location", "raw", "reason_code", "reason"]].copy()
    frame["raw"] = (
        frame["raw"].astype(str).str.slice(0, MAX_RAW_CHARS).str.replace("\x00", "", regex=False)
    )
    copy_frame(conn, "stage_quarantine", frame)
    cur = conn.execute(
        "INSERT INTO quarantine (source, location, raw, reason_code, reason, batch_id)"
        " SELECT %s, location, raw, reason_code, reason, %s FROM stage_quarantine"
        " ON CONFLICT (source, location, reason_code, md5(raw)) DO NOTHING",
        (source, batch_id),
    )
    conn.execute("TRUNCATE stage_quarantine")
    return cur.rowcount


def fetch_quarantine(conn: psycopg.Connection, *, limit: int = 50) -> pd.DataFrame:
    """The most recent quarantined items, newest first."""
    cur = conn.execute(
        "SELECT id, received_at, source, location, reason_code, reason, raw"
        " FROM quarantine ORDER BY id DESC LIMIT %s",
        (limit,),
    )
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or []])
