"""Partitions of the meters in queries, and the meters a job run could not compute."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg

from core import Partition
from core.columns import METER_ID


def partition_params(partition: Partition) -> dict[str, int]:
    """Query parameters ``n`` and ``i`` of
    ``(%(n)s = 1 OR releve_partition(meter_id, %(n)s) = %(i)s)``."""
    return {"n": partition.count, "i": partition.index}


@dataclass(frozen=True)
class MeterFailure:
    """A meter whose computation raised: skipped, and recorded with its error."""

    meter_id: str
    error_type: str
    message: str


def upsert_job_errors(
    conn: psycopg.Connection,
    job: str,
    failures: list[MeterFailure],
    *,
    as_of: pd.Timestamp,
    run_at: pd.Timestamp,
) -> None:
    """Record the meters a run of ``job`` as of ``as_of`` failed on (a rerun overwrites)."""
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO job_errors (job, meter_id, as_of, error_type, message, run_at)"
            " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (job, meter_id, as_of) DO UPDATE"
            " SET error_type = excluded.error_type, message = excluded.message,"
            " run_at = excluded.run_at",
            [(job, f.meter_id, as_of, f.error_type, f.message, run_at) for f in failures],
        )


def fetch_job_errors(
    conn: psycopg.Connection, *, job: str | None = None, since: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Recorded failures, latest first: job, meter_id, as_of, error_type, message, run_at."""
    cur = conn.execute(
        "SELECT job, meter_id, as_of, error_type, message, run_at FROM job_errors"
        " WHERE (%(job)s::text IS NULL OR job = %(job)s)"
        " AND (%(since)s::timestamptz IS NULL OR run_at >= %(since)s)"
        " ORDER BY run_at DESC, job, meter_id",
        {"job": job, "since": since},
    )
    columns = ["job", METER_ID, "as_of", "error_type", "message", "run_at"]
    return pd.DataFrame(cur.fetchall(), columns=columns)
