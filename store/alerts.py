"""Alerts, their events and the detection watermarks.

Writes run in the caller's transaction. Alerts are keyed by id; the lifecycle
(``detect.lifecycle``) decides which to insert or update, so a rerun that
plans nothing writes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from core import Alert, AlertChange, AlertStatus, AnomalyType, Partition, Severity
from core.columns import METER_ID
from core.partition import ALL_METERS
from store.partitions import partition_params

RECHECK = pd.Timedelta(hours=24)  # a silent meter is looked at again after this
ALERT_COLUMNS = [
    "id", METER_ID, "type", "severity", "status", "start", "end", "detected_at", "last_seen",
    "evidence", "estimated_volume_m3", "estimated_cost_eur", "legally_notifiable",
]  # fmt: skip
_SELECT = "SELECT id, meter_id, type, severity, status, start, \"end\", detected_at, last_seen," \
    " evidence, estimated_volume_m3, estimated_cost_eur, legally_notifiable FROM alerts"  # fmt: skip


def fetch_alerts(
    conn: psycopg.Connection,
    *,
    meter_ids: list[str] | None = None,
    status: str | None = None,
    since: pd.Timestamp | None = None,
) -> list[Alert]:
    """Alerts ordered by id; ``status='unresolved'`` for open and acknowledged ones,
    ``since`` keeps unresolved alerts and those that ended after it."""
    where: list[str] = ["true"]
    params: list[Any] = []
    if meter_ids is not None:
        where.append("meter_id = ANY(%s)")
        params.append(list(meter_ids))
    if status == "unresolved":
        where.append("status <> 'resolved'")
    elif status is not None:
        where.append("status = %s")
        params.append(status)
    if since is not None:
        where.append("(status <> 'resolved' OR \"end\" >= %s)")
        params.append(since)
    query = f"{_SELECT} WHERE {' AND '.join(where)} ORDER BY id"
    return [_alert(row) for row in conn.execute(query, params)]  # type: ignore[arg-type]


def _alert(row: tuple[Any, ...]) -> Alert:
    values = dict(zip(ALERT_COLUMNS, row, strict=True))
    for name in ("start", "end", "detected_at", "last_seen"):
        if values[name] is not None:
            values[name] = pd.Timestamp(values[name]).tz_convert("UTC")
    values.update(
        type=AnomalyType(values["type"]),
        severity=Severity(values["severity"]),
        status=AlertStatus(values["status"]),
    )
    return Alert(**values)


def upsert_alerts(
    conn: psycopg.Connection, changes: list[AlertChange], *, as_of: pd.Timestamp
) -> list[Alert]:
    """Insert new alerts, update changed ones and queue their events; returns them stored."""
    out = []
    for change in changes:
        alert = change.alert
        if alert.id is None:
            alert_id = _insert(conn, alert, as_of)
            alert = replace(alert, id=alert_id)
        else:
            _update(conn, alert, as_of)
        for event in change.events:
            conn.execute(
                "INSERT INTO alert_events (alert_id, event, at, severity, status, customer_facing)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                (alert.id, event, as_of, alert.severity, alert.status, alert.customer_facing),
            )  # fmt: skip
        out.append(alert)
    return out


def _values(alert: Alert) -> tuple[Any, ...]:
    return (
        alert.severity, alert.status, alert.start, alert.end, alert.last_seen,
        json.dumps(alert.evidence, default=str), alert.estimated_volume_m3,
        alert.estimated_cost_eur, alert.legally_notifiable,
    )  # fmt: skip


def _insert(conn: psycopg.Connection, alert: Alert, as_of: pd.Timestamp) -> int:
    row = conn.execute(
        "INSERT INTO alerts (severity, status, start, \"end\", last_seen, evidence,"
        " estimated_volume_m3, estimated_cost_eur, legally_notifiable, meter_id, type,"
        " detected_at, customer_facing, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (*_values(alert), alert.meter_id, alert.type, alert.detected_at,
         alert.customer_facing, as_of),
    ).fetchone()  # fmt: skip
    assert row is not None
    return int(row[0])


def _update(conn: psycopg.Connection, alert: Alert, as_of: pd.Timestamp) -> None:
    conn.execute(
        'UPDATE alerts SET severity = %s, status = %s, start = %s, "end" = %s,'
        " last_seen = %s, evidence = %s::jsonb, estimated_volume_m3 = %s,"
        " estimated_cost_eur = %s, legally_notifiable = %s, updated_at = %s WHERE id = %s",
        (*_values(alert), as_of, alert.id),
    )


def acknowledge_alert(conn: psycopg.Connection, alert_id: int, *, at: pd.Timestamp) -> str | None:
    """Mark an open alert acknowledged; returns the status it had (None if unknown).

    An acknowledged or resolved alert is left as it is.
    """
    row = conn.execute("SELECT status FROM alerts WHERE id = %s", (alert_id,)).fetchone()
    if row is None:
        return None
    if row[0] == AlertStatus.OPEN:
        conn.execute(
            "UPDATE alerts SET status = 'acknowledged', acknowledged_at = %s, updated_at = %s"
            " WHERE id = %s",
            (at, at, alert_id),
        )
    return str(row[0])


def fetch_alert_events(
    conn: psycopg.Connection, *, after_id: int = 0, limit: int | None = None
) -> pd.DataFrame:
    """Alert events after ``after_id`` in order: id, alert_id, event, at, severity,
    status, customer_facing (the notification step's queue)."""
    query = (
        "SELECT id, alert_id, event, at, severity, status, customer_facing FROM alert_events"
        " WHERE id > %s ORDER BY id"
    )
    params: list[Any] = [after_id]
    if limit is not None:
        query += " LIMIT %s"
        params.append(limit)
    columns = ["id", "alert_id", "event", "at", "severity", "status", "customer_facing"]
    frame = pd.DataFrame(conn.execute(query, params).fetchall(), columns=columns)  # type: ignore[arg-type]
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame


def fetch_due_detection(
    conn: psycopg.Connection,
    *,
    as_of: pd.Timestamp,
    meter_ids: list[str] | None = None,
    partition: Partition = ALL_METERS,
    recheck: pd.Timedelta = RECHECK,
) -> pd.DataFrame:
    """Meters to run: new readings since their last run, an unresolved alert, a last
    run older than ``recheck`` (a silent meter has no new data to wake it), or all
    of ``meter_ids``; only the meters of ``partition``. Column: meter_id.

    Each test stops at the first row found through the (meter_id, ts) key, so
    a first run does not scan every reading to find the meters that have one.
    """
    forced = meter_ids is not None
    cur = conn.execute(
        "SELECT m.meter_id FROM meters m LEFT JOIN detect_watermarks w USING (meter_id)"
        " WHERE (NOT %(forced)s OR m.meter_id = ANY(%(ids)s))"
        " AND (%(n)s = 1 OR releve_partition(m.meter_id, %(n)s) = %(i)s)"
        " AND EXISTS (SELECT 1 FROM readings r WHERE r.meter_id = m.meter_id"
        "             AND r.ts <= %(as_of)s)"
        " AND (%(forced)s OR w.meter_id IS NULL OR w.as_of < %(as_of)s - %(recheck)s"
        "  OR EXISTS (SELECT 1 FROM meter_receipts x WHERE x.meter_id = m.meter_id"
        "             AND x.received_upto > w.received_upto)"
        "  OR EXISTS (SELECT 1 FROM alerts a WHERE a.meter_id = m.meter_id"
        "             AND a.status <> 'resolved'))"
        " ORDER BY m.meter_id",
        {
            "as_of": as_of,
            "forced": forced,
            "ids": list(meter_ids or []),
            "recheck": recheck,
            **partition_params(partition),
        },  # fmt: skip
    )
    return pd.DataFrame(cur.fetchall(), columns=[METER_ID])


def upsert_detect_watermarks(
    conn: psycopg.Connection, marks: pd.DataFrame, *, as_of: pd.Timestamp, run_at: pd.Timestamp
) -> None:
    """Record where each meter's run stopped (``meter_id, received_upto``)."""
    rows = [
        (meter_id, received_upto, as_of, run_at)
        for meter_id, received_upto in marks[[METER_ID, "received_upto"]].itertuples(index=False)
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO detect_watermarks (meter_id, received_upto, as_of, run_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (meter_id) DO UPDATE SET"
            " received_upto = EXCLUDED.received_upto, as_of = EXCLUDED.as_of,"
            " run_at = EXCLUDED.run_at",
            rows,
        )


@dataclass(frozen=True)
class StoredReads:
    """One meter's readings for detection.

    ts : ndarray  Read times [epoch ns, UTC], in time order.
    index : ndarray  Indexes [meter unit]; a missing index is NaN.
    received_upto : Timestamp  Latest reception of any of its readings up to the
        run's ``as_of``, older ones included: the run's watermark [UTC].
    """

    ts: np.ndarray
    index: np.ndarray
    received_upto: pd.Timestamp


# timestamptz_send counts microseconds from 2000-01-01 UTC
PG_EPOCH_US = 946_684_800_000_000


def fetch_detection_reads(
    conn: psycopg.Connection,
    meter_ids: list[str],
    *,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> dict[str, StoredReads]:
    """Readings of each meter from ``start`` to ``end``, and its watermark.

    The server packs each meter's columns into binary strings, so the client
    handles one row per meter instead of one per reading. Both aggregates see
    the rows in the same order, which the client sorts by time.
    """
    # one key range scan per meter: a plan over ANY(ids) scans the whole table
    cur = conn.execute(
        "SELECT m.meter_id, agg.ts, agg.index, agg.received_upto"
        " FROM unnest(%(ids)s::text[]) AS m(meter_id) CROSS JOIN LATERAL ("
        "  SELECT string_agg(timestamptz_send(r.ts), ''::bytea)"
        "   FILTER (WHERE r.ts >= %(start)s) AS ts,"
        "  string_agg(float8send(coalesce(r.index_value, 'NaN')), ''::bytea)"
        "   FILTER (WHERE r.ts >= %(start)s) AS index,"
        "  max(r.received_at) AS received_upto"
        "  FROM readings r WHERE r.meter_id = m.meter_id AND r.ts <= %(end)s) AS agg"
        " WHERE agg.received_upto IS NOT NULL",
        {"ids": list(meter_ids), "start": start, "end": end},
    )
    out = {}
    for meter_id, ts_bytes, index_bytes, received_upto in cur.fetchall():
        ts = (np.frombuffer(ts_bytes or b"", dtype=">i8").astype(np.int64) + PG_EPOCH_US) * 1000
        index = np.frombuffer(index_bytes or b"", dtype=">f8").astype(np.float64)
        if ts.size > 1 and not (np.diff(ts) > 0).all():
            order = np.argsort(ts, kind="stable")
            ts, index = ts[order], index[order]
        out[meter_id] = StoredReads(ts, index, pd.Timestamp(received_upto))
    return out
