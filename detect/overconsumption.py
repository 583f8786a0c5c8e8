"""Over-consumption: a period far above the customer's reference.

With a year or more of history the reference is the loi Warsmann one (CGCT
L2224-12-4): the average of the same period over the previous three years, and
a water volume above twice that must be notified to the customer. With less
history the reference is the meter's own recent weeks. Days of stale reads (a
register that stood still, then caught up) are unknown, as in a silence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, MeterKind, Severity, Tariff
from detect.features import MeterSeries, meter_series
from detect.flows import NS_PER_HOUR, daily_volumes, runs
from detect.text import in_euros, local_day


class OverconsumptionSettings(BaseModel):
    """Thresholds of the over-consumption detector."""

    model_config = ConfigDict(frozen=True)

    legal_period_days: int = Field(
        default=30, description="Period compared with previous years [d]"
    )
    legal_ratio: float = Field(
        default=2.0, description="Ratio to the previous years that is abnormal"
    )
    legal_years: int = Field(default=3, description="Previous years averaged for the reference")
    recent_period_days: int = Field(
        default=14, description="Period compared with the meter's own baseline [d]"
    )
    recent_baseline_days: int = Field(
        default=56, description="Recent history giving the seasonal reference [d]"
    )
    recent_min_days: int = Field(
        default=21, description="Recent history needed for a reference [d]"
    )
    long_baseline_days: int = Field(
        default=365,
        description="Longer history whose usual level the reference never falls below [d] "
        "(a home back from months away is not over-consuming)",
    )
    recent_ratio: float = Field(
        default=2.5,
        description="Ratio to the baseline that is abnormal (on 7 days against the recent "
        "weeks only: 3.5 false alerts per 100 meter-months on real homes, mostly summers "
        "and returns home)",
    )
    min_excess_m3: float = Field(
        default=2.0, description="Smallest excess volume reported [m3] (1: 1.0 false alerts)"
    )
    coverage: float = Field(
        default=0.9, description="Share of the period's days that must be known"
    )
    catch_up_days: float = Field(
        default=2.0,
        description="A register still for longer than a silence that then jumps by more than "
        "this many median days of use was read stale: its days are unknown, as in a silence "
        "[d] (on real homes read daily: 1.22 -> 0.46 false alerts per 100 meter-months, "
        "twice daily 1.41 -> 0.63, hourly unchanged)",
    )
    critical_ratio: float = Field(default=4.0, description="Ratio from which the alert is critical")


def detect_overconsumption(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None = None,
    settings: OverconsumptionSettings | None = None,
    series: MeterSeries | None = None,
) -> list[Episode]:
    """Episodes of a period's volume far above its reference."""
    s = settings or OverconsumptionSettings()
    daily = _daily_m3(meter_series(reads, meter, as_of, series), s.catch_up_days)
    if daily.size < s.recent_period_days + s.recent_min_days:
        return []
    volume = _period_sum(daily, s.recent_period_days, s.coverage)
    reference = _baseline(volume, s)
    cond = _abnormal(volume, reference, s.recent_ratio, s.min_excess_m3)
    table = None
    if daily.size > 365 + s.legal_period_days:
        legal_volume = _period_sum(daily, s.legal_period_days, s.coverage)
        legal_reference = _previous_years(legal_volume, s.legal_years)
        has_legal = ~np.isnan(legal_reference)
        cond = np.where(
            has_legal,
            _abnormal(legal_volume, legal_reference, s.legal_ratio, s.min_excess_m3),
            cond,
        )
        if cond.any():
            table = _table(
                daily.index,
                np.where(has_legal, legal_volume, volume),
                np.where(has_legal, legal_reference, reference),
                np.where(has_legal, s.legal_period_days, s.recent_period_days),
                has_legal,
            )
    elif cond.any():
        table = _table(daily.index, volume, reference, s.recent_period_days, False)
    if table is None:
        return []
    mask = pd.Series(cond, index=daily.index)
    return [
        _episode(table, first, last, daily, meter, as_of, tariff, s)
        for first, last in runs(mask, pd.Timedelta(days=2))
    ]


def _daily_m3(prepared: MeterSeries, catch_up_days: float) -> pd.Series:
    """Volume per local day [m3], unknown (NaN) through a catch-up as through a
    silence: taken as they are, stale reads put weeks of use on one day and
    zeros in the reference."""
    daily = prepared.daily_l
    if prepared.register.size < 3 or daily.isna().all():
        return daily / 1000.0
    gap_h = max(48.0, 2.5 * prepared.cadence_h)
    usual_l = float(np.nanmedian(daily.to_numpy()))
    stale = _stale_reads(prepared.register, gap_h, catch_up_days * usual_l)
    if not stale.any():
        return daily / 1000.0
    # without its stale reads the stretch is one interval longer than a silence
    return daily_volumes(prepared.register[~stale], prepared.meter.timezone, gap_h) / 1000.0


def _stale_reads(register: pd.Series, gap_h: float, jump_l: float) -> np.ndarray:
    """Reads repeating an unchanged register for more than ``gap_h`` [h] before
    it jumps by more than ``jump_l`` [L]: a head-end that kept the last index
    and then caught up."""
    steps = np.diff(register.to_numpy(dtype=float))
    edges = np.diff(np.concatenate([[0], (steps == 0).astype(np.int8), [0]]))
    # reads a + 1 .. b repeat read a; the step after read b ends the stretch
    a, b = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    hours = register.index.as_unit("ns").asi8 / NS_PER_HOUR
    jump = np.append(steps, 0.0)[b]
    caught_up = (b < steps.size) & (hours[b] - hours[a] > gap_h) & (jump > jump_l)
    mark = np.zeros(register.size + 1, dtype=np.int64)
    np.add.at(mark, a[caught_up] + 1, 1)
    np.add.at(mark, b[caught_up] + 1, -1)
    return np.cumsum(mark)[:-1] > 0


def _period_sum(daily: pd.Series, days: int, coverage: float) -> np.ndarray:
    """Volume of the ``days`` days ending with each day [m3], scaled up for
    missing days; NaN when fewer than ``coverage`` of them are known."""
    values = daily.to_numpy(dtype=float)
    known = ~np.isnan(values)
    total = np.concatenate([[0.0], np.cumsum(np.where(known, values, 0.0))])
    count = np.concatenate([[0], np.cumsum(known)])
    k = np.arange(values.size)
    lo = np.maximum(k + 1 - days, 0)
    have = count[k + 1] - count[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        sums = (total[k + 1] - total[lo]) / have * days
    return np.where(have >= max(1, int(coverage * days)), sums, np.nan)


def _baseline(volume: np.ndarray, s: OverconsumptionSettings) -> np.ndarray:
    """The meter's own reference for each period [m3]: the median of the
    periods of the recent weeks before it, never below the median of the
    periods of the longer history."""
    before = pd.Series(volume).shift(s.recent_period_days)
    recent = before.rolling(s.recent_baseline_days, min_periods=s.recent_min_days).median()
    longer = before.rolling(s.long_baseline_days, min_periods=s.recent_min_days).median()
    return np.fmax(recent.to_numpy(), longer.to_numpy())


def _previous_years(volume: np.ndarray, years: int) -> np.ndarray:
    """Mean volume of the same period over the previous ``years`` years (loi
    Warsmann) [m3]; NaN where no previous year is known."""
    past = pd.DataFrame({y: pd.Series(volume).shift(365 * y) for y in range(1, years + 1)})
    return past.mean(axis=1, skipna=True).to_numpy()


def _abnormal(volume: np.ndarray, reference: np.ndarray, ratio: float, excess: float) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return (reference > 0) & (volume >= ratio * reference) & (volume - reference >= excess)


def _table(
    index: pd.Index, volume: np.ndarray, reference: np.ndarray, days: object, legal: object
) -> pd.DataFrame:
    ref = np.where(reference > 0, reference, np.nan)
    return pd.DataFrame(
        {
            "volume": volume,
            "reference": ref,
            "ratio": volume / ref,
            "period_days": days,
            "legal": legal,
        },
        index=index,
    ).astype({"period_days": float, "legal": bool})


def _episode(
    table: pd.DataFrame,
    first: pd.Timestamp,
    last: pd.Timestamp,
    daily: pd.Series,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None,
    s: OverconsumptionSettings,
) -> Episode:
    run = table.loc[first:last]
    peak = run.loc[run["ratio"].idxmax()]
    days = int(peak["period_days"])
    start = first - pd.Timedelta(days=days - 1)
    ongoing = last == daily.index[-1]
    end = None if ongoing else last + pd.Timedelta(days=1)
    excess = round(float(peak["volume"] - peak["reference"]), 3)
    cost = None if tariff is None else tariff.cost_eur(meter, excess)
    legal = bool(peak["legal"])
    reference = "the same period of previous years" if legal else "your recent weeks"
    message = (
        f"You used {peak['volume']:.2f} m3 in the {days} days to "
        f"{local_day(peak.name, meter)}, {peak['ratio']:.1f} times the {peak['reference']:.2f} m3 "
        f"of {reference}: {excess:.2f} m3 more{in_euros(cost)}."
    )
    evidence = {
        "volume_m3": round(float(peak["volume"]), 3),
        "reference_m3": round(float(peak["reference"]), 3),
        "ratio": round(float(peak["ratio"]), 2),
        "period_days": days,
        "reference_kind": "previous_years" if legal else "recent_weeks",
        "excess_m3": excess,
        "cost_eur": cost,
        "message": message,
    }
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.OVERCONSUMPTION,
        severity=Severity.CRITICAL if peak["ratio"] >= s.critical_ratio else Severity.WARNING,
        start=start,
        end=end,
        confirmed_at=first + pd.Timedelta(days=1),
        evidence=evidence,
        estimated_volume_m3=excess,
        estimated_cost_eur=cost,
        legally_notifiable=legal and meter.kind == MeterKind.WATER,
    )
