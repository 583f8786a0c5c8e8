"""The estimation job and its commands against a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from estimate import project_meters
from ingest.load import store_readings
from releve.config import Settings
from releve.jobs.estimate import EstimateSummary, run_estimate
from store.consumption import fetch_findings, fetch_hourly
from store.curves import fetch_curve
from store.meters import fetch_meter_models, upsert_meters

pytestmark = pytest.mark.integration
SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
SETTINGS = Settings(timezone="Europe/Paris")


def estimated(conn: psycopg.Connection, **kwargs) -> EstimateSummary:
    """What a run of the estimation job on ``conn`` did."""
    return run_estimate(conn, **kwargs).summary


AS_OF = pd.Timestamp("2026-02-22", tz="UTC")
REJECTS = pd.DataFrame(columns=["location", "raw", "reason", "reason_code"])


def readings(meter_id: str, ts: pd.DatetimeIndex, index: np.ndarray) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "meter_id": meter_id,
            "ts": ts,
            "index": index,
            "unit": "L",
            "quality": "actual",
            "source": "test",
            "location": [f"test:{i}" for i in range(len(ts))],
            "raw": "",
        }
    )


def household(days: int = 20, seed: int = 42) -> tuple[pd.DatetimeIndex, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = pd.date_range("2026-02-01", periods=days * 24 + 1, freq="h", tz="UTC")
    shape = np.tile([0] * 6 + [20, 40, 10] + [3] * 9 + [30, 25, 15, 5, 0, 0], days + 1)
    volume = rng.poisson(shape[: ts.size - 1]).astype(float)
    return ts, np.concatenate(([5000.0], 5000 + np.cumsum(volume)))


def store(conn: psycopg.Connection, frame: pd.DataFrame) -> None:
    store_readings(conn, frame, REJECTS, source="test", location="test")


def register_meter(
    conn: psycopg.Connection,
    meter_id: str,
    *,
    replaces: str | None = None,
    installed_at: pd.Timestamp | None = None,
) -> None:
    upsert_meters(
        conn,
        pd.DataFrame(
            [{"meter_id": meter_id, "kind": "water", "unit": "L", "digits": 8,
              "account_id": "A-1", "contract_id": None, "site_id": None,
              "timezone": "Europe/Paris", "installed_at": installed_at, "replaces": replaces,
              "q3_m3h": 2.5, "conversion_kwh_per_m3": None}]
        ),
    )  # fmt: skip
    conn.commit()


def test_late_read_replaces_estimates_keeps_history_and_reruns_change_nothing(
    conn: psycopg.Connection,
) -> None:
    register_meter(conn, "W-1")
    ts, index = household()
    gap = (ts > "2026-02-10 05:00Z") & (ts < "2026-02-12 05:00Z")
    glitch = readings("W-1", ts[~gap], index[~gap])
    glitch.loc[glitch.index[30], "index"] += 248_000
    store(conn, glitch)
    first = estimated(conn, as_of=AS_OF, settings=SETTINGS, run_at=AS_OF)
    assert first.meters == 1
    assert first.findings["glitch"] == 1
    hourly = fetch_hourly(conn, ["W-1"]).set_index("ts")
    window = slice("2026-02-10 05:00Z", "2026-02-12 04:00Z")
    before = hourly.loc[window, "volume"]
    assert (hourly.loc[window, "method"] == "profile").all()
    assert before.sum() == pytest.approx(
        index[ts == "2026-02-12 05:00Z"][0] - index[ts == "2026-02-10 05:00Z"][0]
    )

    rerun = estimated(conn, as_of=AS_OF, settings=SETTINGS, run_at=AS_OF)
    assert rerun.meters == 0

    late = ts == "2026-02-11 05:00Z"
    store(conn, readings("W-1", ts[late], index[late]))
    later = AS_OF + pd.Timedelta(hours=1)
    second = estimated(conn, as_of=AS_OF, settings=SETTINGS, run_at=later)
    assert second.meters == 1
    assert second.replaced > 0
    after = fetch_hourly(conn, ["W-1"]).set_index("ts").loc[window, "volume"]
    assert not np.allclose(before, after)
    assert after.sum() == pytest.approx(before.sum())
    first_half = after.loc["2026-02-10 05:00Z":"2026-02-11 04:00Z"].sum()
    assert first_half == pytest.approx(index[late][0] - index[ts == "2026-02-10 05:00Z"][0])
    history = conn.execute(
        "SELECT min(ts), max(ts), count(DISTINCT replaced_at) FROM consumption_history"
    ).fetchone()
    assert history is not None
    assert history[0] >= pd.Timestamp("2026-02-10 05:00Z") and history[2] == 1
    assert history[1] <= pd.Timestamp("2026-02-12 05:00Z")
    assert fetch_findings(conn, ["W-1"])["code"].tolist() == ["glitch"]

    again = estimated(conn, as_of=AS_OF, meter_ids=["W-1"], settings=SETTINGS, run_at=later)
    assert (again.written, again.replaced) == (0, 0)


def test_a_replaced_meter_is_estimated_up_to_when_it_came_off(conn: psycopg.Connection) -> None:
    ts, index = household()
    swap = pd.Timestamp("2026-02-10 12:00Z")
    register_meter(conn, "W-OLD")
    register_meter(conn, "W-NEW", replaces="W-OLD", installed_at=swap)
    store(conn, readings("W-OLD", ts[ts <= swap], index[ts <= swap]))
    store(conn, readings("W-NEW", ts[ts > swap], index[ts > swap] - index[ts == swap][0]))
    estimated(conn, as_of=AS_OF, settings=SETTINGS, run_at=AS_OF)
    hourly = fetch_hourly(conn, ["W-OLD", "W-NEW"])
    old = hourly[hourly["meter_id"] == "W-OLD"]
    new = hourly[hourly["meter_id"] == "W-NEW"]
    assert old["ts"].max() < swap, "no prospective estimate for a meter taken off"
    assert (old["quality"] == "actual").all()
    assert new["ts"].max() >= AS_OF - pd.Timedelta(hours=1)
    measured = new[new["ts"] < ts[-1]]
    assert old["volume"].sum() + measured["volume"].sum() == pytest.approx(
        index[-1] - index[0], abs=40
    ), "the two registers together account for the site's consumption"


def test_only_meters_with_new_reads_or_an_old_open_tail_are_due(conn: psycopg.Connection) -> None:
    for meter_id in ("W-1", "W-2"):
        register_meter(conn, meter_id)
    ts, index = household(days=10)
    store(conn, readings("W-1", ts[:-24], index[:-24]))
    store(conn, readings("W-2", ts[:-24], index[:-24]))
    end = ts[-1]
    assert estimated(conn, as_of=end, settings=SETTINGS).meters == 2
    store(conn, readings("W-2", ts[-24:], index[-24:]))
    second = estimated(conn, as_of=end, settings=SETTINGS)
    assert second.meters == 1
    tail = fetch_hourly(conn, ["W-1"]).set_index("ts").loc[ts[-25] :]
    assert (tail["method"] == "prospective_like_day").all()
    later = end + pd.Timedelta(days=2)
    third = estimated(conn, as_of=later, settings=SETTINGS)
    assert third.meters == 2  # both have an open tail older than a day
    assert fetch_hourly(conn, ["W-1"])["ts"].max() == later - pd.Timedelta(hours=1)
    forced = estimated(conn, as_of=later, meter_ids=["W-1"], settings=SETTINGS)
    assert (forced.meters, forced.written) == (1, 0)


def test_curve_rollups_and_projection(conn: psycopg.Connection) -> None:
    register_meter(conn, "W-1")
    ts, index = household()
    store(conn, readings("W-1", ts, index))
    estimated(conn, as_of=AS_OF + pd.Timedelta(days=1), settings=SETTINGS)
    meters = fetch_meter_models(conn, ["W-1"], SETTINGS.meter_defaults)
    daily = fetch_curve(conn, meters["W-1"], "day")
    assert list(daily.columns) == ["start", "volume", "quality", "estimated_share", "method"]
    assert str(daily["start"].dt.tz) == "Europe/Paris"
    assert daily["volume"].sum() == pytest.approx(fetch_hourly(conn, ["W-1"])["volume"].sum())
    assert daily["quality"].iloc[-1] == "estimated"
    assert daily["method"].iloc[-1] == "prospective_like_day"
    feb = fetch_curve(conn, meters["W-1"], "month")
    assert len(feb) == 1
    year_start = pd.Timestamp("2026-01-01", tz="Europe/Paris")
    hourly = fetch_hourly(conn, ["W-1"], year_start - pd.DateOffset(years=1), AS_OF)
    projections, refused = project_meters(
        hourly, meters, as_of=AS_OF, year_start=year_start, tariff=SETTINGS.tariff
    )
    assert refused == {}
    projection = projections["W-1"]
    assert projection.total > projection.consumed > 0
    assert projection.monthly_instalment_eur == pytest.approx(
        projection.total * 0.001 * SETTINGS.water_price_eur_per_m3 / 12
    )


def releve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "releve.cli", *args], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def test_cli_on_the_sample_data(releve_env: dict[str, str]) -> None:
    loaded = releve(releve_env, "ingest", "csv", str(SAMPLE / "meters.csv"),
                    str(SAMPLE / "readings.csv"))  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    first = releve(releve_env, "estimate", "--as-of", "2026-01-31T00:00")
    assert first.returncode == 0, first.stderr
    assert "estimated 5 meters" in first.stdout
    second = releve(releve_env, "estimate", "--as-of", "2026-01-31T00:00")
    assert "estimated 0 meters" in second.stdout
    curve = releve(releve_env, "curve", "G-2001", "--resolution", "day", "--format", "json")
    assert curve.returncode == 0, curve.stderr
    points = [json.loads(line) for line in curve.stdout.splitlines()]
    assert set(points[0]) == {"start", "volume", "energy_kwh", "quality", "estimated_share",
                              "method"}  # fmt: skip
    assert points[0]["energy_kwh"] == pytest.approx(points[0]["volume"] * 11.2)
    assert points[0]["start"] == "2026-01-01T00:00:00+01:00"
    assert {p["quality"] for p in points} == {"actual", "estimated"}
    hourly = releve(releve_env, "curve", "W-1001", "--resolution", "hour", "--from",
                    "2026-01-02", "--to", "2026-01-03")  # fmt: skip
    lines = hourly.stdout.splitlines()
    assert lines[0] == "start,volume,quality,estimated_share,method"
    assert len(lines) == 25
    unknown = releve(releve_env, "curve", "nobody", "--resolution", "day")
    assert unknown.returncode == 1 and "unknown" in unknown.stderr
    projection = releve(releve_env, "projection", "--account", "A-1", "--as-of", "2026-01-31",
                        "--format", "json")  # fmt: skip
    assert projection.returncode == 0, projection.stderr
    assert {json.loads(line)["meter_id"] for line in projection.stdout.splitlines()} == {
        "W-1001", "W-1002", "G-2001"}  # fmt: skip
