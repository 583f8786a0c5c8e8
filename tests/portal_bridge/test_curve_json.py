"""The curve the store writes as JSON is the curve ``fetch_curve`` reads, point for point."""

from __future__ import annotations

import json

import pandas as pd
import psycopg
import pytest

from store.bridge import fetch_curve_json
from store.curves import fetch_curve
from store.meters import fetch_meter_models
from tests.portal_bridge.seed import SETTINGS

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("meter_id", "resolution", "start", "end"), [
    pytest.param("W-1", "hour", "2026-03-28", "2026-04-01", id="hours_across_dst"),
    pytest.param("G-1", "day", "2026-01-01", "2026-04-01", id="gas_days_with_energy"),
    pytest.param("W-2", "month", "2025-01-01", "2026-04-01", id="litre_months_estimated"),
    pytest.param("W-2", "year", "2030-01-01", "2031-01-01", id="nothing_stored"),
])  # fmt: skip
def test_store_json_matches_fetch_curve(
    store: psycopg.Connection, meter_id: str, resolution: str, start: str, end: str
) -> None:
    meter = fetch_meter_models(store, [meter_id], SETTINGS.meter_defaults)[meter_id]
    lo, hi = (pd.Timestamp(t, tz="Europe/Paris") for t in (start, end))
    points = json.loads(fetch_curve_json(store, meter, resolution, lo, hi))
    curve = fetch_curve(store, meter, resolution, start=lo, end=hi)
    assert [p["start"] for p in points] == [ts.isoformat() for ts in curve["start"]]
    assert [p["volume"] for p in points] == pytest.approx(list(curve["volume"]))
    assert [p["estimated_share"] for p in points] == pytest.approx(list(curve["estimated_share"]))
    assert [p["quality"] for p in points] == list(curve["quality"])
    assert [p["method"] for p in points] == list(curve["method"])
    expected = list(curve["energy_kwh"]) if "energy_kwh" in curve else [None] * len(curve)
    assert [p["energy_kwh"] for p in points] == pytest.approx(expected)
    assert {p["unit"] for p in points} <= {meter.unit} and not any(p["partial"] for p in points)
