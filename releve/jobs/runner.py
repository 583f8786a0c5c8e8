"""The one partition runner of the batch jobs.

A job run is a set of partitions of the meters (``core.Partition``). One
partition is a plain function of (job, settings, partition, as_of) that opens
its own store connection: this machine runs the partitions on its cores, the
scheduler and a distributed engine can run them anywhere. Inside a partition
the due meters go by chunks: fetch the chunk's inputs, call the job's pure
function on each meter, write the results of the chunk in one transaction
with its watermarks, so an interrupted run resumes where it stopped and a
rerun changes nothing.

One failure, one meter: a meter whose computation raises is recorded in
``job_errors`` with its error and skipped (its watermark does not move, so
the next run tries it again); every other meter of the partition is computed
and written.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
import psycopg

from core import Partition
from core.columns import METER_ID
from core.partition import ALL_METERS
from releve.config import Settings
from releve.connect import open_store
from store.partitions import MeterFailure, upsert_job_errors

# Below this many due meters, starting worker processes costs more than it saves.
POOL_MIN_METERS = 400


class Summary(Protocol):
    """What a job's chunks did, added up over chunks and partitions."""

    meters: int

    def add(self, other: Any) -> None: ...


class MeterJob(Protocol):
    """A batch job: what the runner needs to know of estimation or detection."""

    name: str  # as recorded in job_errors: estimate, detect
    chunk_size: int

    def new_summary(self) -> Summary:
        """An empty summary of the job's kind."""

    def fetch_due(
        self, conn: psycopg.Connection, as_of: pd.Timestamp, partition: Partition,
        meter_ids: list[str] | None,
    ) -> pd.DataFrame:  # fmt: skip
        """The partition's due meters (a ``meter_id`` column, and any state the job keeps)."""

    def fetch_inputs(
        self, conn: psycopg.Connection, due: pd.DataFrame, as_of: pd.Timestamp
    ) -> Iterable[tuple[str, Any]]:
        """Each due meter's input to ``compute``, read from the store."""

    def compute(self, item: Any, as_of: pd.Timestamp) -> Any:
        """The pure computation of one meter (no I/O): raises if its data cannot be used."""

    def write(
        self, conn: psycopg.Connection, due: pd.DataFrame, results: Any,
        as_of: pd.Timestamp, run_at: pd.Timestamp, summary: Any,
    ) -> None:  # fmt: skip
        """Write the chunk's results (meters that failed are absent) in ``conn``'s transaction."""


@dataclass(frozen=True)
class PartitionFailure:
    """A partition that failed as a whole (its store gone, its worker killed every time).

    meters : list[str] | None  Its meters left due (None: the store could not say).
    """

    partition: Partition
    error: str
    meters: list[str] | None


@dataclass
class RunReport:
    """What a run did: the job's summary, the meters and the partitions that failed."""

    summary: Any  # the job's: EstimateSummary, DetectSummary
    partitions: int = 0
    failures: list[MeterFailure] = field(default_factory=list)
    failed_partitions: list[PartitionFailure] = field(default_factory=list)

    def add(self, other: RunReport) -> None:
        """Add up another partition's report."""
        self.summary.add(other.summary)
        self.partitions += other.partitions
        self.failures += other.failures
        self.failed_partitions += other.failed_partitions


class JobLocked(RuntimeError):
    """Another run of the job holds the partition."""


def make_job(name: str, settings: Settings) -> MeterJob:
    """The job called ``name`` (``estimate``, ``detect``), with its settings."""
    from releve.jobs.detect import DetectJob
    from releve.jobs.estimate import EstimateJob

    jobs: dict[str, type] = {"estimate": EstimateJob, "detect": DetectJob}
    return jobs[name](settings)  # type: ignore[no-any-return]


def run_partition(
    name: str,
    settings: Settings,
    partition: Partition,
    as_of: pd.Timestamp,
    *,
    meter_ids: list[str] | None = None,
    run_at: pd.Timestamp | None = None,
    lock_wait_s: float = 0.0,
) -> RunReport:
    """Run job ``name`` over one partition of the meters, on a connection of its own.

    lock_wait_s : float  How long to wait for the partition's lock [s]; a distributed
        engine retrying a task whose worker died waits for the dead session to end.
    """
    job = make_job(name, settings)
    with open_store(settings) as conn:
        return run_on(
            conn, job, partition, as_of, meter_ids=meter_ids, run_at=run_at,
            lock_wait_s=lock_wait_s,
        )  # fmt: skip


def run_on(
    conn: psycopg.Connection,
    job: MeterJob,
    partition: Partition,
    as_of: pd.Timestamp,
    *,
    meter_ids: list[str] | None = None,
    run_at: pd.Timestamp | None = None,
    lock_wait_s: float = 0.0,
) -> RunReport:
    """Run ``job`` over one partition on ``conn``, holding the partition's lock."""
    run_at = run_at or pd.Timestamp.now(tz="UTC")
    report = RunReport(job.new_summary(), partitions=1)
    with _partition_lock(conn, job.name, partition, wait_s=lock_wait_s):
        due = job.fetch_due(conn, as_of, partition, meter_ids)
        conn.commit()
        for start in range(0, len(due), job.chunk_size):
            chunk = due.iloc[start : start + job.chunk_size]
            inputs = list(job.fetch_inputs(conn, chunk, as_of))
            conn.commit()
            results, failures = _compute(job, inputs, as_of)
            with conn.transaction():
                job.write(conn, chunk, results, as_of, run_at, report.summary)
                upsert_job_errors(conn, job.name, failures, as_of=as_of, run_at=run_at)
            report.failures += failures
    return report


def _compute(
    job: MeterJob, inputs: list[tuple[str, Any]], as_of: pd.Timestamp
) -> tuple[dict[str, Any], list[MeterFailure]]:
    """Each meter's result; a meter that raises becomes a failure and the rest go on."""
    results, failures = {}, []
    for meter_id, item in inputs:
        try:
            results[meter_id] = job.compute(item, as_of)
        except Exception as exc:  # one failure, one meter: recorded, never the partition's
            failures.append(MeterFailure(meter_id, type(exc).__name__, str(exc)[:2000]))
    return results, failures


@contextmanager
def _partition_lock(
    conn: psycopg.Connection, job: str, partition: Partition, *, wait_s: float = 0.0
) -> Iterator[None]:
    """A session advisory lock on (job, partition): one run of a partition at a time."""
    key = (f"releve {job}", partition.count * 65536 + partition.index)
    deadline = time.monotonic() + wait_s
    locked = _try_lock(conn, key)
    while not locked and time.monotonic() < deadline:
        time.sleep(0.2)
        locked = _try_lock(conn, key)
    if not locked:
        raise JobLocked(
            f"another `releve {job}` is running partition {partition} on this store; "
            "wait for it to finish"
        )
    try:
        yield
    finally:
        conn.rollback()
        conn.execute("SELECT pg_advisory_unlock(hashtext(%s), %s)", key)
        conn.commit()


def _try_lock(conn: psycopg.Connection, key: tuple[str, int]) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(hashtext(%s), %s)", key).fetchone()
    conn.commit()
    return bool(row and row[0])


def run_job(
    name: str,
    settings: Settings,
    as_of: pd.Timestamp,
    *,
    partition: Partition | None = None,
    meter_ids: list[str] | None = None,
    workers: int | None = None,
    run_at: pd.Timestamp | None = None,
) -> RunReport:
    """Run job ``name``: one ``partition``, or every partition on this machine's cores.

    workers : int | None  Processes running partitions at once; None: one per CPU
        when ``POOL_MIN_METERS`` meters or more are due, else this process alone.
    """
    run_at = run_at or pd.Timestamp.now(tz="UTC")
    if partition is not None:
        return run_partition(name, settings, partition, as_of, meter_ids=meter_ids, run_at=run_at)
    if workers is None:
        workers = (os.cpu_count() or 1) if _due_count(name, settings, as_of, meter_ids) >= POOL_MIN_METERS else 1  # fmt: skip
    if workers <= 1:
        return run_partition(name, settings, ALL_METERS, as_of, meter_ids=meter_ids, run_at=run_at)
    report = RunReport(make_job(name, settings).new_summary())
    # forkserver: workers start from a clean process, not from one holding a connection
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(
        ["releve.jobs.runner", "releve.jobs.estimate", "releve.jobs.detect"]
    )
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(
                run_partition,
                name,
                settings,
                Partition(i, workers),
                as_of,
                meter_ids=meter_ids,
                run_at=run_at,
            )  # fmt: skip
            for i in range(workers)
        ]
        for future in futures:
            report.add(future.result())
    return report


def _due_count(
    name: str, settings: Settings, as_of: pd.Timestamp, meter_ids: list[str] | None
) -> int:
    job = make_job(name, settings)
    with open_store(settings) as conn:
        return len(job.fetch_due(conn, as_of, ALL_METERS, meter_ids)[METER_ID])
