"""Small inline series shared by the detector tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core import Tariff

START = pd.Timestamp("2026-01-05", tz="UTC")


def household_hourly(days: int, *, seed: int = 42, daily_l: float = 300.0) -> pd.Series:
    """Hourly water use of a household [L]: nothing at night, peaks morning and evening."""
    rng = np.random.default_rng(seed)
    hours = pd.date_range(START, periods=days * 24, freq="h")
    weights = np.array([0, 0, 0, 0, 0, 0, 1, 3, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3, 2, 1, 0])
    w = weights[hours.hour]
    used = rng.random(hours.size) < np.clip(w / 2.0, 0, 0.9)
    volume = used * rng.gamma(2.0, 1.0, hours.size) * w * daily_l / 50.0
    return pd.Series(np.round(volume, 1), index=hours)


def reads_from(
    hourly_l: pd.Series, *, every: str = "1h", resolution_l: float = 1.0
) -> pd.DataFrame:
    """Index reads [m3] of a meter whose hourly use [L] is given, read at ``every``."""
    cumulative = hourly_l.cumsum() + 12_345.0
    cumulative.index = cumulative.index + pd.Timedelta(hours=1)
    register = np.floor(cumulative / resolution_l) * resolution_l
    reads = register.resample(every, label="right", closed="right").last().dropna()
    return pd.DataFrame({"index": reads.to_numpy() / 1000.0}, index=reads.index.rename("ts"))


def add(hourly: pd.Series, start_day: float, hours: float, rate_lph: float) -> pd.Series:
    """``hourly`` with ``rate_lph`` added for ``hours`` from ``start_day``."""
    start = START + pd.Timedelta(days=start_day)
    mask = (hourly.index >= start) & (hourly.index < start + pd.Timedelta(hours=hours))
    return hourly + np.where(mask, rate_lph, 0.0)


@pytest.fixture
def household() -> pd.Series:
    """60 days of household use [L per hour]."""
    return household_hourly(60)


# The prices of the installation defaults, for tests that check costs.
TARIFF = Tariff(water_eur_per_m3=4.3, gas_eur_per_kwh=0.12)
