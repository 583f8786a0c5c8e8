"""Hourly consumption from validated index reads, with every gap filled and flagged.

The register between reads is a curve through the valid reads; hourly volumes
are its increments, so each delta between two reads is apportioned over the
hours it spans and the estimated hours of a gap add up exactly to the index
delta. Only the shape of a gap is estimated, and of an hour only what lies
between two real reads inside it (its edges included) is measured:

``measured``       reads on the hour's edges, at most ``measured_max_gap_h`` apart
``interpolated``   reads at most ``measured_max_gap_h`` apart, off the hour's edges: the
                   register at the edge is interpolated between them (linear in time)
``linear``         short gaps, linear in the index
``profile``        long gaps, the meter's own like-day profile scaled to the delta
``profile_seasonal`` long gaps of a meter without history: the shipped seasonal profile
``external_estimate`` intervals ending on a read that was itself an estimate
``prospective_like_day`` after the last read: the meter's average like-day
``prospective_adl`` after the last read, without hourly history: average daily load
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import CURVE_QUALITIES, DEFAULT_TIMEZONE, MeterKind, Method, Quality
from core.columns import ESTIMATED_SHARE, METHOD, QUALITY, REGISTER, TS, VOLUME
from estimate.profiles import (
    LocalCalendar,
    like_day_profile,
    local_calendar,
    read_seasonal_profile,
    seasonal_weights,
)
from estimate.settings import EstimationSettings
from estimate.validate import HOUR_NS, ValidatedReads

METHODS: tuple[Method, ...] = tuple(Method)  # in this order: the codes below index it
MEASURED, LINEAR, PROFILE, SEASONAL, EXTERNAL, LIKE_DAY, ADL, INTERPOLATED = range(len(METHODS))
_QUALITY_DTYPE = pd.CategoricalDtype(list(CURVE_QUALITIES))
_METHOD_DTYPE = pd.CategoricalDtype(list(METHODS))
# whether the register is known at the hour's start/end: periods between known edges are measured
KNOWN_START, KNOWN_END = "known_start", "known_end"
# part of the hour's volume estimated over gaps (what days and months add up, their edges
# between close reads being known), the apportioning of close reads across its edges aside
GAP_SHARE = "gap_share"
HOURLY_COLUMNS = [VOLUME, QUALITY, ESTIMATED_SHARE, METHOD, KNOWN_START, KNOWN_END, GAP_SHARE]
DAY_NS = 24 * HOUR_NS


@dataclass
class _Grid:
    """Working arrays of one meter's hourly grid (times in hours from ``start``)."""

    start: int
    hours: int
    calendar: LocalCalendar
    volume: np.ndarray
    est_volume: np.ndarray
    est_time: np.ndarray
    covered: np.ndarray


def estimate_hourly(
    validated: ValidatedReads | pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    timezone: str = DEFAULT_TIMEZONE,
    kind: str = MeterKind.WATER,
    settings: EstimationSettings | None = None,
) -> pd.DataFrame:
    """Hourly consumption from the first valid read to ``as_of``.

    Parameters
    ----------
    validated : ValidatedReads or DataFrame
        Output of ``validate_reads`` (its valid reads are used), or a frame
        indexed by ``ts`` [UTC] with a ``register`` column [meter unit].
    as_of : Timestamp
        Time of the estimate (tz-aware); reads after it are ignored and the
        hours after the last read up to it are a prospective estimate.
    timezone : str
        The meter's timezone: like-day profiles follow local weekdays and hours.
    kind : str
        Meter kind, choosing the seasonal profile (``gas``, ``water``).

    Returns
    -------
    DataFrame indexed by ``ts`` (hour starts, UTC) with ``volume`` [meter
    unit], ``quality`` (``actual``/``estimated``), ``estimated_share`` [0-1]
    (all of the volume but what lies between two real reads inside the hour,
    its edges included), ``method``, and for the calendar rollups
    ``known_start``/``known_end`` (bool: the register is known, or
    interpolated between close reads, at the hour's start/end, so sums
    between known edges are measured) and ``gap_share`` [0-1] (the part
    estimated over gaps, which the rollups add up).
    """
    settings = settings or EstimationSettings()
    reads = validated.valid if isinstance(validated, ValidatedReads) else validated
    as_ns = pd.Timestamp(as_of).tz_convert("UTC").value
    stamps = reads.index.as_unit("ns").asi8
    if stamps.size and stamps[-1] > as_ns:
        reads = reads[stamps <= as_ns]
    if reads.empty:
        return _empty_frame(0)
    ts = reads.index.as_unit("ns").asi8
    register = reads[REGISTER].to_numpy(dtype=float)
    start = ts[0] - ts[0] % HOUR_NS
    hours = int(-(-(max(as_ns, ts[-1]) - start) // HOUR_NS))
    if hours == 0:
        return _empty_frame(start)
    t = (ts - start) / HOUR_NS
    real = _real_reads(reads)
    methods = _segment_methods(np.diff(t), real, settings)
    grid = _linear_pass(start, hours, t, register, methods, (as_ns - start) / HOUR_NS, timezone)
    usable = (grid.est_time == 0) & (grid.covered >= 1.0)
    for k in np.flatnonzero(methods == PROFILE):
        methods[k] = _shape_gap(
            grid, usable, t[k], t[k + 1], register[k + 1] - register[k], kind, settings
        )
    prospective = _prospective(grid, usable, t, register, (as_ns - start) / HOUR_NS, kind, settings)
    hour_methods = _hour_methods(t, methods, prospective, grid.hours)
    if prospective == -1:
        keep = int(np.floor(t[-1] - 1e-12)) + 1 if as_ns > ts[-1] else grid.hours
        keep = min(keep, grid.hours)
        grid = _truncate(grid, keep)
        hour_methods = hour_methods[:keep]
    edge_h = settings.on_edge_s / 3600
    share = _estimated_share(grid, t[real], register[real], edge_h)
    gap_share = _gap_share(grid)
    # a gap's method where the gap adds to the estimate; else the hour was only interpolated
    shaped = (gap_share > 0) & (hour_methods != MEASURED)
    chosen = np.where(share > 0, np.where(shaped, hour_methods, INTERPOLATED), MEASURED)
    known = _known_edges(t[real], t, methods, grid.hours)
    return _frame(start, grid.volume, share, gap_share, chosen, known)


def _real_reads(reads: pd.DataFrame) -> np.ndarray:
    """Which reads are real (bool): all but those estimated elsewhere."""
    if QUALITY not in reads.columns:
        return np.ones(len(reads), dtype=bool)
    return ~np.asarray(reads[QUALITY].array == Quality.ESTIMATED, dtype=bool)


def _segment_methods(
    durations: np.ndarray, real: np.ndarray, settings: EstimationSettings
) -> np.ndarray:
    """Method code of each interval between consecutive reads."""
    methods = np.full(durations.size, PROFILE)
    methods[durations <= settings.short_gap_max_h] = LINEAR
    methods[durations <= settings.measured_max_gap_h] = MEASURED
    if durations.size:
        methods[~real[1:] | ~real[:-1]] = EXTERNAL
    return methods


def _linear_pass(
    start: int,
    hours: int,
    t: np.ndarray,
    register: np.ndarray,
    methods: np.ndarray,
    as_of_h: float,
    timezone: str,
) -> _Grid:
    """Hourly volumes with every interval linear, and what part of them is estimated."""
    edges = np.arange(hours + 1, dtype=float)
    estimated = methods != MEASURED
    volume = np.diff(np.interp(edges, t, register))
    est_register = np.concatenate(([0.0], np.cumsum(np.diff(register) * estimated)))
    est_volume = np.diff(np.interp(edges, t, est_register))
    est_clock = np.concatenate(([0.0], np.cumsum(np.diff(t) * estimated)))
    est_time = np.diff(np.interp(edges, t, est_clock))
    end = max(as_of_h, t[-1])
    covered = np.clip(np.minimum(edges[1:], end) - np.maximum(edges[:-1], t[0]), 0.0, 1.0)
    calendar = local_calendar(start, hours, timezone)
    return _Grid(start, hours, calendar, volume, est_volume, est_time, covered)


def _overlap(t0: float, t1: float) -> tuple[int, np.ndarray]:
    """First hour touched by ``[t0, t1)`` and the hours [h] it covers of each hour."""
    first = int(np.floor(t0))
    last = max(int(np.ceil(t1)) - 1, first)
    lows = np.arange(first, last + 1, dtype=float)
    return first, np.clip(np.minimum(lows + 1, t1) - np.maximum(lows, t0), 0.0, 1.0)


def _shape_gap(
    grid: _Grid,
    usable: np.ndarray,
    t0: float,
    t1: float,
    delta: float,
    kind: str,
    settings: EstimationSettings,
) -> int:
    """Re-apportion one long gap's delta by a profile; the method used."""
    first, overlap = _overlap(t0, t1)
    span = slice(first, first + overlap.size)
    lookback = settings.profile_lookback_days * 24
    window = np.zeros(grid.hours, dtype=bool)
    window[max(first - lookback, 0) : first + overlap.size + lookback] = True
    history = usable & window
    if history.sum() >= settings.profile_min_days * 24:
        recency = _recency(grid.hours, first, overlap.size, settings.profile_recency_days)
        profile = _shaped_profile(grid, history, settings, recency)
        weights = profile[grid.calendar.week_hour[span]]
        weights = weights * _neighbour_level(grid, usable, first, overlap.size, profile, settings)
        if t1 - t0 > settings.seasonal_min_gap_days * 24:
            weights = weights * _month_factor(grid.calendar, span, kind)
        method = PROFILE
    else:
        weights = seasonal_weights(grid.calendar, kind)[span]
        method = SEASONAL
    weighted = weights * overlap
    if weighted.sum() <= 0:
        return LINEAR
    change = delta * (weighted / weighted.sum() - overlap / (t1 - t0))
    grid.volume[span] += change
    grid.est_volume[span] += change
    return method


def _recency(hours: int, first: int, size: int, days: float | None) -> np.ndarray | None:
    """Weight of each grid hour for a gap's profile: halves every ``days`` away from the gap."""
    if days is None:
        return None
    position = np.arange(hours)
    distance = np.maximum(first - position, position - (first + size - 1)).clip(0) / 24
    return np.exp2(-distance / days)


def _shaped_profile(
    grid: _Grid,
    history: np.ndarray,
    settings: EstimationSettings,
    recency: np.ndarray | None = None,
) -> np.ndarray:
    """Like-day profile with weekday levels pulled to the mean and each day sharpened."""
    profile = like_day_profile(
        grid.volume,
        history,
        grid.calendar,
        shrink=settings.weekday_shrink,
        clip_quantile=settings.profile_clip_quantile,
        recency=recency,
    ).reshape(7, 24)
    totals = profile.sum(axis=1, keepdims=True)
    level = (
        1 - settings.weekday_level_shrink
    ) * totals + settings.weekday_level_shrink * totals.mean()
    sharp = profile**settings.profile_sharpness
    sharp_totals = sharp.sum(axis=1, keepdims=True)
    shaped = np.where(sharp_totals > 0, sharp / np.where(sharp_totals > 0, sharp_totals, 1), 1 / 24)
    return (shaped * level).ravel()


def _neighbour_level(
    grid: _Grid,
    usable: np.ndarray,
    first: int,
    size: int,
    profile: np.ndarray,
    settings: EstimationSettings,
) -> np.ndarray:
    """Relative level of each gap hour, drifting from the days before to the days after.

    Consumption a few days away from a read resembles the days next to it
    (occupancy, weather): the like-day profile's level is blended with a
    ramp from the measured level just before the gap to the one just after.
    """
    mean = profile.mean()
    if mean <= 0 or settings.neighbour_level_weight == 0:
        return np.ones(size)
    reach = int(settings.neighbour_days * 24)
    before = slice(max(first - reach, 0), first)
    after = slice(first + size, first + size + reach)
    levels = []
    for part in (before, after):
        seen = usable[part]
        levels.append(grid.volume[part][seen].mean() if seen.sum() >= 12 else mean)
    ramp = np.linspace(levels[0], levels[1], size) / mean
    weight = settings.neighbour_level_weight
    return np.clip((1 - weight) + weight * ramp, 0.0, None)


def _month_factor(calendar: LocalCalendar, span: slice, kind: str) -> np.ndarray:
    """Seasonal level of each hour's month (the daily shape averaged out)."""
    month_level = read_seasonal_profile(kind).mean(axis=1)
    return month_level[calendar.month[span] - 1]


def _prospective(
    grid: _Grid,
    usable: np.ndarray,
    t: np.ndarray,
    register: np.ndarray,
    as_of_h: float,
    kind: str,
    settings: EstimationSettings,
) -> int:
    """Add the open gap after the last read; its method, or -1 when nothing is known."""
    if as_of_h <= t[-1]:
        return MEASURED
    first, overlap = _overlap(t[-1], as_of_h)
    span = slice(first, first + overlap.size)
    window = np.zeros(grid.hours, dtype=bool)
    window[max(first - settings.prospective_lookback_days * 24, 0) : first] = True
    history = usable & window
    if history.sum() >= settings.profile_min_days * 24:
        rate = like_day_profile(grid.volume, history, grid.calendar, shrink=0.5)
        hourly, method = rate[grid.calendar.week_hour[span]], LIKE_DAY
    else:
        hourly = _average_daily_load(grid, t, register, span, kind)
        if hourly is None:
            return -1
        method = ADL
    added = hourly * overlap
    grid.volume[span] += added
    grid.est_volume[span] += added
    grid.est_time[span] += overlap
    return method


def _average_daily_load(
    grid: _Grid, t: np.ndarray, register: np.ndarray, span: slice, kind: str
) -> np.ndarray | None:
    """Average rate over the last year of reads, shaped by the seasonal profile."""
    since = np.flatnonzero(t >= t[-1] - 365 * 24)
    first = int(since[0]) if since[0] < t.size - 1 else t.size - 2
    if first < 0 or t[-1] <= t[first]:
        return None
    rate = (register[-1] - register[first]) / (t[-1] - t[first])
    weights = seasonal_weights(grid.calendar, kind)
    history = weights[int(np.floor(t[first])) : max(int(np.ceil(t[-1])), int(t[first]) + 1)]
    return rate * weights[span] / history.mean()


def _hour_methods(t: np.ndarray, methods: np.ndarray, prospective: int, hours: int) -> np.ndarray:
    """Method of each hour: the first estimated one among its middle, start and end."""
    lows = np.arange(hours, dtype=float)
    codes = np.concatenate((methods, [max(prospective, MEASURED)]))
    chosen = np.full(hours, MEASURED)
    for point in (lows + 1 - 1e-9, lows + 1e-9, lows + 0.5):
        seg = np.clip(np.searchsorted(t, point, side="right") - 1, 0, codes.size - 1)
        code = codes[seg]
        chosen = np.where(code != MEASURED, code, chosen)
    return chosen


def _truncate(grid: _Grid, keep: int) -> _Grid:
    return _Grid(
        grid.start,
        keep,
        grid.calendar,
        grid.volume[:keep],
        grid.est_volume[:keep],
        grid.est_time[:keep],
        grid.covered[:keep],
    )


def _estimated_share(grid: _Grid, t: np.ndarray, register: np.ndarray, edge_h: float) -> np.ndarray:
    """Estimated part of each hour's volume; by time when the hour has no volume.

    Only the volume between the first and the last real read (``t`` [h on the grid],
    ``register`` [meter unit]) inside the hour, its edges included, is measured: the
    rest was apportioned over time from a delta across an edge (even between reads
    an hour apart), shaped over a gap or projected after the last read. A read
    within ``edge_h`` [h] of an edge is taken as on it: clocks drift by seconds.
    """
    edges = np.arange(grid.hours + 1, dtype=float)
    first = np.searchsorted(t, edges[:-1] - edge_h, side="left")
    last = np.searchsorted(t, edges[1:] + edge_h, side="right") - 1
    inside = first <= last
    measured, measured_time = np.zeros(grid.hours), np.zeros(grid.hours)
    measured[inside] = register[last[inside]] - register[first[inside]]
    measured_time[inside] = t[last[inside]] - t[first[inside]]
    return _share(grid, grid.volume - measured, grid.covered - measured_time)


def _gap_share(grid: _Grid) -> np.ndarray:
    """Part of each hour's volume estimated over gaps: not counting the apportioning of
    intervals of at most ``measured_max_gap_h`` across its edges."""
    return _share(grid, grid.est_volume, grid.est_time)


def _share(grid: _Grid, volume: np.ndarray, time: np.ndarray) -> np.ndarray:
    """``volume`` [meter unit] as a part of each hour's; by ``time`` [h] when it has none."""
    with np.errstate(divide="ignore", invalid="ignore"):
        by_volume = volume / grid.volume
        by_time = time / grid.covered
    # gap shaping leaves float residue on hours it empties: compare to the curve's scale
    tolerance = 1e-9 * max(float(np.abs(grid.volume).max(initial=0.0)), 1.0)
    share = np.where(np.abs(grid.volume) > tolerance, by_volume, by_time)
    return np.round(np.clip(np.nan_to_num(share), 0.0, 1.0), 9)


def _known_edges(real: np.ndarray, t: np.ndarray, methods: np.ndarray, hours: int) -> np.ndarray:
    """Whether the register is known at each hour edge: a real read on it (times ``real``
    [h on the grid]), or a measured interval.

    A day or month between two known edges has a measured total even when
    its hours were shaped by a profile (daily reads, for instance).
    """
    edges = np.arange(hours + 1, dtype=float)
    seg = np.searchsorted(t, edges, side="right") - 1
    inside = (seg >= 0) & (seg < t.size - 1)
    measured = np.zeros(hours + 1, dtype=bool)
    measured[inside] = methods[seg[inside]] == MEASURED
    if real.size == 0:
        return measured
    nearest = np.minimum(np.searchsorted(real, edges), real.size - 1)
    on_read = real[nearest] == edges
    return measured | on_read


def _empty_frame(start: int) -> pd.DataFrame:
    nothing = np.empty(0)
    return _frame(start, nothing, nothing, nothing, np.empty(0, dtype=int), np.empty(1, bool))


def _frame(
    start: int,
    volume: np.ndarray,
    share: np.ndarray,
    gap_share: np.ndarray,
    methods: np.ndarray,
    known: np.ndarray,
) -> pd.DataFrame:
    """The hourly result frame; ``known`` has one more edge than hours."""
    index = pd.DatetimeIndex(
        start + np.arange(volume.size, dtype=np.int64) * HOUR_NS, name=TS
    ).tz_localize("UTC")
    return pd.DataFrame(
        {
            VOLUME: volume,
            # categoricals: a handful of values, and no string conversion per meter
            QUALITY: pd.Categorical.from_codes((share > 0).astype(int), dtype=_QUALITY_DTYPE),
            ESTIMATED_SHARE: share,
            METHOD: pd.Categorical.from_codes(methods.astype(int), dtype=_METHOD_DTYPE),
            KNOWN_START: known[:-1],
            KNOWN_END: known[1:],
            GAP_SHARE: gap_share,
        },
        index=index,
    )
