"""Consumption intervals, findings, rollups and watermarks of the estimation job.

Writes are idempotent: rows go through COPY into staging tables, then into the
tables with ``INSERT ... ON CONFLICT DO UPDATE ... WHERE IS DISTINCT FROM``,
so a rerun rewrites nothing. An estimated interval that a new run changes or
drops is first copied to ``consumption_history`` with the time it was replaced.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
import pyarrow.csv as pacsv

from core import Partition
from core.columns import (
    AMOUNT,
    CODE,
    DETAIL,
    ESTIMATED_SHARE,
    INDEX,
    METER_ID,
    METHOD,
    QUALITY,
    RECEIVED_AT,
    RESOLUTION,
    START,
    TS,
    VOLUME,
)
from core.partition import ALL_METERS
from store.copy import copy_frame
from store.partitions import partition_params as _partition

HOURLY_COLUMNS = [METER_ID, TS, VOLUME, QUALITY, ESTIMATED_SHARE, METHOD]
ROLLUP_COLUMNS = [METER_ID, RESOLUTION, START, VOLUME, QUALITY, ESTIMATED_SHARE, METHOD]
FINDING_COLUMNS = [METER_ID, TS, CODE, DETAIL, AMOUNT]
EVERYTHING = pd.Timestamp("1900-01-01", tz="UTC")  # write_from of a meter rewritten whole
_VALUES = "(t.volume, t.quality, t.estimated_share, t.method)"
_NEW = "(s.volume, s.quality, s.estimated_share, s.method)"

STAGES = (
    "CREATE TEMP TABLE IF NOT EXISTS stage_consumption (meter_id text, ts timestamptz,"
    " volume float8, quality text, estimated_share real, method text) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS stage_bounds (meter_id text PRIMARY KEY,"
    " write_from timestamptz, fresh boolean) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS stage_rollups (meter_id text, resolution text,"
    " start timestamptz, volume float8, quality text, estimated_share real,"
    " method text) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS stage_findings (meter_id text, ts timestamptz, code text,"
    " detail text, amount float8) ON COMMIT DELETE ROWS",
)


@dataclass(frozen=True)
class WriteCounts:
    """Rows changed by one write: intervals written, estimates replaced into history."""

    written: int
    replaced: int


def fetch_due_meters(
    conn: psycopg.Connection,
    *,
    as_of: pd.Timestamp,
    meter_ids: list[str] | None = None,
    partition: Partition = ALL_METERS,
) -> pd.DataFrame:
    """Meters with readings received since their last run, or whose open tail is a day old.

    Columns: ``meter_id``, ``previous_upto`` (receipt watermark of the last
    run, NaT for none), ``fresh`` (never estimated, no stored interval) and
    ``whole`` (rewrite every interval). With ``meter_ids`` those meters are
    due whatever their state, whole. Only the meters of ``partition``. A
    never-estimated meter costs an index probe, not a scan of its readings.
    """
    forced = meter_ids is not None
    cur = conn.execute(
        "SELECT m.meter_id, w.received_upto,"
        " w.meter_id IS NULL AND NOT EXISTS (SELECT 1 FROM consumption_hourly c"
        "  WHERE c.meter_id = m.meter_id) AS fresh"
        " FROM meters m LEFT JOIN estimate_watermarks w USING (meter_id)"
        " WHERE (NOT %(forced)s OR m.meter_id = ANY(%(ids)s))"
        " AND (%(n)s = 1 OR releve_partition(m.meter_id, %(n)s) = %(i)s)"
        " AND EXISTS (SELECT 1 FROM readings r WHERE r.meter_id = m.meter_id AND r.ts <= %(as_of)s)"
        " AND (%(forced)s OR w.meter_id IS NULL"
        "  OR EXISTS (SELECT 1 FROM meter_receipts x WHERE x.meter_id = m.meter_id"
        "   AND x.received_upto > w.received_upto)"
        "  OR (w.last_read_ts < %(as_of)s - interval '1 day'"
        "      AND w.as_of < %(as_of)s - interval '1 day'))"
        " ORDER BY m.meter_id",
        {"as_of": as_of, "forced": forced, "ids": list(meter_ids or []), **_partition(partition)},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=[METER_ID, "previous_upto", "fresh"])
    frame["previous_upto"] = pd.to_datetime(frame["previous_upto"], utc=True)
    frame["fresh"] = frame["fresh"].astype(bool) & (not forced)
    frame["whole"] = forced
    return frame


def fetch_estimation_reads(
    conn: psycopg.Connection, meter_ids: list[str], *, end: pd.Timestamp
) -> pd.DataFrame:
    """Readings of ``meter_ids`` up to ``end`` in key order.

    Columns ``meter_id, ts, index, quality, received_at``; read through
    ``COPY ... TO`` as CSV, the bulk path of the job.
    """
    query = (
        "COPY (SELECT meter_id, (extract(epoch FROM ts) * 1000000)::bigint, index_value, quality,"
        " (extract(epoch FROM received_at) * 1000000)::bigint FROM readings"
        " WHERE meter_id = ANY({ids}) AND ts <= {end} ORDER BY meter_id, ts)"
        " TO STDOUT (FORMAT csv)"
    )
    sql = psycopg.sql.SQL(query).format(  # type: ignore[attr-defined]
        ids=psycopg.sql.Literal(list(meter_ids)),  # type: ignore[attr-defined]
        end=psycopg.sql.Literal(end),  # type: ignore[attr-defined]
    )
    buffer = io.BytesIO()
    with conn.cursor().copy(sql) as copy:
        for block in copy:
            buffer.write(block)
    columns = [METER_ID, TS, INDEX, QUALITY, RECEIVED_AT]
    if buffer.tell() == 0:
        return pd.DataFrame(columns=columns)
    buffer.seek(0)
    table = pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=[METER_ID, TS, INDEX, QUALITY, "rx"]),
        convert_options=pacsv.ConvertOptions(strings_can_be_null=False),
    )
    frame = table.to_pandas()
    frame[TS] = pd.to_datetime(frame[TS], unit="us", utc=True)
    frame[RECEIVED_AT] = pd.to_datetime(frame.pop("rx"), unit="us", utc=True)
    return frame[columns]


def upsert_consumption(
    conn: psycopg.Connection,
    hourly: pd.DataFrame,
    bounds: pd.DataFrame,
    *,
    run_at: pd.Timestamp,
) -> WriteCounts:
    """Write hourly intervals of the meters in ``bounds`` from their ``write_from``.

    ``hourly`` has ``HOURLY_COLUMNS``; ``bounds`` has ``meter_id``,
    ``write_from`` (NaT: everything) and ``fresh`` (no stored rows yet, which
    skips the audit work). Stored rows at or after ``write_from`` that the
    new run does not produce are deleted; estimated rows it changes or drops
    go to the history first.
    """
    for statement in STAGES:
        conn.execute(statement)  # type: ignore[arg-type]
    write_from = pd.to_datetime(bounds["write_from"], utc=True).fillna(EVERYTHING)
    stage_bounds = bounds.assign(write_from=write_from)[[METER_ID, "write_from", "fresh"]]
    copy_frame(conn, "stage_bounds", _us(stage_bounds, "write_from"))
    fresh = hourly[METER_ID].isin(bounds.loc[bounds["fresh"], METER_ID])
    # a fresh meter has no stored row (checked when it was found due, in this same database
    # state): its rows go straight in, without the staging pass that conflicts would need
    run_text = run_at.tz_convert("UTC").isoformat()
    copy_frame(conn, "consumption_hourly", _us(hourly[fresh], TS).assign(run_at=run_text))
    copy_frame(conn, "stage_consumption", _us(hourly.loc[~fresh, HOURLY_COLUMNS], TS))
    replaced = 0
    if not bounds["fresh"].all():
        replaced = _archive_and_prune(conn, run_at)
    cur = conn.execute(
        "INSERT INTO consumption_hourly AS t (meter_id, ts, volume, quality, estimated_share,"
        " method, run_at) SELECT meter_id, ts, volume, quality, estimated_share, method, %s"
        " FROM stage_consumption"
        " ON CONFLICT (meter_id, ts) DO UPDATE SET volume = excluded.volume,"
        " quality = excluded.quality, estimated_share = excluded.estimated_share,"
        " method = excluded.method, run_at = excluded.run_at"
        f" WHERE {_VALUES} IS DISTINCT FROM"
        " (excluded.volume, excluded.quality, excluded.estimated_share, excluded.method)",
        (run_at,),
    )
    return WriteCounts(int(fresh.sum()) + cur.rowcount, replaced)


def _archive_and_prune(conn: psycopg.Connection, run_at: pd.Timestamp) -> int:
    """Copy estimates about to change to the history; delete rows no longer produced."""
    cur = conn.execute(
        "INSERT INTO consumption_history (meter_id, ts, volume, quality, estimated_share, method,"
        " run_at, replaced_at)"
        " SELECT t.meter_id, t.ts, t.volume, t.quality, t.estimated_share, t.method, t.run_at, %s"
        " FROM consumption_hourly t JOIN stage_bounds b ON b.meter_id = t.meter_id AND NOT b.fresh"
        " LEFT JOIN stage_consumption s ON s.meter_id = t.meter_id AND s.ts = t.ts"
        " WHERE t.ts >= b.write_from AND t.quality = 'estimated'"
        f" AND (s.meter_id IS NULL OR {_NEW} IS DISTINCT FROM {_VALUES})",
        (run_at,),
    )
    replaced = cur.rowcount
    conn.execute(
        "DELETE FROM consumption_hourly t USING stage_bounds b"
        " WHERE b.meter_id = t.meter_id AND NOT b.fresh AND t.ts >= b.write_from"
        " AND NOT EXISTS (SELECT 1 FROM stage_consumption s"
        "  WHERE s.meter_id = t.meter_id AND s.ts = t.ts)"
    )
    return replaced


def upsert_rollups(
    conn: psycopg.Connection,
    rollups: pd.DataFrame,
    *,
    fresh: list[str] | None = None,
    run_at: pd.Timestamp,
) -> int:
    """Replace the day/month/year rollups of the meters staged by ``upsert_consumption``.

    ``rollups`` has ``ROLLUP_COLUMNS``; those of ``fresh`` meters (nothing
    stored yet) are copied straight in.
    """
    direct = rollups[METER_ID].isin(fresh or [])
    run_text = run_at.tz_convert("UTC").isoformat()
    copy_frame(conn, "consumption_rollups", _us(rollups[direct], START).assign(run_at=run_text))
    copy_frame(conn, "stage_rollups", _us(rollups.loc[~direct, ROLLUP_COLUMNS], START))
    conn.execute(
        "DELETE FROM consumption_rollups t USING stage_bounds b WHERE b.meter_id = t.meter_id"
        " AND NOT b.fresh AND NOT EXISTS (SELECT 1 FROM stage_rollups s WHERE"
        " s.meter_id = t.meter_id AND s.resolution = t.resolution AND s.start = t.start)"
    )
    cur = conn.execute(
        "INSERT INTO consumption_rollups AS t (meter_id, resolution, start, volume,"
        " quality, estimated_share, method, run_at) SELECT meter_id, resolution, start, volume,"
        " quality, estimated_share, method, %s FROM stage_rollups"
        " ON CONFLICT (meter_id, resolution, start) DO UPDATE SET volume = excluded.volume,"
        " quality = excluded.quality, estimated_share = excluded.estimated_share,"
        " method = excluded.method, run_at = excluded.run_at"
        " WHERE (t.volume, t.quality, t.estimated_share, t.method) IS DISTINCT FROM"
        " (excluded.volume, excluded.quality, excluded.estimated_share, excluded.method)",
        (run_at,),
    )
    return int(direct.sum()) + cur.rowcount


def upsert_findings(
    conn: psycopg.Connection, findings: pd.DataFrame, *, run_at: pd.Timestamp
) -> int:
    """Replace the findings of the staged meters (``FINDING_COLUMNS``)."""
    copy_frame(conn, "stage_findings", _us(findings[FINDING_COLUMNS], TS))
    conn.execute(
        "DELETE FROM estimate_findings t USING stage_bounds b WHERE b.meter_id = t.meter_id"
        " AND NOT EXISTS (SELECT 1 FROM stage_findings s WHERE s.meter_id = t.meter_id"
        " AND s.ts = t.ts AND s.code = t.code)"
    )
    cur = conn.execute(
        "INSERT INTO estimate_findings AS t (meter_id, ts, code, detail, amount, run_at)"
        " SELECT DISTINCT ON (meter_id, ts, code) meter_id, ts, code, detail, amount, %s"
        " FROM stage_findings ORDER BY meter_id, ts, code"
        " ON CONFLICT (meter_id, ts, code) DO UPDATE SET detail = excluded.detail,"
        " amount = excluded.amount, run_at = excluded.run_at"
        " WHERE (t.detail, t.amount) IS DISTINCT FROM (excluded.detail, excluded.amount)",
        (run_at,),
    )
    return cur.rowcount


def upsert_watermarks(
    conn: psycopg.Connection, marks: pd.DataFrame, *, as_of: pd.Timestamp, run_at: pd.Timestamp
) -> None:
    """Record where each meter's run stopped: ``meter_id, received_upto, last_read_ts``."""
    conn.execute(
        "INSERT INTO estimate_watermarks (meter_id, received_upto, last_read_ts, as_of, run_at)"
        " SELECT *, %s, %s FROM unnest(%s::text[], %s::timestamptz[], %s::timestamptz[])"
        " ON CONFLICT (meter_id) DO UPDATE SET received_upto = excluded.received_upto,"
        " last_read_ts = excluded.last_read_ts, as_of = excluded.as_of, run_at = excluded.run_at",
        (
            as_of,
            run_at,
            list(marks[METER_ID]),
            list(marks["received_upto"]),
            [None if pd.isna(ts) else ts for ts in marks["last_read_ts"]],
        ),
    )


def fetch_hourly(
    conn: psycopg.Connection,
    meter_ids: list[str],
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Stored hourly intervals: ``meter_id, ts, volume, quality, estimated_share, method``."""
    cur = conn.execute(
        "SELECT meter_id, ts, volume, quality, estimated_share::float8, method"
        " FROM consumption_hourly WHERE meter_id = ANY(%(ids)s)"
        " AND (%(start)s::timestamptz IS NULL OR ts >= %(start)s)"
        " AND (%(end)s::timestamptz IS NULL OR ts < %(end)s) ORDER BY meter_id, ts",
        {"ids": list(meter_ids), START: start, "end": end},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=HOURLY_COLUMNS)
    frame[TS] = pd.to_datetime(frame[TS], utc=True)
    return frame


def fetch_rollups(
    conn: psycopg.Connection,
    meter_id: str,
    resolution: str,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Stored day/month/year rollups of one meter, ``start`` as stored (UTC)."""
    cur = conn.execute(
        "SELECT start, volume, quality, estimated_share::float8, method"
        " FROM consumption_rollups WHERE meter_id = %(id)s AND resolution = %(res)s"
        " AND (%(start)s::timestamptz IS NULL OR start >= %(start)s)"
        " AND (%(end)s::timestamptz IS NULL OR start < %(end)s) ORDER BY start",
        {"id": meter_id, "res": resolution, START: start, "end": end},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=ROLLUP_COLUMNS[2:])
    frame[START] = pd.to_datetime(frame[START], utc=True)
    return frame


def fetch_findings(conn: psycopg.Connection, meter_ids: list[str] | None = None) -> pd.DataFrame:
    """Stored validation findings: ``meter_id, ts, code, detail, amount``."""
    cur = conn.execute(
        "SELECT meter_id, ts, code, detail, amount FROM estimate_findings"
        " WHERE %(all)s OR meter_id = ANY(%(ids)s) ORDER BY meter_id, ts, code",
        {"all": meter_ids is None, "ids": list(meter_ids or [])},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=FINDING_COLUMNS)
    frame[TS] = pd.to_datetime(frame[TS], utc=True)
    return frame


def _us(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    """``column`` as ISO 8601 UTC text to the microsecond, as COPY reads it back exactly.

    Formatted once per distinct instant (hourly grids repeat across meters):
    pyarrow's own timestamp formatting is the slowest part of a bulk write.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(frame[column], utc=True)).as_unit("us")
    distinct, inverse = np.unique(stamps.asi8, return_inverse=True)
    text = np.char.add(np.datetime_as_string(distinct.astype("datetime64[us]"), unit="us"), "Z")
    values = text.astype(object)[inverse]
    values[stamps.isna()] = None
    return frame.assign(**{column: values})
