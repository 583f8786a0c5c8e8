"""Projection of the contract year and the instalment that avoids an adjustment."""

import numpy as np
import pandas as pd
import pytest

from estimate import project_year


def flat_curve(start, end, per_hour=1.0):
    ts = pd.date_range(start, end, freq="h", tz="UTC", inclusive="left")
    return pd.DataFrame({"volume": per_hour}, index=ts)


def test_flat_water_without_last_year_projects_the_recent_rate():
    hourly = flat_curve("2026-01-01", "2026-04-01", per_hour=0.01)
    result = project_year(
        hourly,
        as_of=pd.Timestamp("2026-04-01", tz="UTC"),
        year_start=pd.Timestamp("2026-01-01", tz="UTC"),
        price_per_unit=4.0,
    )
    assert result.method == "seasonal_adl"
    assert result.total == pytest.approx(0.01 * 365 * 24, rel=1e-6)
    assert result.monthly_instalment_eur == pytest.approx(result.total * 4 / 12)
    assert result.consumed == pytest.approx(0.01 * 90 * 24)


def test_previous_year_scaled_by_recent_consumption():
    last = flat_curve("2025-01-01", "2026-01-01", per_hour=1.0)
    this = flat_curve("2026-01-01", "2026-03-01", per_hour=2.0)
    result = project_year(
        pd.concat([last, this]),
        as_of=pd.Timestamp("2026-03-01", tz="UTC"),
        year_start=pd.Timestamp("2026-01-01", tz="UTC"),
        price_per_unit=1.0,
        paid_eur=100.0,
    )
    assert result.method == "previous_year"
    remaining_hours = (pd.Timestamp("2027-01-01") - pd.Timestamp("2026-03-01")) / pd.Timedelta("1h")
    assert result.remaining == pytest.approx(2 * remaining_hours)
    assert result.remaining_instalment_eur == pytest.approx((result.cost_eur - 100) / 10)


def test_gas_projection_follows_the_heating_season():
    hourly = flat_curve("2026-01-01", "2026-02-01", per_hour=1.0)
    as_of = pd.Timestamp("2026-02-01", tz="UTC")
    start = pd.Timestamp("2026-01-01", tz="UTC")
    gas = project_year(hourly, as_of=as_of, year_start=start, price_per_unit=1, kind="gas")
    water = project_year(hourly, as_of=as_of, year_start=start, price_per_unit=1, kind="water")
    assert gas.remaining < 0.7 * water.remaining
    assert np.isfinite(gas.monthly_instalment_eur)
