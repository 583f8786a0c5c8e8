"""The read side: curves with gas energy, the index at an instant, an account's meters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
import pytest

from core import Meter, MeterKind, Method, Quality
from ingest.load import store_readings
from releve.config import Settings
from releve.jobs.estimate import run_estimate
from store.curves import fetch_curve, fetch_index_at
from store.meters import fetch_account_meters, fetch_meter_models, upsert_meters

pytestmark = pytest.mark.integration
SETTINGS = Settings(timezone="Europe/Paris")
REJECTS = pd.DataFrame(columns=["location", "raw", "reason", "reason_code"])
START = pd.Timestamp("2026-03-02", tz="UTC")


def meter_row(meter_id: str, kind: str, **more: object) -> dict[str, object]:
    row: dict[str, object] = {
        "meter_id": meter_id, "kind": kind, "unit": "m3", "digits": 5, "account_id": None,
        "contract_id": None, "site_id": None, "timezone": "Europe/Paris", "installed_at": None,
        "replaces": None, "q3_m3h": None, "conversion_kwh_per_m3": None,
    }  # fmt: skip
    return {**row, **more}


def store_hourly(conn: psycopg.Connection, meter_id: str, hours: int, rate_m3: float) -> None:
    """Hourly reads of a 5-digit register from 99,990 m3 at ``rate_m3`` per hour."""
    ts = pd.date_range(START, periods=hours + 1, freq="h")
    frame = pd.DataFrame(
        {"meter_id": meter_id, "ts": ts, "index": (99990.0 + rate_m3 * np.arange(ts.size)) % 10**5,
         "unit": "m3", "quality": "actual", "source": "test",
         "location": [f"test:{i}" for i in range(ts.size)], "raw": ""}
    )  # fmt: skip
    store_readings(conn, frame, REJECTS, source="test", location="test")


@pytest.fixture
def sites(conn: psycopg.Connection) -> dict[str, Meter]:
    """A landlord's account A-1: a water meter on its own, a gas meter through its site."""
    upsert_meters(
        conn,
        pd.DataFrame(
            [
                meter_row("W-1", "water", account_id="A-1", site_id="S-1"),
                meter_row("G-1", "gas", site_id="S-2", conversion_kwh_per_m3=10.0),
                meter_row("G-2", "gas", account_id="A-2", site_id="S-3"),
            ]
        ),
    )
    conn.execute("UPDATE sites SET account_id = 'A-1' WHERE site_id = 'S-2'")
    store_hourly(conn, "W-1", 48, 0.5)
    store_hourly(conn, "G-1", 48, 0.2)
    store_hourly(conn, "G-2", 48, 0.2)
    conn.commit()
    run_estimate(conn, as_of=START + pd.Timedelta(hours=48), settings=SETTINGS)
    return fetch_meter_models(conn, ["W-1", "G-1", "G-2"], SETTINGS.meter_defaults)


def test_gas_energy_comes_from_the_meter_or_the_installation(
    conn: psycopg.Connection, sites: dict[str, Meter]
) -> None:
    own = fetch_curve(conn, sites["G-1"], "day")
    assert own["energy_kwh"].to_numpy() == pytest.approx(own["volume"].to_numpy() * 10.0)
    default = fetch_curve(conn, sites["G-2"], "hour")
    assert default["energy_kwh"].to_numpy() == pytest.approx(default["volume"].to_numpy() * 11.0)
    assert "energy_kwh" not in fetch_curve(conn, sites["W-1"], "month")


def test_the_index_at_an_instant(conn: psycopg.Connection, sites: dict[str, Meter]) -> None:
    on_a_read = fetch_index_at(conn, sites["W-1"], START + pd.Timedelta(hours=3))
    assert on_a_read.index == pytest.approx(99991.5) and on_a_read.quality == Quality.ACTUAL
    between = fetch_index_at(conn, sites["W-1"], START + pd.Timedelta(hours=3, minutes=30))
    assert between.index == pytest.approx(99991.75)
    assert between.quality == Quality.ESTIMATED and between.method == Method.MEASURED
    wrapped = fetch_index_at(conn, sites["W-1"], START + pd.Timedelta(hours=40, minutes=15))
    assert wrapped.index == pytest.approx(10.125), "after the rollover, as the meter shows it"
    with pytest.raises(LookupError, match="no read"):
        fetch_index_at(conn, sites["W-1"], START - pd.Timedelta(days=1))


def test_an_account_sees_its_meters_and_their_last_read(
    conn: psycopg.Connection, sites: dict[str, Meter]
) -> None:
    meters = fetch_account_meters(conn, "A-1")
    assert meters["meter_id"].tolist() == ["W-1", "G-1"]
    assert (meters["last_read_ts"] == START + pd.Timedelta(hours=48)).all()
    assert meters["last_quality"].tolist() == ["actual", "actual"]
    assert fetch_account_meters(conn, "nobody").empty
    assert sites["G-2"].kind == MeterKind.GAS
