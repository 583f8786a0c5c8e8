"""Continuous flow (leak): flow that never stops.

On fine data this is the meter-side rule (no hour without flow in 24 h) made
stricter, because on real homes that rule fires about 25 times per 100
meter-months (bench/detect_eval.py). Two tiers look at spans sliding with the
reads, each long enough that its smallest leak shows register steps in every
span, and short enough that a household's quiet hours still show: a fast tier
(the flow must not stop for 42 h, 5 L/h) and a slow tier for the small leaks
(144 h, 2 L/h). In both, the floor of the window must clear the meter's own
usual floor (a high quantile of its past floors), so what fires is a *change*
in the flow that never stops, not a home whose floor often rises. On coarse
data the real read intervals are the blocks, and the *floor* of the flow over
the window is compared with the meter's own usual floor when the home is lived
in (windows holding an empty interval are left out of it), so a household whose
twice-daily intervals are never empty is not taken for a leak. A leak adds the
same volume to every interval, so a rise that also widens the spread of the
intervals is more use, not a leak. Estimated volumes are never used: only the
real read-to-read intervals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, Meter, Severity, Tariff
from core.units import LITRES_PER_M3
from detect.features import MeterSeries, meter_series
from detect.flows import (
    NS_PER_HOUR,
    rolling_min,
    rolling_quantile,
    rolling_sum,
    run_bounds,
    span_flow_values,
    window_starts,
)

MAX_BASELINE_PASSES = 40  # on coarse reads each pass uncovers a little more of a long leak
DAILY_READS_H = 18.0  # reads usually this far apart or more are daily reads [h]


class ContinuousFlowSettings(BaseModel):
    """Thresholds of the continuous-flow detector."""

    model_config = ConfigDict(frozen=True)

    window_h: float = Field(
        default=42.0,
        description="Span over which the flow must never stop, first tier [h]",
    )
    min_rate_lph: float = Field(
        default=5.0,
        description="Smallest leak rate the first tier finds [L/h]",
    )
    slow_window_h: float = Field(
        default=144.0,
        description="Span over which the flow must never stop, second tier, for small leaks [h]",
    )
    slow_min_rate_lph: float = Field(
        default=2.0, description="Smallest leak rate the second tier finds [L/h]"
    )
    span_steps: float = Field(
        default=1.2,
        description="Register steps a span holds at a tier's smallest rate [steps]",
    )
    max_span_h: float = Field(
        default=2.0,
        description="Longest span of the first tier [h]",
    )
    slow_max_span_h: float = Field(default=6.0, description="Longest span of the second tier [h]")
    read_jitter_h: float = Field(
        default=0.1, description="Spans run this much longer than asked when reads drift [h]"
    )
    span_short_h: float = Field(
        default=0.02,
        description="How much shorter than its length a span may be, as reads drift [h]",
    )
    seen_stretch_h: float = Field(
        default=4.0,
        description="Spans longer than asked by more than this are unknown [h]",
    )
    min_blocks: int = Field(default=6, description="Fewest blocks a window spans on coarse data")
    max_window_h: float = Field(default=120.0, description="Longest window on coarse data [h]")
    coarse_min_rate_lph: float = Field(
        default=6.0, description="Smallest leak rate reported on coarse reads [L/h]"
    )
    min_steps_per_block: float = Field(
        default=2.5,
        description="Smallest interval volumes seen that each coarse block must hold, "
        "as a flow threshold",
    )
    coarse_persist_h: float = Field(
        default=36.0,
        description="Time the rise must last on coarse reads before it is reported, in whole read intervals [h]",
    )
    coarse_cadence_h: float = Field(
        default=3.0, description="Read interval from which the real intervals are the blocks [h]"
    )
    max_interval_h: float = Field(
        default=12.0, description="Longer read intervals leave their blocks unknown [h]"
    )
    coverage: float = Field(
        default=0.9, description="Share of a window that must have known blocks"
    )
    span_coverage: float = Field(
        default=0.85,
        description="Share of a window on fine data that must have known spans [0-1]",
    )
    steady_quantile: float = Field(
        default=0.25, description="Quantile of the window's flows that stands for its quiet hours"
    )
    steady_ratio: float = Field(
        default=1.25,
        description="Most the window's quiet hours may be, as a multiple of its floor",
    )
    steady_slack_lph: float = Field(default=1.0, description="Plus this slack [L/h]")
    coarse_spread_ratio: float = Field(
        default=1.5,
        description="Most the interquartile range of a coarse window's flows may be, as a multiple of the meter's usual one",
    )
    coarse_spread_slack_lph: float = Field(
        default=2.0, description="Plus this slack, and one register step per interval [L/h]"
    )
    baseline_days: int = Field(default=60, description="History giving the meter's usual floor [d]")
    baseline_quantile: float = Field(
        default=0.9,
        description="Quantile of past floors taken as the meter's usual floor, fine data",
    )
    coarse_baseline_quantile: float = Field(
        default=0.8,
        description="Quantile of past floors taken as the usual floor, reads hours apart",
    )
    daily_baseline_quantile: float = Field(
        default=0.9,
        description="Quantile of past floors taken as the usual floor, reads a day or more apart",
    )
    coarse_spread_factor: float = Field(
        default=0.5,
        description="Multiple of the past floors' interquartile range to clear on coarse reads",
    )
    baseline_min_days: int = Field(
        default=7, description="History needed before the floor counts [d]"
    )
    coarse_baseline_min_days: int = Field(
        default=28,
        description="History needed before the floor counts on coarse reads [d]",
    )
    hold_share: float = Field(
        default=0.5,
        description="Share of its opening threshold the excess flow must keep for a leak to stay open [0-1]",
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

    On fine data two tiers run: a short window for leaks of ``min_rate_lph``
    and more, and a longer one that waits for more evidence before it reports
    the small leaks of ``slow_min_rate_lph``; an episode either finds is one.

    reads : DataFrame  Validated reads indexed by ts [UTC] (see flows.register_litres).
    series : MeterSeries  The same reads prepared by ``detect_all``, when at hand.

    References
    ----------
    .. [1] Kamstrup, MULTICAL 21 / flowIQ info codes: LEAK when the meter has
       not seen one hour without flow in 24 hours.
    .. [2] Flume, leak detection: an alert after 2 hours of constant flow.
    .. [3] Badger Meter, BEACON AMA: a leak when there was flow in every hour
       of 24.
    """
    s = settings or ContinuousFlowSettings()
    prepared = meter_series(reads, meter, as_of, series)
    register = prepared.register
    if register.size < 3:
        return []
    resolution = prepared.resolution_l
    t = register.index.as_unit("ns").asi8
    litres = register.to_numpy(dtype=float)
    found = [
        run
        for tier in _tiers(prepared.cadence_h, resolution, s)
        for run in _tier_runs(t, litres, tier, resolution, s)
    ]
    return [_episode(run, meter, as_of, tariff, s) for run in _merged(found)]


@dataclass(frozen=True)
class _Tier:
    """One window and the smallest excess flow it reports [h, L/h]."""

    window_h: float
    block_h: float
    threshold: float
    cadence_h: float
    coarse: bool


def _tiers(cadence: float, resolution: float, s: ContinuousFlowSettings) -> list[_Tier]:
    """The real read intervals as blocks on coarse data, one window; on fine
    data a fast and a slow tier, each with spans long enough that its smallest
    leak shows register steps in every span."""
    if cadence >= s.coarse_cadence_h:
        window = max(s.window_h, min(s.min_blocks * cadence, s.max_window_h))
        # the smallest step seen between coarse reads is a volume, not a
        # register step: it bounds what one interval can tell
        rate = max(s.coarse_min_rate_lph, s.min_steps_per_block * resolution / cadence)
        return [_Tier(window, cadence, rate, cadence, coarse=True)]
    return [
        _fine_tier(s.window_h, s.min_rate_lph, s.max_span_h, cadence, resolution, s),
        _fine_tier(s.slow_window_h, s.slow_min_rate_lph, s.slow_max_span_h, cadence, resolution, s),
    ]


def _fine_tier(
    window_h: float,
    rate: float,
    max_span_h: float,
    cadence: float,
    resolution: float,
    s: ContinuousFlowSettings,
) -> _Tier:
    """A tier whose threshold is the lowest flow a leak of ``rate`` can show:
    it fills every span with ``rate * span`` litres, less one register step
    lost to where the steps fall, in whole steps (at least one), over a span
    a little longer than asked when the reads drift. Spans are kept short
    enough that the quiet hours of a household show, so on a coarse register
    the smallest rate rises to what such spans resolve."""
    rate = max(rate, s.span_steps * resolution / max_span_h)
    span = float(max(math.ceil(cadence), math.ceil(s.span_steps * resolution / rate)))
    steps = max(math.ceil(rate * span / resolution - 1.0 - 1e-9), 1)
    shown = steps * resolution / (span + s.read_jitter_h)
    return _Tier(window_h, span, shown, cadence, coarse=False)


@dataclass(frozen=True)
class _Run:
    """A stretch of flow that never stopped, as one tier saw it."""

    start: pd.Timestamp
    end: pd.Timestamp | None
    confirmed_at: pd.Timestamp
    rate_lph: float
    window_h: float
    block_h: float


def _tier_runs(
    t: np.ndarray, litres: np.ndarray, tier: _Tier, resolution: float, s: ContinuousFlowSettings
) -> list[_Run]:
    """Runs of the floor above the meter's usual floor by the tier's threshold."""
    floor = _floor(t, litres, tier, s)
    if floor is None or not np.nanmax(floor.values, initial=-np.inf) >= tier.threshold:
        # the floor never reaches the threshold: most homes stop here, cheaply
        return []
    floor = _steady(floor, resolution, s)
    if floor.coarse:
        floor = replace(_unspread(floor, resolution, s), empty_below=resolution / floor.block_h)
    gap = _ns(max(2 * floor.block_h, s.merge_gap_h))
    excess, leaking = _kept_out(floor, tier, gap, s)
    with np.errstate(invalid="ignore"):
        held = leaking & (excess >= s.hold_share * tier.threshold) & (not floor.coarse)
        cond = (excess >= tier.threshold) | held
    # on coarse reads one window is not enough: the rise must last, seen
    # at the reads that follow (counted in reads, which drift in time)
    persist = max(1, math.floor(s.coarse_persist_h / floor.block_h + 1e-9)) if floor.coarse else 0
    return [
        _run(excess, first, last, t[0], floor, persist)
        for first, last in run_bounds(floor.t, cond, gap)
        if last - first >= persist
    ]


def _kept_out(
    floor: _Floor, tier: _Tier, gap: int, s: ContinuousFlowSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Excess flow with the leaks kept out of the meter's usual floor, and where they are.

    A leak that lasts must not become usual. On fine data a leak found is
    followed for as long as its floor stays above the usual floor from when it
    was found, by ``hold_share`` of the threshold (unknown floors do not end
    it). On coarse reads, where ordinary use fills every interval, following
    held every slow rise of a home open (twice the false alerts): each pass
    keeps out only what exceeds the threshold, and uncovers a little more.
    """
    leaking = np.zeros(floor.t.size, dtype=bool)
    for _ in range(MAX_BASELINE_PASSES):
        excess, usual = _excess(floor, leaking, s)
        with np.errstate(invalid="ignore"):
            found = excess >= tier.threshold
        followed = leaking | found
        if not floor.coarse:
            hold = s.hold_share * tier.threshold
            for first, _last in run_bounds(floor.t, found, gap):
                above = np.nan_to_num(floor.values - usual[first], nan=hold) >= hold
                a, b = next((a, b) for a, b in run_bounds(floor.t, above, gap) if a <= first <= b)
                followed[a : b + 1] = True
        if np.array_equal(followed, leaking):
            return excess, leaking
        leaking = followed
    return excess, leaking


def _run(
    excess: np.ndarray, first: int, last: int, first_ts: int, floor: _Floor, persist: int
) -> _Run:
    """The run of the condition from position ``first`` to ``last``: it began
    one window before it was first seen, is confirmed ``persist`` reads later,
    and ends at the next time after it."""
    start = max(floor.t[first] - _ns(floor.window_h), first_ts)
    end = _timestamp(floor.t[last + 1]) if last + 1 < floor.t.size else None
    rate = float(np.nanmedian(excess[first : last + 1]))
    return _Run(
        _timestamp(start),
        end,
        _timestamp(floor.t[first + persist]),
        rate,
        floor.window_h,
        floor.block_h,
    )


def _merged(found: list[_Run]) -> list[_Run]:
    """Overlapping runs of the tiers as one: the span of all, the figures of
    the first confirmed (the fast tier's, on a large leak)."""
    out: list[_Run] = []
    for run in sorted(found, key=lambda r: r.start):
        last = out[-1] if out else None
        if last is None or (last.end is not None and run.start > last.end):
            out.append(run)
            continue
        first = min(last, run, key=lambda r: r.confirmed_at)
        end = None if last.end is None or run.end is None else max(last.end, run.end)
        out[-1] = replace(first, start=min(last.start, run.start), end=end)
    return out


@dataclass(frozen=True)
class _Floor:
    """The lowest flow over the window ending at each block or read [L/h],
    at times ``t`` [epoch ns]; ``flow`` holds the blocks' or spans' flows."""

    t: np.ndarray
    values: np.ndarray
    flow: np.ndarray
    block_h: float
    window_h: float
    coarse: bool
    needed: int
    steady: np.ndarray | None = None
    empty_below: float = 0.0


def _floor(
    t: np.ndarray, litres: np.ndarray, tier: _Tier, s: ContinuousFlowSettings
) -> _Floor | None:
    """The real read intervals on coarse data, spans sliding with the reads on
    fine data; their rolling minimum over the tier's window."""
    window = _ns(tier.window_h)
    if tier.coarse:
        max_gap_h = max(s.max_interval_h, 2.5 * tier.cadence_h)
        hours = np.diff(t) / NS_PER_HOUR
        flow = np.where(hours <= max_gap_h, np.diff(litres) / np.maximum(hours, 1e-9), np.nan)
        if flow.size == 0:
            return None
        needed = max(1, math.ceil(s.coverage * tier.window_h / tier.block_h))
        floor = rolling_min(flow, window_starts(t[1:], window), needed)
        return _Floor(t[1:], floor, flow, tier.block_h, tier.window_h, tier.coarse, needed)
    flow = span_flow_values(t, litres, tier.block_h, s.seen_stretch_h, s.span_short_h)
    # coverage in hours, not in reads (missing reads leave fewer spans); a span
    # stretched over many missing reads could hide a stop and is unknown
    hours = np.diff(t, prepend=t[0]) / NS_PER_HOUR
    starts = window_starts(t, window)
    covered = rolling_sum(np.where(np.isnan(flow), 0.0, hours), starts)
    floor = np.where(covered >= s.span_coverage * tier.window_h, rolling_min(flow, starts), np.nan)
    return _Floor(t, floor, flow, tier.block_h, tier.window_h, tier.coarse, 1)


def _steady(floor: _Floor, resolution: float, s: ContinuousFlowSettings) -> _Floor:
    """A leak is steady: the quiet blocks all sit near the floor, where a busy
    day without a break has a floor far below its usual small uses."""
    # where the window is not covered the floor is NaN, and then so is this
    quiet = rolling_quantile(
        floor.t, floor.flow, _ns(floor.window_h), s.steady_quantile, floor.needed
    )
    slack = s.steady_slack_lph + resolution / floor.block_h
    with np.errstate(invalid="ignore"):
        steady = quiet <= s.steady_ratio * floor.values + slack
    return replace(floor, steady=steady)


def _unspread(floor: _Floor, resolution: float, s: ContinuousFlowSettings) -> _Floor:
    """A leak adds the same flow to every interval, so the spread of the
    window's intervals stays the meter's usual one; a household using more
    (guests, a season, a multiplied use) spreads its intervals wider."""
    recent = _spread(floor.t, floor.flow, _ns(floor.window_h), floor.needed)
    usual = _lagged(_spread(floor.t, floor.flow, _ns(24.0 * s.baseline_days), 1), floor)
    slack = s.coarse_spread_slack_lph + resolution / floor.block_h
    with np.errstate(invalid="ignore"):
        # a floor of critical flow is reported whatever the spread (a home
        # whose usual spread is nil, back from holidays, with a burst pipe)
        wide = (recent > s.coarse_spread_ratio * usual + slack) & (
            floor.values < s.critical_rate_lph
        )
    steady = floor.steady if floor.steady is not None else True
    return replace(floor, steady=steady & ~wide)


def _spread(t: np.ndarray, flow: np.ndarray, width_ns: int, needed: int) -> np.ndarray:
    """Interquartile range of the flows over the window ending at each time [L/h]."""
    upper = rolling_quantile(t, flow, width_ns, 0.75, needed)
    return upper - rolling_quantile(t, flow, width_ns, 0.25, needed)


def _excess(
    floor: _Floor, leaking: np.ndarray, s: ContinuousFlowSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Floor above the meter's usual floor, and that usual floor [L/h];
    ``leaking`` times are kept out of the usual floor. On coarse reads every
    interval holds some use, so the floor must also clear the usual ups and
    downs, and nothing is said before there is a usual floor."""
    past = np.where(leaking, np.nan, floor.values)
    width = _ns(24.0 * s.baseline_days)
    min_days = s.coarse_baseline_min_days if floor.coarse else s.baseline_min_days
    enough = floor.t - floor.t[0] >= _ns(24.0 * min_days)
    if floor.coarse:
        # an interval without a register step is an empty home: its floor
        # says nothing of the usual floor of the home lived in (after
        # holidays, ordinary use would otherwise look like a leak: 20 instead
        # of 11 false alerts on 655 daily meter-months); a home empty all
        # along has a usual floor of nothing
        past = np.where(floor.values >= floor.empty_below, past, np.nan)
        starts = window_starts(floor.t, width)
        seen = rolling_sum(np.isfinite(floor.values).astype(float), starts) > 0
        lived = rolling_sum((floor.flow >= floor.empty_below).astype(float), starts) > 0
        daily = floor.block_h >= DAILY_READS_H
        usual_q = s.daily_baseline_quantile if daily else s.coarse_baseline_quantile
        quartiles = {q: rolling_quantile(floor.t, past, width, q) for q in {usual_q, 0.25, 0.75}}
        spread = quartiles[0.75] - quartiles[0.25]
        level = quartiles[usual_q] + s.coarse_spread_factor * spread
        level = np.where(np.isnan(level) & seen & ~lived, 0.0, level)
        known = _lagged(np.where(enough, level, np.nan), floor)
    else:
        usual = rolling_quantile(floor.t, past, width, s.baseline_quantile)
        known = np.nan_to_num(_lagged(np.where(enough, usual, np.nan), floor), nan=0.0)
    steady = floor.steady if floor.steady is not None else True
    usual = np.clip(known, 0.0, None)
    return np.where(steady, floor.values - usual, 0.0), usual


def _lagged(values: np.ndarray, floor: _Floor) -> np.ndarray:
    """``values`` (at the floor's times) as known one window earlier."""
    seen = np.maximum.accumulate(np.where(np.isnan(values), 0, np.arange(values.size)))
    known = values[seen]
    pos = np.searchsorted(floor.t, floor.t - _ns(floor.window_h), side="right") - 1
    return np.where(pos >= 0, known[np.clip(pos, 0, None)], np.nan)


def _ns(hours: float) -> int:
    return int(round(hours * NS_PER_HOUR))


def _timestamp(ns: int) -> pd.Timestamp:
    return pd.Timestamp(int(ns), tz="UTC")


def _episode(
    run: _Run,
    meter: Meter,
    as_of: pd.Timestamp,
    tariff: Tariff | None,
    s: ContinuousFlowSettings,
) -> Episode:
    rate, start, end = run.rate_lph, run.start, run.end
    hours = ((end or as_of) - start) / pd.Timedelta(hours=1)
    volume_m3 = round(rate * hours / LITRES_PER_M3, 3)
    cost = None if tariff is None else tariff.cost_eur(meter, volume_m3)
    evidence = {
        "leak_rate_lph": round(rate, 2),
        "since": start.isoformat(),
        "window_h": run.window_h,
        "block_h": run.block_h,
        "volume_m3": volume_m3,
        "cost_eur": cost,
    }
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.CONTINUOUS_FLOW,
        severity=Severity.CRITICAL if rate >= s.critical_rate_lph else Severity.WARNING,
        start=start,
        end=end,
        confirmed_at=run.confirmed_at,
        evidence=evidence,
        estimated_volume_m3=volume_m3,
        estimated_cost_eur=cost,
    )
