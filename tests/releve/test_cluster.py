"""The batch jobs on a Dask LocalCluster of 2 workers: the same rows as one process,
a worker killed in the middle of a partition, a partition that fails."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pandas as pd
import psycopg
import pytest

from core.partition import partition_of
from ingest.load import store_readings
from releve.config import Settings
from releve.jobs.runner import RunReport, run_job
from tests.releve.test_detect_job import REJECTS, household_reads, load
from tests.releve.test_detect_job import day as day_of

distributed = pytest.importorskip("distributed", reason="the releve[dask] extra is not installed")
from releve.jobs.cluster import check_cluster, run_on_cluster  # noqa: E402

pytestmark = [pytest.mark.integration, pytest.mark.slow]
METERS = [f"W-{k}" for k in range(1, 9)]
# Every table a job writes, with the columns that make its natural key and its contents;
# alerts and their events without their serial ids, which follow the order of the writes.
OUTPUTS = {
    "consumption_hourly": "*",
    "consumption_history": "*",
    "consumption_rollups": "*",
    "estimate_findings": "*",
    "estimate_watermarks": "*",
    "detect_watermarks": "*",
    "job_errors": "*",
    "alerts": 'meter_id, type, severity, status, start, "end", detected_at, last_seen,'
    " evidence::text, estimated_volume_m3, estimated_cost_eur, legally_notifiable,"
    " customer_facing, acknowledged_at, updated_at",
    "alert_events": "a.meter_id, a.type, a.start, e.event, e.at, e.severity, e.status,"
    " e.customer_facing",
}
RUNS = (day_of(30), day_of(45))  # two runs: the first whole, the second incremental


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    """The scheduler address of a LocalCluster of 2 worker processes, one thread each."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as engine:
        yield engine.scheduler_address


@pytest.fixture
def client(cluster: str) -> Iterator[distributed.Client]:
    with distributed.Client(cluster) as connected:
        yield connected


def load_meters(conn: psycopg.Connection) -> None:
    """W-1 .. W-8: households with leaks, spread over the partitions; their reads
    after the first run's ``as_of`` arrive later, so the second run is incremental."""
    load(conn)
    others = pd.concat([household_reads(seed=k).assign(meter_id=f"W-{k}") for k in range(2, 9)])
    store_readings(conn, others[others["ts"] <= RUNS[0]], REJECTS, source="test", location="test")
    conn.commit()


def load_later_reads(conn: psycopg.Connection) -> None:
    """The reads after the first run's ``as_of`` (loading them again changes nothing)."""
    reads = pd.concat([household_reads(seed=k).assign(meter_id=f"W-{k}") for k in range(2, 9)])
    store_readings(conn, reads[reads["ts"] > RUNS[0]], REJECTS, source="test", location="test")
    conn.commit()


def snapshot(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Every row the jobs wrote, table by table, in a fixed order."""
    rows = {}
    for table, columns in OUTPUTS.items():
        source = (
            "alert_events e JOIN alerts a ON a.id = e.alert_id"
            if table == "alert_events"
            else table
        )
        found = conn.execute(f"SELECT {columns} FROM {source}").fetchall()
        rows[table] = sorted(found, key=repr)
    conn.commit()
    return rows


def clear_outputs(conn: psycopg.Connection) -> None:
    conn.execute(f"TRUNCATE {', '.join(OUTPUTS)} RESTART IDENTITY")
    conn.commit()


def run_single(conn: psycopg.Connection, settings: Settings) -> None:
    for as_of in RUNS:
        for name in ("estimate", "detect"):
            run_job(name, settings, as_of, workers=1, run_at=as_of)
        load_later_reads(conn)


def run_cluster(
    conn: psycopg.Connection, client: distributed.Client, settings: Settings, **options
) -> list[RunReport]:
    reports = []
    for as_of in RUNS:
        for name in ("estimate", "detect"):
            reports.append(
                run_on_cluster(name, settings, as_of, cluster=client, run_at=as_of, **options)
            )
        load_later_reads(conn)
    return reports


def test_two_workers_write_the_rows_of_one_process(
    conn: psycopg.Connection, db_url: str, client: distributed.Client
) -> None:
    load_meters(conn)
    settings = Settings(database_url=db_url, timezone="Europe/Paris")
    run_single(conn, settings)
    alone = snapshot(conn)
    assert len(alone["consumption_hourly"]) > 8 * 24 * 40 and alone["alerts"], "a real run"
    clear_outputs(conn)

    reports = run_cluster(conn, client, settings, partitions=5)
    assert all(r.partitions == 5 and not r.failed_partitions for r in reports)
    assert [r.summary.meters for r in reports] == [8, 8, 8, 8]
    assert snapshot(conn) == alone


def test_a_worker_killed_mid_partition_is_retried_and_each_row_written_once(
    conn: psycopg.Connection, db_url: str, client: distributed.Client
) -> None:
    load_meters(conn)
    settings = Settings(database_url=db_url, timezone="Europe/Paris")
    victim, count = "W-3", 4
    # An uncommitted watermark of the victim holds its partition's write in mid-transaction,
    # after its hourly rows and rollups, until the test lets it go.
    blocker = psycopg.connect(db_url)
    blocker.execute(
        "INSERT INTO estimate_watermarks (meter_id, received_upto, as_of, run_at)"
        " VALUES (%s, now(), now(), now())",
        (victim,),
    )
    reports: list[RunReport] = []
    run = threading.Thread(
        target=lambda: reports.append(
            run_on_cluster(
                "estimate", settings, RUNS[0], cluster=client, partitions=count, run_at=RUNS[0]
            )
        )
    )
    run.start()
    try:
        key = f"-{partition_of(victim, count)}/{count}"
        worker = wait_for(lambda: _worker_blocked_on(client, conn, key))
        pid = client.run(os.getpid, workers=[worker])[worker]
        os.kill(pid, signal.SIGKILL)
    finally:
        blocker.rollback()
        blocker.close()
    run.join(timeout=300)
    assert not run.is_alive()
    (report,) = reports
    assert not report.failed_partitions and report.summary.meters == len(METERS)
    killed = snapshot(conn)

    clear_outputs(conn)
    run_job("estimate", settings, RUNS[0], workers=1, run_at=RUNS[0])
    assert killed == snapshot(conn), "the retried partition wrote each row once"


def _worker_blocked_on(
    client: distributed.Client, conn: psycopg.Connection, key: str
) -> str | None:
    """The worker running the task ``key`` once its store session waits on a row lock."""
    waiting = conn.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    ).fetchone()
    conn.commit()
    if not waiting or not waiting[0]:
        return None
    for worker, keys in client.processing().items():
        if any(str(k).endswith(key) for k in keys):
            return str(worker)
    return None


def wait_for(found, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = found()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("the partition never reached its write")


def test_a_partition_failing_after_retries_is_reported_with_its_meters(
    conn: psycopg.Connection, db_url: str, client: distributed.Client
) -> None:
    load_meters(conn)
    settings = Settings(database_url=db_url, timezone="Europe/Paris")
    count, locked = 3, 1
    with psycopg.connect(db_url, autocommit=True) as other:  # another run holds partition 1/3
        other.execute(
            "SELECT pg_advisory_lock(hashtext('releve estimate'), %s)", (count * 65536 + locked,)
        )
        report = run_on_cluster(
            "estimate",
            settings,
            RUNS[0],
            cluster=client,
            partitions=count,
            retries=1,
            lock_wait_s=0.5,
        )
    (failed,) = report.failed_partitions
    assert str(failed.partition) == f"{locked}/{count}" and "JobLocked" in failed.error
    expected = sorted(m for m in METERS if partition_of(m, count) == locked)
    assert failed.meters == expected
    assert report.partitions == count - 1
    assert report.summary.meters == len(METERS) - len(expected), "the others complete"


def test_the_command_runs_on_a_cluster_with_progress(
    conn: psycopg.Connection, releve_env: dict[str, str], cluster: str
) -> None:
    load_meters(conn)
    command = [sys.executable, "-m", "releve.cli", "estimate", "--as-of", RUNS[0].isoformat()]
    done = subprocess.run(
        [*command, "--cluster", cluster, "--partitions", "3"],
        env=releve_env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "estimated 8 meters in 3 partitions" in done.stdout
    assert "3/3 partitions, 8 meters" in done.stderr and "meters/s" in done.stderr
    refused = subprocess.run(
        [*command, "--cluster", "scheduler:8786"],
        env=releve_env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert refused.returncode == 2 and "tcp://scheduler:8786" in refused.stderr


@pytest.mark.parametrize("text", ["tcp://10.0.0.1:8786", "local:2", "tls://sched:8786"])
def test_cluster_addresses(text: str) -> None:
    assert check_cluster(text) == text


@pytest.mark.parametrize("text", ["local:0", "local", "10.0.0.1:8786", ""])
def test_not_cluster_addresses(text: str) -> None:
    with pytest.raises(ValueError, match="not a cluster"):
        check_cluster(text)
