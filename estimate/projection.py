"""Projection of a contract year's consumption and the instalment that would avoid an adjustment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import Meter, MeterKind, Tariff, UnitError
from core.columns import METER_ID, TS, VOLUME
from estimate.profiles import read_seasonal_profile

RECENT_DAYS = 90


@dataclass(frozen=True)
class Projection:
    """A contract year's projected consumption and cost.

    consumed : volume from the year start to ``as_of`` [meter unit].
    remaining : projected volume from ``as_of`` to the year end [meter unit].
    total : consumed + remaining [meter unit].
    cost_eur : total at the price [EUR].
    monthly_instalment_eur : the equal monthly payment covering the year [EUR].
    remaining_instalment_eur : what each remaining month must pay given what was paid [EUR].
    method : ``previous_year`` or ``seasonal_adl``.
    """

    year_start: pd.Timestamp
    year_end: pd.Timestamp
    consumed: float
    remaining: float
    total: float
    cost_eur: float
    monthly_instalment_eur: float
    remaining_instalment_eur: float
    method: str


def project_year(
    hourly: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    year_start: pd.Timestamp,
    price_per_unit: float,
    kind: str = MeterKind.WATER,
    paid_eur: float = 0.0,
) -> Projection:
    """Project consumption to the end of the contract year starting at ``year_start``.

    The rest of the year repeats last year's same period scaled by how this
    year's recent consumption compares with last year's, when the curve
    covers it; otherwise the recent average rate shaped by the seasonal
    profile's monthly levels.

    Parameters
    ----------
    hourly : DataFrame
        Output of ``estimate_hourly`` (UTC hour starts) up to ``as_of``.
    price_per_unit : float
        Tariff [EUR / meter unit].
    paid_eur : float
        Instalments already paid this contract year [EUR].
    """
    as_of = pd.Timestamp(as_of).tz_convert("UTC")
    year_start = pd.Timestamp(year_start).tz_convert("UTC")
    year_end = year_start + pd.DateOffset(years=1)
    volume = hourly[VOLUME]
    consumed = float(volume[(volume.index >= year_start) & (volume.index < as_of)].sum())
    remaining, method = _previous_year(volume, as_of, year_start, year_end)
    if remaining is None:
        remaining, method = _seasonal_adl(volume, as_of, year_end, kind), "seasonal_adl"
    total = consumed + remaining
    cost = total * price_per_unit
    months_left = max(_months_between(as_of, year_end), 1)
    return Projection(
        year_start,
        year_end,
        consumed,
        remaining,
        total,
        cost,
        cost / 12,
        max(cost - paid_eur, 0.0) / months_left,
        method,
    )


def _window(volume: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    return volume[(volume.index >= start) & (volume.index < end)]


def _previous_year(
    volume: pd.Series, as_of: pd.Timestamp, year_start: pd.Timestamp, year_end: pd.Timestamp
) -> tuple[float | None, str]:
    """Last year's same period, scaled by recent consumption against a year before.

    The comparison covers this contract year so far, between 28 and 90 days.
    """
    year = pd.DateOffset(years=1)
    recent = pd.Timedelta(days=min(max((as_of - year_start).days, 28), RECENT_DAYS))
    recent_start = as_of - recent
    hours_needed = 0.9 * (year_end - as_of) / pd.Timedelta(hours=1)
    last_year = _window(volume, as_of - year, year_end - year)
    recent_last_year = _window(volume, recent_start - year, as_of - year)
    if len(last_year) < hours_needed or len(recent_last_year) < 0.9 * recent / pd.Timedelta("1h"):
        return None, ""
    before = recent_last_year.sum()
    ratio = _window(volume, recent_start, as_of).sum() / before if before > 0 else 1.0
    return float(last_year.sum() * ratio), "previous_year"


def _seasonal_adl(
    volume: pd.Series, as_of: pd.Timestamp, year_end: pd.Timestamp, kind: str
) -> float:
    """Recent hourly average carried to the year end with the seasonal monthly levels."""
    recent = _window(volume, as_of - pd.Timedelta(days=RECENT_DAYS), as_of)
    if recent.empty:
        return 0.0
    levels = read_seasonal_profile(kind).mean(axis=1)
    recent_level = levels[recent.index.month.to_numpy() - 1].mean()
    future = pd.date_range(as_of.ceil("h"), year_end, freq="h", inclusive="left")
    future_levels = levels[future.month.to_numpy() - 1]
    return float(recent.mean() * np.sum(future_levels) / recent_level)


def _months_between(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Whole and started months from ``start`` to ``end``."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months + (1 if end.day > start.day else 0)


def project_meters(
    hourly: pd.DataFrame,
    meters: Mapping[str, Meter],
    *,
    as_of: pd.Timestamp,
    year_start: pd.Timestamp,
    tariff: Tariff,
) -> tuple[dict[str, Projection], dict[str, str]]:
    """Contract-year projections of many meters' hourly curves, and why the others have none.

    hourly : DataFrame  ``meter_id, ts, volume`` [meter unit], stored hourly curves.
    meters : the ``core.Meter`` of each meter id.
    Returns the projections and, for meters that cannot be priced, the reason.
    """
    projections, refused = {}, {}
    for meter_id, curve in hourly.groupby(METER_ID, sort=False):
        meter = meters[str(meter_id)]
        try:
            price = tariff.price_per_unit(meter)
        except UnitError as exc:
            refused[meter.meter_id] = str(exc)
            continue
        projections[meter.meter_id] = project_year(
            curve.set_index(TS), as_of=as_of, year_start=year_start, price_per_unit=price,
            kind=meter.kind,
        )  # fmt: skip
    return projections, refused
