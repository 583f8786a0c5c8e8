"""The partition runner: partitions, one failure one meter, one run of a partition at a time."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import psycopg
import pytest

from core import Partition
from ingest.load import store_readings
from releve.config import Settings
from releve.jobs.detect import run_detect
from releve.jobs.estimate import run_estimate
from releve.jobs.runner import JobLocked, run_job
from store.alerts import fetch_alerts
from store.partitions import fetch_job_errors
from tests.releve.test_detect_job import REJECTS, START, day, household_reads, load

pytestmark = pytest.mark.integration
SETTINGS = Settings(timezone="Europe/Paris")


def load_with_an_energy_meter_of_unknown_kind(conn: psycopg.Connection) -> None:
    """W-1, a household with leaks, and E-1: readings in kWh of a meter nobody registered.

    E-1 is registered from its readings without a kind, so it is taken for
    water, and a water register in kWh has no volume: detection must raise
    for it, on real data, and for it alone.
    """
    load(conn)
    energy = household_reads(seed=3).assign(meter_id="E-1", unit="kWh")
    store_readings(conn, energy, REJECTS, source="test", location="test")


def test_a_meter_that_raises_is_recorded_and_every_other_meter_is_written(
    conn: psycopg.Connection,
) -> None:
    load_with_an_energy_meter_of_unknown_kind(conn)
    report = run_detect(conn, as_of=day(45), settings=SETTINGS, run_at=day(45))
    assert [(f.meter_id, f.error_type) for f in report.failures] == [("E-1", "UnitError")]
    assert "counts in 'kWh'" in report.failures[0].message
    assert report.summary.meters == 1
    assert {a.meter_id for a in fetch_alerts(conn)} == {"W-1"}
    errors = fetch_job_errors(conn, job="detect")
    assert errors[["meter_id", "error_type"]].values.tolist() == [["E-1", "UnitError"]]
    marks = conn.execute("SELECT meter_id FROM detect_watermarks").fetchall()
    assert marks == [("W-1",)], "the failed meter's watermark does not move"

    again = run_detect(conn, as_of=day(45), settings=SETTINGS, run_at=day(45))
    assert [f.meter_id for f in again.failures] == ["E-1"], "tried again at the next run"
    assert sum(again.summary.events.values()) == 0, "W-1 (due for its open alert) is unchanged"
    assert len(fetch_job_errors(conn, job="detect")) == 1, "a rerun records it once"
    estimated = run_estimate(conn, as_of=day(45), settings=SETTINGS)
    assert not estimated.failures and estimated.summary.meters == 2


def test_the_command_says_which_meters_failed_and_exits_1(
    conn: psycopg.Connection, releve_env: dict[str, str]
) -> None:
    load_with_an_energy_meter_of_unknown_kind(conn)
    conn.commit()
    done = subprocess.run(
        [sys.executable, "-m", "releve.cli", "detect", "--as-of", day(45).isoformat()],
        env=releve_env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "detected on 1 meters" in done.stdout
    assert "1 meters failed" in done.stderr and "E-1: UnitError" in done.stderr


def test_partitions_together_run_every_meter_once(conn: psycopg.Connection) -> None:
    load(conn)
    others = pd.concat([household_reads(seed=k).assign(meter_id=f"W-{k}") for k in range(2, 9)])
    store_readings(conn, others, REJECTS, source="test", location="test")
    counts = [
        run_estimate(
            conn, as_of=day(30), settings=SETTINGS, partition=Partition(i, 3)
        ).summary.meters
        for i in range(3)
    ]
    assert sum(counts) == 8 and all(0 < n < 8 for n in counts)
    assert run_estimate(conn, as_of=day(30), settings=SETTINGS).summary.meters == 0


def test_a_partition_runs_once_at_a_time(conn: psycopg.Connection, db_url: str) -> None:
    load(conn)
    with psycopg.connect(db_url, autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtext('releve estimate'), 65536)")
        with pytest.raises(JobLocked, match="partition 0/1"):
            run_estimate(conn, as_of=START + pd.Timedelta(days=30), settings=SETTINGS)
        settings = Settings(database_url=db_url, timezone="Europe/Paris")
        assert run_job("estimate", settings, day(30), partition=Partition(1, 2)).partitions == 1
