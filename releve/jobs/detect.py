"""The detection job: due meters' reads and events from the store, through
``estimate.validate_reads`` and ``detect.detect_all``, then the alert lifecycle,
back to the store.

Meters are processed in chunks, each written in one transaction with its
watermarks, so an interrupted run resumes where it stopped and a rerun changes
nothing. On large runs the chunks' meters go through a process pool, and the
next chunk is read from the store while the pool works on the current one.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg

from detect import DetectSettings, Episode, Meter, Tariff, detect_all
from detect.lifecycle import LifecycleSettings, plan_alerts
from estimate import validate_reads
from releve.config import Settings
from store.alerts import (
    fetch_alerts,
    fetch_detection_reads,
    fetch_due_detection,
    upsert_alerts,
    upsert_detect_watermarks,
)
from store.events import fetch_meter_events
from store.meters import fetch_meters, fetch_removals

# Below this many due meters a process pool costs more than it saves.
POOL_MIN_METERS = 400

# Enough history for the loi Warsmann reference: the same period three years back.
HISTORY = pd.Timedelta(days=3 * 365 + 45)

# One columns index for every meter's reads frame: its lookup table is built once.
_READ_COLUMNS = pd.Index(["index"])


@dataclass
class DetectSummary:
    """What one run did."""

    meters: int = 0
    episodes: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)


def meter_of(row: pd.Series, default_timezone: str) -> Meter:
    """Detection's view of a meters-table row."""

    def value(name: str) -> object:
        item = row.get(name)
        return None if item is None or pd.isna(item) else item

    conversion = value("conversion_kwh_per_m3")
    q3 = value("q3_m3h")
    return Meter(
        meter_id=str(row["meter_id"]),
        kind=str(value("kind") or "water"),
        unit=str(row["unit"]),
        q3_m3h=float(str(q3)) if q3 is not None else None,
        conversion_kwh_per_m3=float(str(conversion)) if conversion is not None else 11.0,
        timezone=str(value("timezone") or default_timezone),
    )


def run_detect(
    conn: psycopg.Connection,
    *,
    as_of: pd.Timestamp,
    meter_ids: list[str] | None = None,
    settings: Settings | None = None,
    detection: DetectSettings | None = None,
    lifecycle: LifecycleSettings | None = None,
    chunk_size: int = 500,
    run_at: pd.Timestamp | None = None,
    workers: int | None = None,
) -> DetectSummary:
    """Detect anomalies on every due meter (or ``meter_ids``) as of ``as_of`` and
    bring their alerts up to date.

    workers : int | None  Processes detecting in parallel; None: one per CPU on
        runs of ``POOL_MIN_METERS`` meters or more, else in this process.
    """
    settings = settings or Settings.load()
    run_at = run_at or pd.Timestamp.now(tz="UTC")
    due = fetch_due_detection(conn, as_of=as_of, meter_ids=meter_ids)
    conn.commit()
    if workers is None:
        workers = (os.cpu_count() or 1) if len(due) >= POOL_MIN_METERS else 1
    summary = DetectSummary()
    chunks = [due.iloc[b : b + chunk_size] for b in range(0, len(due), chunk_size)]
    with _pool(workers) as pool:
        pending: tuple[pd.DataFrame, list[Future[list[Episode]]]] | None = None
        for chunk in chunks:
            jobs, marks = read_chunk(conn, chunk["meter_id"].tolist(), as_of, settings)
            conn.commit()
            submitted = _submit(pool, jobs, workers, as_of, detection)
            if pending is not None:
                _write(conn, *pending, as_of, run_at, lifecycle, summary)
            pending = (marks, submitted)
        if pending is not None:
            _write(conn, *pending, as_of, run_at, lifecycle, summary)
    return summary


@dataclass(frozen=True)
class MeterJob:
    """One meter's detection input, light to send to a worker process.

    ts : ndarray  Read times [epoch ns, UTC]; index : ndarray  Indexes [meter unit].
    """

    meter: Meter
    digits: int | None
    ts: np.ndarray
    index: np.ndarray
    events: pd.DataFrame | None
    tariff: Tariff
    removed_at: pd.Timestamp | None = None  # replaced: judged as of when it came off


def read_chunk(
    conn: psycopg.Connection, meter_ids: list[str], as_of: pd.Timestamp, settings: Settings
) -> tuple[list[MeterJob], pd.DataFrame]:
    """The detection input of every meter of a chunk, from the store, and the
    watermarks (``meter_id, received_upto``) a run over them leaves."""
    meters = fetch_meters(conn, meter_ids).set_index("meter_id", drop=False)
    removals = fetch_removals(conn, meter_ids)
    reads = fetch_detection_reads(conn, meter_ids, start=as_of - HISTORY, end=as_of)
    events = fetch_meter_events(conn, meter_ids)
    by_meter = dict(tuple(events.groupby("meter_id"))) if not events.empty else {}
    tariff = Tariff(settings.water_price_eur_per_m3, settings.gas_price_eur_per_kwh)
    jobs = []
    for meter_id, stored in reads.items():
        if stored.ts.size == 0:
            continue
        row = meters.loc[meter_id]
        digits = row.get("digits")
        jobs.append(
            MeterJob(
                meter=meter_of(row, settings.timezone),
                digits=int(digits) if digits is not None and not pd.isna(digits) else None,
                ts=stored.ts,
                index=stored.index,
                events=by_meter.get(meter_id),
                tariff=tariff,
                removed_at=removals.get(meter_id),
            )
        )
    marks = pd.DataFrame(
        [(meter_id, stored.received_upto) for meter_id, stored in reads.items()],
        columns=["meter_id", "received_upto"],
    )
    return jobs, marks


def detect_meters(
    jobs: list[MeterJob], as_of: pd.Timestamp, detection: DetectSettings | None
) -> list[Episode]:
    """Episodes of every meter of ``jobs``: validation, then every detector."""
    episodes: list[Episode] = []
    detection = detection or DetectSettings()
    for job in jobs:
        frame = pd.DataFrame(
            job.index[:, None],
            index=pd.DatetimeIndex(job.ts.view("datetime64[ns]"), tz="UTC", name="ts"),
            columns=_READ_COLUMNS,
            copy=False,  # read only: no need to copy the job's arrays
        )
        validated = validate_reads(frame, digits=job.digits)
        episodes += detect_all(
            validated.reads,
            meter=job.meter,
            as_of=as_of if job.removed_at is None else _removal_as_of(as_of, job),
            findings=validated.findings,
            events=job.events,
            tariff=job.tariff,
            settings=detection,
        )
    return episodes


def _removal_as_of(as_of: pd.Timestamp, job: MeterJob) -> pd.Timestamp:
    """A replaced meter is judged as of when it came off, or of its last read if later."""
    assert job.removed_at is not None
    last_read = pd.Timestamp(int(job.ts.max()), tz="UTC")
    return min(as_of, max(job.removed_at, last_read))


@contextmanager
def _pool(workers: int) -> Iterator[ProcessPoolExecutor | None]:
    if workers <= 1:
        yield None
        return
    # forkserver: workers start from a clean process, not from one holding
    # the store connection
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["releve.jobs.detect"])
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield pool


def _submit(
    pool: ProcessPoolExecutor | None,
    jobs: list[MeterJob],
    workers: int,
    as_of: pd.Timestamp,
    detection: DetectSettings | None,
) -> list[Future[list[Episode]]]:
    if pool is None:
        done: Future[list[Episode]] = Future()
        done.set_result(detect_meters(jobs, as_of, detection))
        return [done]
    parts = [jobs[k::workers] for k in range(workers)]
    return [pool.submit(detect_meters, part, as_of, detection) for part in parts if part]


def _write(
    conn: psycopg.Connection,
    marks: pd.DataFrame,
    submitted: list[Future[list[Episode]]],
    as_of: pd.Timestamp,
    run_at: pd.Timestamp,
    lifecycle: LifecycleSettings | None,
    summary: DetectSummary,
) -> None:
    """Bring a chunk's alerts and watermarks up to date in one transaction."""
    episodes = [e for future in submitted for e in future.result()]
    with conn.transaction():
        existing = fetch_alerts(conn, meter_ids=marks["meter_id"].tolist(), since=as_of - HISTORY)
        changes = plan_alerts(existing, episodes, as_of=as_of, settings=lifecycle)
        upsert_alerts(conn, changes, as_of=as_of)
        upsert_detect_watermarks(conn, marks, as_of=as_of, run_at=run_at)
    summary.meters += len(marks)
    summary.episodes.update(e.type for e in episodes)
    summary.events.update(event for c in changes for event in c.events)
