"""Simulated accounts for the bridge's tests, written through the store's own write paths.

- ``A-1``, a landlord: sites S-1 (water W-1, hourly since January 2025, and gas G-1, daily)
  and S-2 (water W-2 in litres, twice a day with a ten-day gap in February: estimated).
- A move on meter W-3 (site S-3): contract C-OLD of ``A-2`` until 15 March 2026 00:00
  (archived), contract C-NEW of ``A-3`` from then on.
- ``B-1``, another customer, meter W-9.
Alerts: W-1 an open continuous flow and a resolved burst, W-2 a no_data (operations
only), W-3 one alert in each occupant's period, W-9 an open one. The clock is ``NOW``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg

from core import Alert, AlertChange, AlertEvent, AlertStatus, AnomalyType, Severity
from ingest.load import store_readings
from ingest.rows import no_rejections
from releve.config import Settings
from releve.jobs.estimate import run_estimate
from store.alerts import upsert_alerts
from store.bridge import upsert_contracts, upsert_meter_contracts
from store.meters import upsert_meters

NOW = pd.Timestamp("2026-04-01T00:00", tz="UTC")
MOVE = pd.Timestamp("2026-03-14T23:00", tz="UTC")  # 15 March 00:00 in Paris
SECRET = "portal-test-secret-" + "x" * 32
SETTINGS = Settings(timezone="Europe/Paris", portal_secret=SECRET)
START_2026 = pd.Timestamp("2026-01-01", tz="Europe/Paris").tz_convert("UTC")
END = pd.Timestamp("2026-03-31T23:00", tz="UTC")


def _meter(meter_id: str, kind: str, unit: str, **more: object) -> dict[str, object]:
    row: dict[str, object] = {
        "meter_id": meter_id, "kind": kind, "unit": unit, "digits": 6, "account_id": None,
        "contract_id": None, "site_id": None, "timezone": "Europe/Paris", "installed_at": None,
        "replaces": None, "q3_m3h": 2.5 if kind == "water" else None,
        "conversion_kwh_per_m3": 11.2 if kind == "gas" else None,
    }  # fmt: skip
    return {**row, **more}


def _reads(
    meter_id: str, ts: pd.DatetimeIndex, per_hour: float, unit: str, seed: int
) -> pd.DataFrame:
    """Reads of a register passing about ``per_hour`` [unit/h] with a daily rhythm."""
    rng = np.random.default_rng(seed)
    stamps = ts.as_unit("ns").asi8
    hours = np.diff(stamps, prepend=stamps[0]) / 3.6e12
    shape = 0.4 + np.sin(np.pi * ((ts.tz_convert("Europe/Paris").hour - 6) % 24) / 24) ** 2
    index = 100.0 + np.cumsum(hours * per_hour * shape * rng.uniform(0.5, 1.5, ts.size))
    return pd.DataFrame({
        "meter_id": meter_id, "ts": ts, "index": np.round(index, 3), "unit": unit,
        "quality": "actual", "source": "test", "location": [f"seed:{i}" for i in range(ts.size)],
        "raw": "",
    })  # fmt: skip


def _alert(meter_id: str, kind: AnomalyType, start: str, end: str | None, status: AlertStatus,
           severity: Severity = Severity.WARNING) -> AlertChange:  # fmt: skip
    begun = pd.Timestamp(start, tz="UTC")
    ended = None if end is None else pd.Timestamp(end, tz="UTC")
    alert = Alert(
        id=None, meter_id=meter_id, type=kind, severity=severity, status=status, start=begun,
        end=ended, detected_at=begun + pd.Timedelta(hours=2),
        last_seen=ended or NOW - pd.Timedelta(hours=1),
        evidence={"flow_lph": 12.5, "leak_rate_lph": 12.5, "volume_m3": 0.4, "cost_eur": 1.72,
                  "peak_flow_lph": 400.0, "duration_h": 1.0, "threshold_lph": 200.0},
        estimated_volume_m3=0.4, estimated_cost_eur=1.72,
    )  # fmt: skip
    return AlertChange(alert, (AlertEvent.OPENED,))


def seed_accounts(conn: psycopg.Connection) -> None:
    """Write the accounts, contracts, meters, reads, estimates and alerts above."""
    upsert_meters(conn, pd.DataFrame([
        _meter("W-1", "water", "m3", account_id="A-1", site_id="S-1", contract_id="C-W1"),
        _meter("G-1", "gas", "m3", account_id="A-1", site_id="S-1", contract_id="C-G1"),
        _meter("W-2", "water", "L", digits=8, account_id="A-1", site_id="S-2", contract_id="C-W2"),
        _meter("W-3", "water", "m3", site_id="S-3"),
        _meter("W-9", "water", "m3", account_id="B-1", site_id="S-9", contract_id="C-W9"),
    ]))  # fmt: skip
    upsert_contracts(conn, pd.DataFrame([
        ("C-W1", "A-1", "S-1", pd.Timestamp("2024-06-01", tz="UTC"), None),
        ("C-G1", "A-1", "S-1", pd.Timestamp("2025-10-01", tz="UTC"), None),
        ("C-W2", "A-1", "S-2", None, None),
        ("C-OLD", "A-2", "S-3", pd.Timestamp("2025-01-01", tz="UTC"), MOVE),
        ("C-NEW", "A-3", "S-3", MOVE, None),
        ("C-W9", "B-1", "S-9", None, None),
    ], columns=["contract_id", "account_id", "site_id", "start_at", "end_at"]))  # fmt: skip
    upsert_meter_contracts(conn, pd.DataFrame([
        ("W-3", "C-OLD", pd.Timestamp("2025-01-01", tz="UTC"), MOVE),
        ("W-3", "C-NEW", MOVE, None),
    ], columns=["meter_id", "contract_id", "start_at", "end_at"]))  # fmt: skip
    conn.commit()
    hourly_2025 = pd.date_range(pd.Timestamp("2025-01-01", tz="UTC"), END, freq="h")
    hourly = pd.date_range(START_2026, END, freq="h")
    twice = pd.date_range(START_2026, END, freq="12h")
    twice = twice[(twice < "2026-02-05") | (twice > "2026-02-15")]  # a ten-day gap
    daily = pd.date_range(START_2026, END, freq="D")
    for frame in (_reads("W-1", hourly_2025, 0.02, "m3", 1), _reads("G-1", daily, 0.1, "m3", 2),
                  _reads("W-2", twice, 15.0, "L", 3), _reads("W-3", hourly, 0.015, "m3", 4),
                  _reads("W-9", hourly, 0.01, "m3", 5)):  # fmt: skip
        store_readings(conn, frame, no_rejections(), source="test", location="seed")
    run_estimate(conn, as_of=NOW, settings=SETTINGS)
    upsert_alerts(conn, [
        _alert("W-1", AnomalyType.CONTINUOUS_FLOW, "2026-03-20", None, AlertStatus.OPEN),
        _alert("W-1", AnomalyType.BURST, "2026-02-01", "2026-02-01T03:00", AlertStatus.RESOLVED,
               Severity.CRITICAL),
        _alert("W-2", AnomalyType.NO_DATA, "2026-02-05", "2026-02-15", AlertStatus.RESOLVED),
        _alert("W-3", AnomalyType.CONTINUOUS_FLOW, "2026-02-10", "2026-02-12", AlertStatus.RESOLVED),
        _alert("W-3", AnomalyType.OVERCONSUMPTION, "2026-03-25", None, AlertStatus.OPEN),
        _alert("W-9", AnomalyType.CONTINUOUS_FLOW, "2026-03-28", None, AlertStatus.OPEN),
    ], as_of=NOW)  # fmt: skip
    conn.commit()
