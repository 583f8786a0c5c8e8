"""Flows from validated reads: the common ground every detector stands on.

Detectors never use estimated volume as evidence: they work from the real
read-to-read intervals, where the consumed volume is known exactly and only its
spread inside the interval is unknown.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from core import Meter
from core.columns import EXCLUDED, INDEX, REGISTER, TS

NS_PER_HOUR = 3_600_000_000_000
NS_PER_DAY = 24 * NS_PER_HOUR
# Shared by every frame of ``interval_flows``, so that the lookup table of their names is built once.
_FLOW_COLUMNS = pd.Index(["hours", "litres", "flow", "start"])


def register_litres(reads: pd.DataFrame, meter: Meter, as_of: pd.Timestamp) -> pd.Series:
    """Cumulative register of the valid reads up to ``as_of`` [L], indexed by ts.

    ``reads`` is the ``.reads`` frame of ``estimate.validate_reads`` (columns
    ``register`` and ``excluded``) or a plain frame with an ``index`` column.
    """
    frame = reads if TS not in reads.columns else reads.set_index(TS)
    column = REGISTER if REGISTER in frame.columns else INDEX
    index = pd.DatetimeIndex(frame.index)
    values = frame[column].to_numpy(dtype=float) * meter.litres_per_unit
    t = index.as_unit("ns").asi8
    keep = (t <= pd.Timestamp(as_of).as_unit("ns").value) & ~np.isnan(values)
    if EXCLUDED in frame.columns:
        keep &= ~frame[EXCLUDED].to_numpy(dtype=bool)
    if keep.all():
        # the usual case (every read valid and known): no copy
        series = pd.Series(values, index=index)
    else:
        series, t = pd.Series(values[keep], index=index[keep]), t[keep]
    if series.index.hasnans or not (np.diff(t) > 0).all():
        series = series[~series.index.duplicated(keep="last")].sort_index()
    return series


def infer_resolution_l(register: pd.Series) -> float:
    """Smallest register step seen [L]: 1 L on fine meters, 10 L on coarse ones."""
    steps = np.diff(register.to_numpy())
    steps = steps[steps > 1e-9]
    if steps.size == 0:
        return 1.0
    return float(max(np.quantile(steps, 0.01), 1e-3))


def median_interval_h(register: pd.Series) -> float:
    """Usual time between reads [h]."""
    if register.size < 2:
        return math.nan
    return float(np.median(np.diff(register.index.as_unit("ns").asi8)) / NS_PER_HOUR)


def interval_flows(register: pd.Series, max_gap_h: float) -> pd.DataFrame:
    """Read-to-read intervals, indexed by their end.

    Columns ``hours`` [h], ``litres`` [L] and ``flow`` [L/h], the mean flow over
    the interval; ``flow`` is NaN for intervals longer than ``max_gap_h``.
    """
    t = register.index.as_unit("ns").asi8
    hours = np.diff(t) / NS_PER_HOUR
    litres = np.diff(register.to_numpy())
    flow = np.where(hours <= max_gap_h, litres / np.maximum(hours, 1e-9), np.nan)
    flows = pd.DataFrame(
        {"hours": hours, "litres": litres, "flow": flow, "start": register.index[:-1]},
        index=register.index[1:],
        copy=False,  # new arrays and an immutable index: nothing to copy
    )
    flows.columns = _FLOW_COLUMNS
    return flows


def span_flow_values(
    t: np.ndarray, values: np.ndarray, span_h: float, max_gap_h: float, short_h: float = 0.0
) -> np.ndarray:
    """Mean flow over the shortest read-to-read span of ``span_h - short_h``
    hours or more ending at each read [L/h], of a register ``values`` [L] read
    at ``t`` [epoch ns].

    Spans slide with the reads instead of sitting on fixed blocks, so a quiet
    stretch of ``span_h`` hours shows wherever it falls. The register is never
    interpolated (a step spread over a span boundary would look like flow). A
    span longer than ``span_h + max_gap_h`` (reads missing) is unknown (NaN).
    ``short_h`` lets a span fall a few seconds short: hourly reads drift, and
    reads that come 2 s early would otherwise make every span one read longer.
    """
    reach = int(round((span_h - short_h) * NS_PER_HOUR))
    lo = np.searchsorted(t, t - reach, side="right") - 1
    known = lo >= 0
    lo = np.maximum(lo, 0)
    hours = (t - t[lo]) / NS_PER_HOUR
    known &= (hours > 0) & (hours <= span_h + max_gap_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(known, (values - values[lo]) / hours, np.nan)


def block_volumes(register: pd.Series, block_h: float, max_gap_h: float) -> pd.Series:
    """Volume per regular block of ``block_h`` hours [L], indexed by block end.

    The register is interpolated linearly at block edges; a block that touches
    an interval longer than ``max_gap_h`` is unknown (NaN), because a silence
    would otherwise look like a steady flow.
    """
    freq = pd.Timedelta(hours=block_h)
    start, stop = register.index[0].ceil(freq), register.index[-1].floor(freq)
    if stop <= start:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    grid = pd.date_range(start, stop, freq=freq)
    t, values = register.index.as_unit("ns").asi8, register.to_numpy()
    cum = np.interp(grid.as_unit("ns").asi8, t, values)
    long_gap = np.diff(t) / NS_PER_HOUR > max_gap_h
    long_count = np.concatenate([[0], np.cumsum(long_gap)])
    lo = np.clip(np.searchsorted(t, grid.as_unit("ns").asi8[:-1], side="right") - 1, 0, len(t) - 1)
    hi = np.clip(np.searchsorted(t, grid.as_unit("ns").asi8[1:], side="left"), 0, len(t) - 1)
    unknown = (long_count[hi] - long_count[lo]) > 0
    return pd.Series(np.where(unknown, np.nan, np.diff(cum)), index=grid[1:])


def daily_volumes(register: pd.Series, timezone: str, max_gap_h: float) -> pd.Series:
    """Volume per local calendar day [L], NaN on days inside a silence."""
    index = register.index
    first = index[0].tz_convert(timezone).normalize()
    last = index[-1].tz_convert(timezone).normalize()
    # local midnights, as pd.date_range(first, last, freq="D") makes them but faster
    start, stop = first.tz_localize(None).value, last.tz_localize(None).value
    if stop - start < NS_PER_DAY:
        return pd.Series(dtype=float)
    wall = start + NS_PER_DAY * np.arange((stop - start) // NS_PER_DAY + 1)
    edges = pd.DatetimeIndex(wall.view("datetime64[ns]")).tz_localize(first.tz).tz_convert("UTC")
    e = edges.as_unit("ns").asi8
    t, values = index.as_unit("ns").asi8, register.to_numpy()
    cum = np.interp(e, t, values)
    long_gap = np.diff(t) / NS_PER_HOUR > max_gap_h
    long_count = np.concatenate([[0], np.cumsum(long_gap)])
    # np.maximum and np.minimum: np.clip costs more than the rest of the line
    lo = np.maximum(np.searchsorted(t, e[:-1], side="right") - 1, 0)
    hi = np.minimum(np.searchsorted(t, e[1:], side="left"), len(t) - 1)
    unknown = (long_count[hi] - long_count[lo]) > 0
    # the first day starts before the first read: its volume is not known in full
    unknown[0] = unknown[0] or t[0] > e[0]
    return pd.Series(np.where(unknown, np.nan, np.diff(cum)), index=edges[:-1])


def runs(mask: pd.Series, max_gap: pd.Timedelta) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of True in a time-indexed boolean series as (first, last) times.

    Runs separated by less than ``max_gap`` of False are merged.
    """
    index = pd.DatetimeIndex(mask.index)
    bounds = run_bounds(index.as_unit("ns").asi8, mask.to_numpy(dtype=bool), max_gap.value)
    return [(index[first], index[last]) for first, last in bounds]


def run_bounds(t: np.ndarray, mask: np.ndarray, max_gap_ns: int) -> list[tuple[int, int]]:
    """``runs`` on arrays: (first, last) positions of the runs of True in
    ``mask`` at times ``t`` [epoch ns], merged across less than ``max_gap_ns``."""
    at = np.flatnonzero(mask)
    if at.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(t[at]) > max_gap_ns)
    firsts = np.concatenate([at[:1], at[breaks + 1]])
    lasts = np.concatenate([at[breaks], at[-1:]])
    return list(zip(firsts.tolist(), lasts.tolist(), strict=True))


def window_starts(t: np.ndarray, width_ns: int) -> np.ndarray:
    """Position of the first time inside the window ``(t - width, t]`` ending at each time."""
    return np.searchsorted(t, t - width_ns, side="right")


def rolling_min(values: np.ndarray, starts: np.ndarray, min_count: int = 1) -> np.ndarray:
    """Minimum of the values from ``starts[i]`` to ``i``, NaN skipped; NaN where
    fewer than ``min_count`` values are known (pandas' rolling min, on arrays).

    A sparse table: row k holds the minimum over the 2**k values from each
    position, and every window is the union of two overlapping rows' spans.
    """
    n = values.size
    ends = np.arange(n)
    lengths = ends - starts + 1
    levels = np.floor(np.log2(np.maximum(lengths, 1))).astype(int)
    table = np.full((int(levels.max(initial=0)) + 1, n), np.nan)
    table[0] = values
    for k in range(1, table.shape[0]):
        half = 1 << (k - 1)
        table[k, : n - half] = np.fmin(table[k - 1, : n - half], table[k - 1, half:])
    low = np.fmin(table[levels, starts], table[levels, ends - (1 << levels) + 1])
    known = np.concatenate([[0], np.cumsum(~np.isnan(values))])
    return np.where(known[ends + 1] - known[starts] >= min_count, low, np.nan)


def rolling_sum(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum of the (finite) values from ``starts[i]`` to ``i``."""
    total = np.concatenate([[0.0], np.cumsum(values)])
    return total[np.arange(1, values.size + 1)] - total[starts]


def rolling_quantile(
    t: np.ndarray, values: np.ndarray, width_ns: int, q: float, min_count: int = 1
) -> np.ndarray:
    """Quantile ``q`` of the values in the window ``(t - width, t]``, NaN skipped,
    NaN where fewer than ``min_count`` are known."""
    series = pd.Series(values, index=pd.DatetimeIndex(t))
    return series.rolling(pd.Timedelta(width_ns), min_periods=min_count).quantile(q).to_numpy()
