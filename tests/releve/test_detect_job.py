"""The detection job and the alert commands against a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import psycopg
import pytest

from core.partition import ALL_METERS
from ingest.load import store_readings
from releve.config import Settings
from releve.jobs.detect import DetectJob, run_detect
from releve.jobs.runner import run_job
from store.alerts import fetch_alert_events, fetch_alerts
from store.meters import upsert_meters

pytestmark = pytest.mark.integration
SETTINGS = Settings(timezone="Europe/Paris")
START = pd.Timestamp("2026-01-05", tz="UTC")
REJECTS = pd.DataFrame(columns=["location", "raw", "reason", "reason_code"])
LEAKS = ((20, 30), (40, None))  # days: a 20 L/h leak fixed on day 30, another from day 40


def household_reads(days: int = 50, seed: int = 42) -> pd.DataFrame:
    """Hourly index reads [L] of a household with the leaks of LEAKS."""
    rng = np.random.default_rng(seed)
    ts = pd.date_range(START, periods=days * 24 + 1, freq="h")
    shape = np.tile([0] * 6 + [20, 40, 10] + [3] * 9 + [30, 25, 15, 5, 0, 0], days + 1)
    volume = rng.poisson(shape[: ts.size - 1]).astype(float)
    day = np.arange(ts.size - 1) / 24
    for first, last in LEAKS:
        volume += np.where((day >= first) & (day < (last or days)), 20.0, 0.0)
    index = np.concatenate(([5000.0], 5000 + np.cumsum(volume)))
    return pd.DataFrame(
        {
            "meter_id": "W-1", "ts": ts, "index": index, "unit": "L", "quality": "actual",
            "source": "test", "location": [f"test:{i}" for i in range(ts.size)], "raw": "",
        }
    )  # fmt: skip


def load(conn: psycopg.Connection) -> None:
    upsert_meters(
        conn,
        pd.DataFrame(
            [{"meter_id": "W-1", "kind": "water", "unit": "L", "digits": 8,
              "account_id": "A-1", "contract_id": None, "site_id": None,
              "timezone": "Europe/Paris", "installed_at": None, "replaces": None,
              "q3_m3h": 2.5, "conversion_kwh_per_m3": None}]
        ),
    )  # fmt: skip
    conn.commit()
    store_readings(conn, household_reads(), REJECTS, source="test", location="test")


def day(d: float) -> pd.Timestamp:
    return START + pd.Timedelta(days=d)


def detect(conn: psycopg.Connection, d: float):
    summary = run_detect(conn, as_of=day(d), settings=SETTINGS, run_at=day(d)).summary
    leaks = [a for a in fetch_alerts(conn) if a.type == "continuous_flow"]
    return summary, leaks


def test_lifecycle_through_the_store(conn: psycopg.Connection) -> None:
    load(conn)
    first, leaks = detect(conn, 23)
    assert first.meters == 1
    assert len(leaks) == 1 and leaks[0].status == "open" and leaks[0].end is None
    assert abs(leaks[0].start - day(20)) <= pd.Timedelta(hours=3)
    assert leaks[0].evidence["leak_rate_lph"] == pytest.approx(20.0, abs=2.0)
    assert leaks[0].estimated_cost_eur == pytest.approx(
        leaks[0].estimated_volume_m3 * SETTINGS.water_price_eur_per_m3, abs=0.01
    )
    events = len(fetch_alert_events(conn))

    rerun, again = detect(conn, 23)
    assert again == leaks
    assert len(fetch_alert_events(conn)) == events

    _, extended = detect(conn, 26)
    assert [a.id for a in extended] == [leaks[0].id]
    assert extended[0].estimated_volume_m3 > leaks[0].estimated_volume_m3

    conn.execute("UPDATE alerts SET status = 'acknowledged' WHERE id = %s", (leaks[0].id,))
    conn.commit()
    _, acknowledged = detect(conn, 28)
    assert acknowledged[0].status == "acknowledged"

    _, resolved = detect(conn, 33)
    assert resolved[0].status == "resolved"
    assert abs(resolved[0].end - day(30)) <= pd.Timedelta(hours=3)

    _, after = detect(conn, 35)
    assert after == resolved

    _, new = detect(conn, 44)
    assert len(new) == 2 and new[1].id != new[0].id and new[1].status == "open"
    kinds = fetch_alert_events(conn).query(
        "alert_id in @ids", local_dict={"ids": [a.id for a in new]}
    )
    assert kinds["event"].tolist() == ["opened", "resolved", "opened"]


def releve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "releve.cli", *args], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_commands(releve_env: dict[str, str], conn: psycopg.Connection) -> None:
    load(conn)
    found = releve(releve_env, "detect", "--as-of", "2026-01-30T00:00")
    assert found.returncode == 0, found.stderr
    assert "detected on 1 meters" in found.stdout and "continuous_flow" in found.stdout
    listed = releve(releve_env, "alerts", "--format", "json", "--meter", "W-1")
    assert listed.returncode == 0, listed.stderr
    alerts = [json.loads(line) for line in listed.stdout.splitlines()]
    assert len(alerts) == 1
    alert = alerts[0]
    assert list(alert) == ["id", "meter_id", "type", "severity", "status", "start", "end",
                           "detected_at", "evidence", "estimated_volume_m3",
                           "estimated_cost_eur", "message"]  # fmt: skip
    assert alert["type"] == "continuous_flow" and alert["end"] is None
    assert alert["detected_at"] == "2026-01-30T00:00:00+01:00"
    assert alert["message"].startswith("Fuite probable : ")
    table = releve(releve_env, "alerts")
    assert "continuous_flow" in table.stdout and "L/h" in table.stdout
    ack = releve(releve_env, "alerts", "ack", str(alert["id"]))
    assert ack.returncode == 0 and "acknowledged" in ack.stdout
    status = releve(releve_env, "alerts", "--format", "json", "--status", "all")
    assert json.loads(status.stdout.splitlines()[0])["status"] == "acknowledged"
    missing = releve(releve_env, "alerts", "ack", "999")
    assert missing.returncode == 1 and "does not exist" in missing.stderr


def test_partitions_on_two_processes_find_what_one_process_finds(
    conn: psycopg.Connection, db_url: str
) -> None:
    load(conn)
    others = pd.concat([household_reads(seed=7).assign(meter_id=m) for m in ("W-2", "W-3", "W-4")])
    store_readings(conn, others, REJECTS, source="test", location="test")
    as_of = day(26)
    job = DetectJob(SETTINGS)
    inputs = list(job.fetch_inputs(conn, job.fetch_due(conn, as_of, ALL_METERS, None), as_of))
    conn.commit()
    assert sorted(meter_id for meter_id, _ in inputs) == ["W-1", "W-2", "W-3", "W-4"]
    expected = {
        (e.meter_id, e.type, e.start) for _, item in inputs for e in job.compute(item, as_of)[1]
    }
    settings = Settings(database_url=db_url, timezone="Europe/Paris")
    report = run_job("detect", settings, as_of, workers=2, run_at=as_of)
    assert report.partitions == 2 and report.summary.meters == 4 and not report.failures
    alerts = fetch_alerts(conn)
    assert {(a.meter_id, a.type, a.start) for a in alerts} == expected
    assert {a.meter_id for a in alerts if a.type == "continuous_flow"} == {
        "W-1",
        "W-2",
        "W-3",
        "W-4",
    }
    run_job("detect", settings, as_of, workers=2, run_at=as_of)
    assert fetch_alerts(conn) == alerts


def test_a_replaced_meter_is_not_reported_silent(conn: psycopg.Connection) -> None:
    load(conn)
    swap = day(12)
    upsert_meters(
        conn,
        pd.DataFrame(
            [{"meter_id": "W-2", "kind": "water", "unit": "L", "digits": 8,
              "account_id": "A-1", "contract_id": None, "site_id": None,
              "timezone": "Europe/Paris", "installed_at": swap, "replaces": "W-1",
              "q3_m3h": 2.5, "conversion_kwh_per_m3": None}]
        ),
    )  # fmt: skip
    conn.execute("DELETE FROM readings WHERE meter_id = 'W-1' AND ts > %s", (swap,))
    conn.commit()
    run_detect(conn, as_of=day(19), settings=SETTINGS, run_at=day(19))
    assert [a for a in fetch_alerts(conn) if a.type == "no_data"] == []
    conn.execute("UPDATE meters SET replaces = NULL WHERE meter_id = 'W-2'")
    conn.commit()
    run_detect(conn, as_of=day(19), meter_ids=["W-1"], settings=SETTINGS, run_at=day(19))
    assert [a.meter_id for a in fetch_alerts(conn) if a.type == "no_data"] == ["W-1"]
