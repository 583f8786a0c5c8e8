"""Flows from validated reads: the common ground every detector stands on.

Detectors never use estimated volume as evidence: they work from the real
read-to-read intervals, where the consumed volume is known exactly and only its
spread inside the interval is unknown.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from detect.episode import Meter

NS_PER_HOUR = 3_600_000_000_000


def litres_per_unit(meter: Meter) -> float:
    """Litres of water or gas in one unit of the meter's index [L/unit]."""
    factors = {"m3": 1000.0, "L": 1.0}
    if meter.unit in factors:
        return factors[meter.unit]
    per_kwh = 1000.0 / meter.conversion_kwh_per_m3
    return per_kwh if meter.unit == "kWh" else per_kwh / 1000.0


def register_litres(reads: pd.DataFrame, meter: Meter, as_of: pd.Timestamp) -> pd.Series:
    """Cumulative register of the valid reads up to ``as_of`` [L], indexed by ts.

    ``reads`` is the ``.reads`` frame of ``estimate.validate_reads`` (columns
    ``register`` and ``excluded``) or a plain frame with an ``index`` column.
    """
    frame = reads if "ts" not in reads.columns else reads.set_index("ts")
    column = "register" if "register" in frame.columns else "index"
    index = pd.DatetimeIndex(frame.index)
    values = frame[column].to_numpy(dtype=float) * litres_per_unit(meter)
    keep = (index.as_unit("ns").asi8 <= pd.Timestamp(as_of).as_unit("ns").value) & ~np.isnan(values)
    if "excluded" in frame.columns:
        keep &= ~frame["excluded"].to_numpy(dtype=bool)
    series = pd.Series(values[keep], index=index[keep])
    if not (series.index.is_monotonic_increasing and series.index.is_unique):
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
    return pd.DataFrame(
        {"hours": hours, "litres": litres, "flow": flow, "start": register.index[:-1]},
        index=register.index[1:],
    )


def span_flows(register: pd.Series, span_h: float, max_gap_h: float) -> pd.Series:
    """Mean flow over the shortest read-to-read span of ``span_h`` hours or more
    ending at each read [L/h], indexed by that read.

    Spans slide with the reads instead of sitting on fixed blocks, so a quiet
    stretch of ``span_h`` hours shows wherever it falls. The register is never
    interpolated (a step spread over a span boundary would look like flow). A
    span longer than ``span_h + max_gap_h`` (reads missing) is unknown (NaN).
    """
    t = register.index.as_unit("ns").asi8
    values = register.to_numpy(dtype=float)
    lo = np.searchsorted(t, t - int(round(span_h * NS_PER_HOUR)), side="right") - 1
    known = lo >= 0
    lo = np.clip(lo, 0, None)
    hours = (t - t[lo]) / NS_PER_HOUR
    known &= (hours > 0) & (hours <= span_h + max_gap_h)
    with np.errstate(divide="ignore", invalid="ignore"):
        flow = np.where(known, (values - values[lo]) / hours, np.nan)
    return pd.Series(flow, index=register.index)


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
    local = register.tz_convert(timezone)
    first, last = local.index[0].normalize(), local.index[-1].normalize()
    days = pd.date_range(first, last, freq="D")
    if days.size < 2:
        return pd.Series(dtype=float)
    edges = days.tz_convert("UTC")
    t, values = register.index.as_unit("ns").asi8, register.to_numpy()
    cum = np.interp(edges.as_unit("ns").asi8, t, values)
    long_gap = np.diff(t) / NS_PER_HOUR > max_gap_h
    long_count = np.concatenate([[0], np.cumsum(long_gap)])
    lo = np.clip(np.searchsorted(t, edges.as_unit("ns").asi8[:-1], side="right") - 1, 0, len(t) - 1)
    hi = np.clip(np.searchsorted(t, edges.as_unit("ns").asi8[1:], side="left"), 0, len(t) - 1)
    unknown = (long_count[hi] - long_count[lo]) > 0
    # the first day starts before the first read: its volume is not known in full
    unknown[0] = unknown[0] or register.index[0] > edges[0]
    return pd.Series(np.where(unknown, np.nan, np.diff(cum)), index=edges[:-1])


def runs(mask: pd.Series, max_gap: pd.Timedelta) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of True in a time-indexed boolean series as (first, last) times.

    Runs separated by less than ``max_gap`` of False are merged.
    """
    times = mask.index[mask.to_numpy(dtype=bool)]
    if times.empty:
        return []
    out: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    first = prev = times[0]
    for t in times[1:]:
        if t - prev > max_gap:
            out.append((first, prev))
            first = t
        prev = t
    out.append((first, prev))
    return out
