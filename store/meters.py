"""Meters and the accounts, sites and contracts they belong to."""

from __future__ import annotations

import pandas as pd
import psycopg

from core import Meter, MeterDefaults
from core.columns import KIND, METER_ID, UNIT
from store.copy import copy_frame

METER_COLUMNS = [
    METER_ID,
    KIND,
    UNIT,
    "digits",
    "account_id",
    "contract_id",
    "site_id",
    "timezone",
    "installed_at",
    "replaces",
    "q3_m3h",
    "conversion_kwh_per_m3",
]


def fetch_meters(conn: psycopg.Connection, meter_ids: list[str] | None = None) -> pd.DataFrame:
    """Meters (all, or those of ``meter_ids``) with their attributes, indexed by nothing."""
    query = f"SELECT {', '.join(METER_COLUMNS)}, assigned FROM meters"
    params: tuple = ()
    if meter_ids is not None:
        query += " WHERE meter_id = ANY(%s)"
        params = (list(meter_ids),)
    cur = conn.execute(query, params)  # type: ignore[arg-type]
    return pd.DataFrame(cur.fetchall(), columns=[*METER_COLUMNS, "assigned"])


def fetch_meter_models(
    conn: psycopg.Connection, meter_ids: list[str], defaults: MeterDefaults
) -> dict[str, Meter]:
    """The ``core.Meter`` of each known meter of ``meter_ids``, what its row leaves
    out taken from the installation's ``defaults``."""
    rows = fetch_meters(conn, meter_ids).to_dict("records")
    return {row[METER_ID]: Meter.from_record(row, defaults) for row in rows}


ACCOUNT_METER_COLUMNS = [*METER_COLUMNS, "last_read_ts", "last_index", "last_quality"]


def fetch_account_meters(conn: psycopg.Connection, account_id: str) -> pd.DataFrame:
    """The meters of an account (directly, or through their site or contract), with
    their attributes and their last reading (``last_read_ts``, ``last_index``,
    ``last_quality``; NaT/None before any)."""
    cur = conn.execute(
        f"SELECT {', '.join('m.' + c for c in METER_COLUMNS)},"  # type: ignore[arg-type]
        " r.ts, r.index_value, r.quality FROM meters m"
        " LEFT JOIN sites s USING (site_id) LEFT JOIN contracts c USING (contract_id)"
        " LEFT JOIN LATERAL (SELECT ts, index_value, quality FROM readings"
        "  WHERE meter_id = m.meter_id ORDER BY ts DESC LIMIT 1) r ON true"
        " WHERE %(account)s IN (m.account_id, s.account_id, c.account_id)"
        " ORDER BY m.site_id NULLS LAST, m.meter_id",
        {"account": account_id},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=ACCOUNT_METER_COLUMNS)
    frame["last_read_ts"] = pd.to_datetime(frame["last_read_ts"], utc=True)
    return frame


def fetch_removals(conn: psycopg.Connection, meter_ids: list[str]) -> dict[str, pd.Timestamp]:
    """When each of ``meter_ids`` that was replaced came off: the installation of the
    meter naming it in ``replaces`` (or that meter's first reading, without one)."""
    cur = conn.execute(
        "SELECT n.replaces, min(coalesce(n.installed_at,"
        " (SELECT min(r.ts) FROM readings r WHERE r.meter_id = n.meter_id)))"
        " FROM meters n WHERE n.replaces = ANY(%s) AND n.replaces <> n.meter_id"
        " GROUP BY n.replaces",
        (list(meter_ids),),
    )
    return {meter_id: pd.Timestamp(at) for meter_id, at in cur.fetchall() if at is not None}


def register_unassigned(conn: psycopg.Connection, meters: pd.DataFrame) -> None:
    """Register meters seen only in readings (``meter_id``, ``unit``, optional ``kind``)."""
    if meters.empty:
        return
    kinds = meters[KIND] if KIND in meters else pd.Series(None, index=meters.index)
    conn.execute(
        "INSERT INTO meters (meter_id, unit, kind)"
        " SELECT * FROM unnest(%s::text[], %s::text[], %s::text[])"
        " ON CONFLICT (meter_id) DO NOTHING",
        (
            list(meters[METER_ID]),
            list(meters[UNIT]),
            [k if isinstance(k, str) else None for k in kinds],
        ),
    )


def upsert_meters(conn: psycopg.Connection, meters: pd.DataFrame) -> int:
    """Insert or update meters (``METER_COLUMNS``), creating their accounts, sites and contracts.

    A NULL attribute (a column the file lacks, or an empty cell) leaves the
    stored value alone: a partial file only adds what it says.
    """
    if meters.empty:
        return 0
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS stage_meters (LIKE meters INCLUDING DEFAULTS)"
        " ON COMMIT DELETE ROWS"
    )
    copy_frame(conn, "stage_meters", meters[METER_COLUMNS])
    for table, key, parents in (
        ("accounts", "account_id", ""),
        ("sites", "site_id", ", account_id"),
        ("contracts", "contract_id", ", account_id, site_id"),
    ):
        conn.execute(
            f"INSERT INTO {table} ({key}{parents}) SELECT DISTINCT ON ({key}) {key}{parents}"  # type: ignore[arg-type]
            f" FROM stage_meters WHERE {key} IS NOT NULL ON CONFLICT ({key}) DO NOTHING"
        )
    updates = ", ".join(f"{c} = coalesce(excluded.{c}, meters.{c})" for c in METER_COLUMNS[1:])
    cur = conn.execute(
        f"INSERT INTO meters ({', '.join(METER_COLUMNS)}, assigned)"  # type: ignore[arg-type]
        f" SELECT {', '.join(METER_COLUMNS)}, true FROM stage_meters"
        f" ON CONFLICT (meter_id) DO UPDATE SET {updates}, assigned = true, updated_at = now()"
    )
    conn.execute("TRUNCATE stage_meters")
    return cur.rowcount
