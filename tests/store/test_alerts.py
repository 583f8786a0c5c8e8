"""Alerts, alert events and detection watermarks against a real PostgreSQL."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import psycopg
import pytest

from core import Episode
from detect.lifecycle import plan_alerts
from ingest.load import store_readings
from store.alerts import (
    acknowledge_alert,
    fetch_alert_events,
    fetch_alerts,
    fetch_detection_reads,
    upsert_alerts,
)

pytestmark = pytest.mark.integration
T0 = pd.Timestamp("2026-03-01", tz="UTC")


def episode(meter_id: str = "W-1", end: pd.Timestamp | None = None) -> Episode:
    return Episode(
        meter_id=meter_id,
        type="continuous_flow",
        severity="warning",
        start=T0,
        end=end,
        confirmed_at=T0 + pd.Timedelta(hours=36),
        evidence={"leak_rate_lph": 12.5, "message": "Water has been flowing without a break."},
        estimated_volume_m3=0.45,
        estimated_cost_eur=1.94,
    )


def test_round_trip_and_events(conn: psycopg.Connection) -> None:
    as_of = T0 + pd.Timedelta(days=2)
    stored = upsert_alerts(conn, plan_alerts([], [episode()], as_of=as_of), as_of=as_of)
    conn.commit()
    fetched = fetch_alerts(conn)
    assert fetched == stored
    assert fetched[0].id is not None and fetched[0].evidence["leak_rate_lph"] == 12.5
    assert fetched[0].start == T0 and fetched[0].end is None
    events = fetch_alert_events(conn)
    assert events[["alert_id", "event", "status"]].values.tolist() == [
        [fetched[0].id, "opened", "open"]
    ]
    assert bool(events["customer_facing"].iloc[0]) is True


def test_update_resolves_and_filters(conn: psycopg.Connection) -> None:
    as_of = T0 + pd.Timedelta(days=2)
    upsert_alerts(conn, plan_alerts([], [episode(), episode("W-2")], as_of=as_of), as_of=as_of)
    later = T0 + pd.Timedelta(days=5)
    existing = fetch_alerts(conn, meter_ids=["W-1"])
    ended = episode(end=T0 + pd.Timedelta(days=3))
    upsert_alerts(conn, plan_alerts(existing, [ended], as_of=later), as_of=later)
    conn.commit()
    w1 = fetch_alerts(conn, meter_ids=["W-1"])[0]
    assert (w1.status, w1.end) == ("resolved", T0 + pd.Timedelta(days=3))
    assert [a.meter_id for a in fetch_alerts(conn, status="unresolved")] == ["W-2"]
    assert fetch_alerts(conn, status="resolved") == [w1]
    assert fetch_alerts(conn, since=later) == fetch_alerts(conn, meter_ids=["W-2"])
    assert fetch_alert_events(conn)["event"].tolist() == ["opened", "opened", "resolved"]
    assert fetch_alert_events(conn, after_id=2)["event"].tolist() == ["resolved"]


def test_acknowledge(conn: psycopg.Connection) -> None:
    as_of = T0 + pd.Timedelta(days=2)
    alert = upsert_alerts(conn, plan_alerts([], [episode()], as_of=as_of), as_of=as_of)[0]
    assert acknowledge_alert(conn, alert.id, at=as_of) == "open"
    assert acknowledge_alert(conn, alert.id, at=as_of) == "acknowledged"
    assert acknowledge_alert(conn, 9999, at=as_of) is None
    conn.commit()
    assert fetch_alerts(conn)[0] == replace(alert, status="acknowledged")


def test_fetch_detection_reads_in_time_order_with_the_watermark(conn: psycopg.Connection) -> None:
    ts = pd.date_range(T0, periods=48, freq="h")
    reads = pd.DataFrame(
        {"meter_id": "W-1", "ts": ts, "index": np.arange(48) * 0.01, "unit": "m3",
         "quality": "actual", "source": "test", "location": "test", "raw": ""}
    )  # fmt: skip
    rejects = pd.DataFrame(columns=["location", "raw", "reason", "reason_code"])
    # the late rows first: the server's row order is not the time order
    store_readings(conn, reads.iloc[24:], rejects, source="test", location="test")
    store_readings(conn, reads.iloc[:24], rejects, source="test", location="test")
    start, end = ts[10], ts[40]
    found = fetch_detection_reads(conn, ["W-1", "W-9"], start=start, end=end)
    assert list(found) == ["W-1"]
    got = found["W-1"]
    assert (got.ts == ts[10:41].as_unit("ns").asi8).all()
    assert got.index == pytest.approx(np.arange(10, 41) * 0.01)
    latest = conn.execute("SELECT max(received_at) FROM readings WHERE ts <= %s", (end,))
    assert got.received_upto == pd.Timestamp(latest.fetchone()[0])
