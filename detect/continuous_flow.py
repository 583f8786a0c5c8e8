"""Continuous flow (leak): flow that never stops.

On fine data this is the meter-side rule (no hour without flow in 24 h) made
stricter, because on real homes that rule fires about 31 times per 100
meter-months (bench/detect_eval.py): the flow must not stop for 42 h and its
floor must reach 4 L/h above the meter's usual floor. It is generalised so
coarse data still shows what it can: blocks long enough to see register steps
at the smallest leak rate reported (10 L registers), the real read intervals
when reads are hours apart, and the *floor* of the flow over the window
compared with the meter's own usual floor, so a household whose twice-daily
intervals are never empty is not taken for a leak. Estimated volumes are never
used: only the real read-to-read intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from detect.episode import Episode, Meter, Tariff
from detect.features import MeterSeries, meter_series
from detect.flows import (
    binned_flows,
    interval_flows,
    runs,
)
from detect.text import local_time, substance


class ContinuousFlowSettings(BaseModel):
    """Thresholds of the continuous-flow detector."""

    model_config = ConfigDict(frozen=True)

    window_h: float = Field(
        default=42.0,
        description="Span over which the flow must never stop [h] (24 h: 4x the "
        "false alerts on real data)",
    )
    min_blocks: int = Field(default=6, description="Fewest blocks a window spans on coarse data")
    max_window_h: float = Field(
        default=120.0, description="Longest window, whatever the cadence [h]"
    )
    min_rate_lph: float = Field(default=4.0, description="Smallest leak rate reported [L/h]")
    coarse_min_rate_lph: float = Field(
        default=6.0, description="Smallest leak rate reported on coarse reads [L/h]"
    )
    coarse_persist_h: float = Field(
        default=36.0,
        description="Time the rise must last on coarse reads before it is reported [h]",
    )
    coarse_cadence_h: float = Field(
        default=3.0, description="Read interval from which the real intervals are the blocks [h]"
    )
    block_steps: float = Field(
        default=1.0,
        description="Register steps a block holds at the smallest rate (longer blocks "
        "let the drips of real homes through on 10 L registers)",
    )
    min_steps_per_block: float = Field(
        default=2.5,
        description="Register steps each block must show (matters on 10 L registers; 2: "
        "2.5x the false alerts on real homes with 10 L registers)",
    )
    max_block_h: float = Field(default=12.0, description="Longest block on fine-cadence data [h]")
    max_interval_h: float = Field(
        default=12.0, description="Longer read intervals leave their blocks unknown [h]"
    )
    coverage: float = Field(
        default=0.9, description="Share of a window that must have known blocks"
    )
    steady_quantile: float = Field(
        default=0.25, description="Quantile of the window's flows that stands for its quiet hours"
    )
    steady_ratio: float = Field(
        default=1.25,
        description="Quiet hours at most this x the floor (1.5 with 2 L/h slack: hourly "
        "precision 0.86 instead of 0.92 on real homes, same recall)",
    )
    steady_slack_lph: float = Field(default=1.0, description="Plus this slack [L/h]")
    baseline_days: int = Field(default=60, description="History giving the meter's usual floor [d]")
    baseline_quantile: float = Field(
        default=0.5, description="Quantile of past floors used as usual"
    )
    coarse_baseline_quantile: float = Field(
        default=0.75, description="Quantile of past floors used as usual on coarse reads"
    )
    coarse_spread_factor: float = Field(
        default=0.5,
        description="Multiple of the past floors' interquartile range to clear on coarse reads",
    )
    baseline_min_days: int = Field(
        default=7, description="History needed before the floor counts [d]"
    )
    merge_gap_h: float = Field(
        default=48.0, description="Breaks shorter than this are one episode [h]"
    )
    critical_rate_lph: float = Field(
        default=20.0, description="Leak rate from which it is critical [L/h]"
    )


def detect_continuous_flow(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None = None,
    settings: ContinuousFlowSettings | None = None,
    series: MeterSeries | None = None,
) -> list[Episode]:
    """Episodes of flow that never stopped over a window.

    reads : DataFrame  Validated reads indexed by ts [UTC] (see flows.register_litres).
    series : MeterSeries  The same reads prepared by ``detect_all``, when at hand.
    """
    s = settings or ContinuousFlowSettings()
    prepared = meter_series(reads, meter, as_of, series)
    register = prepared.register
    if register.size < 3:
        return []
    resolution = prepared.resolution_l
    floor = _floor(register, prepared.cadence_h, resolution, s)
    if floor is None:
        return []
    # the smallest rate reported, and enough register steps per block that a
    # step falling on either side of a block edge does not make the flow
    min_rate = s.coarse_min_rate_lph if floor.coarse else s.min_rate_lph
    threshold = max(min_rate, s.min_steps_per_block * resolution / floor.block_h)
    if not np.nanmax(floor.values.to_numpy(), initial=-np.inf) >= threshold:
        # the excess never exceeds the floor: most homes stop here, cheaply
        return []
    floor = _steady(floor, resolution, s)
    excess = _excess(floor, floor.values.isna(), s)
    # a second pass keeps the leak itself out of the meter's usual floor
    excess = _excess(floor, excess >= threshold, s)
    cond = excess >= threshold
    gap = pd.Timedelta(hours=max(2 * floor.block_h, s.merge_gap_h))
    # on coarse reads one window is not enough: the rise must last
    persist = pd.Timedelta(hours=s.coarse_persist_h if floor.coarse else 0.0)
    return [
        _episode(excess, first, last, cond, register.index[0], floor, meter, as_of, tariff, s)
        for first, last in runs(cond, gap)
        if last - first >= persist
    ]


@dataclass(frozen=True)
class _Floor:
    """The lowest flow over the window ending at each block [L/h]."""

    values: pd.Series
    flow: pd.Series
    block_h: float
    window_h: float
    coarse: bool
    needed: int
    steady: pd.Series | None = None


def _floor(
    register: pd.Series, cadence: float, resolution: float, s: ContinuousFlowSettings
) -> _Floor | None:
    """Blocks long enough to see one register step at the smallest rate on fine
    data, the real read intervals on coarse data; their rolling minimum."""
    max_gap_h = max(s.max_interval_h, 2.5 * cadence)
    coarse = cadence >= s.coarse_cadence_h
    if coarse:
        block_h = cadence
        flow = interval_flows(register, max_gap_h)["flow"]
    else:
        steps = math.ceil(s.block_steps * resolution / s.min_rate_lph)
        block_h = min(float(max(math.ceil(cadence), steps)), s.max_block_h)
        flow = binned_flows(register, block_h, max_gap_h)
    window_h = max(s.window_h, min(s.min_blocks * block_h, s.max_window_h))
    needed = max(1, math.ceil(s.coverage * window_h / block_h))
    if flow.empty:
        return None
    floor = flow.rolling(pd.Timedelta(hours=window_h), min_periods=needed).min()
    return _Floor(floor, flow, block_h, window_h, coarse, needed)


def _steady(floor: _Floor, resolution: float, s: ContinuousFlowSettings) -> _Floor:
    """A leak is steady: the quiet blocks all sit near the floor, where a busy
    day without a break has a floor far below its usual small uses."""
    rolling = floor.flow.rolling(pd.Timedelta(hours=floor.window_h), min_periods=floor.needed)
    slack = s.steady_slack_lph + resolution / floor.block_h
    steady = rolling.quantile(s.steady_quantile) <= s.steady_ratio * floor.values + slack
    return replace(floor, steady=steady)


def _excess(floor: _Floor, leaking: pd.Series, s: ContinuousFlowSettings) -> pd.Series:
    """Floor above the meter's usual floor [L/h]; ``leaking`` times are kept out
    of the usual floor. On coarse reads every interval holds some use, so the
    floor must also clear the usual ups and downs, and nothing is said before
    there is a usual floor."""
    past = floor.values.where(~leaking.fillna(False).astype(bool))
    rolling = past.rolling(pd.Timedelta(days=s.baseline_days), min_periods=1)
    start = floor.values.index[0]
    enough = (floor.values.index - start) >= pd.Timedelta(days=s.baseline_min_days)
    if floor.coarse:
        usual = rolling.quantile(s.coarse_baseline_quantile)
        spread = rolling.quantile(0.75) - rolling.quantile(0.25)
        level = (usual + s.coarse_spread_factor * spread).where(enough)
        known = _lagged(level, floor)
    else:
        known = _lagged(rolling.quantile(s.baseline_quantile).where(enough), floor).fillna(0.0)
    steady = floor.steady if floor.steady is not None else True
    return (floor.values - known.clip(lower=0.0)).where(steady, 0.0)


def _lagged(series: pd.Series, floor: _Floor) -> pd.Series:
    """``series`` as known one window earlier, on the floor's times."""
    known = series.ffill()
    shift = pd.Timedelta(hours=floor.window_h).value
    times = known.index.as_unit("ns").asi8
    pos = np.searchsorted(times, floor.values.index.as_unit("ns").asi8 - shift, side="right") - 1
    values = np.where(pos >= 0, known.to_numpy()[np.clip(pos, 0, None)], np.nan)
    return pd.Series(values, index=floor.values.index)


def _episode(
    excess: pd.Series,
    first: pd.Timestamp,
    last: pd.Timestamp,
    cond: pd.Series,
    first_ts: pd.Timestamp,
    floor: _Floor,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None,
    s: ContinuousFlowSettings,
) -> Episode:
    start = max(first - pd.Timedelta(hours=floor.window_h), first_ts)
    after = cond.index[cond.index > last]
    end = None if after.empty else after[0]
    rate = float(excess[first:last].median())
    hours = ((end or as_of) - start) / pd.Timedelta(hours=1)
    volume_m3 = round(rate * hours / 1000.0, 3)
    cost = (tariff or Tariff()).cost_eur(meter, volume_m3)
    what = substance(meter)
    message = (
        f"{what} has been flowing without a break since {local_time(start, meter)}: "
        f"at least {rate:.1f} L/h, about {volume_m3:.2f} m3 ({cost:.2f} EUR) so far."
    )
    evidence = {
        "leak_rate_lph": round(rate, 2),
        "since": start.isoformat(),
        "window_h": floor.window_h,
        "block_h": floor.block_h,
        "volume_m3": volume_m3,
        "cost_eur": cost,
        "message": message,
    }
    return Episode(
        meter_id=meter.meter_id,
        type="continuous_flow",
        severity="critical" if rate >= s.critical_rate_lph else "warning",
        start=start,
        end=end,
        confirmed_at=first + pd.Timedelta(hours=s.coarse_persist_h if floor.coarse else 0.0),
        evidence=evidence,
        estimated_volume_m3=volume_m3,
        estimated_cost_eur=cost,
    )
