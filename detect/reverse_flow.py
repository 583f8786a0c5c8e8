"""Reverse flow: genuine index decreases beyond the register's resolution, or
the meter's own REVERSE alarm."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import AnomalyType, Episode, FindingCode, Meter, Severity
from core.columns import AMOUNT, CODE, DETAIL, TS
from detect.features import MeterSeries, meter_series
from detect.flows import runs


class ReverseFlowSettings(BaseModel):
    """Thresholds of the reverse-flow detector."""

    model_config = ConfigDict(frozen=True)

    min_decrease_l: float = Field(
        default=5.0, description="Smallest decrease reported [L] (smaller ones are meter jitter)"
    )
    resolution_factor: float = Field(
        default=1.5, description="Decrease must exceed this x resolution"
    )
    group_gap_h: float = Field(
        default=24.0, description="Decreases closer than this are one episode [h]"
    )
    alarm_code: str = Field(default="REVERSE", description="Meter event code of reverse flow")


def detect_reverse_flow(
    reads: pd.DataFrame,
    *,
    meter: Meter,
    as_of: pd.Timestamp,
    findings: pd.DataFrame | None = None,
    events: pd.DataFrame | None = None,
    settings: ReverseFlowSettings | None = None,
    series: MeterSeries | None = None,
) -> list[Episode]:
    """Episodes of reverse flow.

    findings : DataFrame  ``estimate.validate_reads`` findings (ts, code, detail,
        amount); code ``decrease`` carries the amount [meter unit].
    events : DataFrame  Meter events (ts, code, raw).

    References
    ----------
    .. [1] wmbusmeters, meter status fields (``status``, ``current_status``):
       REVERSE, the meter's own report of water flowing backwards.
    """
    s = settings or ReverseFlowSettings()
    prepared = meter_series(reads, meter, as_of, series)
    litres = _decreases(prepared, meter, as_of, findings, s)
    alarms = _alarm_times(events, as_of, s)
    if litres.empty and alarms.empty:
        return []
    points = pd.concat([litres, pd.Series(0.0, index=alarms)]).sort_index()
    points = points.groupby(level=0).sum()
    if points.empty:
        return []
    mask = pd.Series(True, index=points.index)
    episodes = []
    for first, last in runs(mask, pd.Timedelta(hours=s.group_gap_h)):
        part = points.loc[first:last]
        by_alarm = bool(alarms.isin(part.index).any())
        episodes.append(_episode(first, last, float(part.sum()), by_alarm, meter))
    return episodes


def _decreases(
    prepared: MeterSeries,
    meter: Meter,
    as_of: pd.Timestamp,
    findings: pd.DataFrame | None,
    s: ReverseFlowSettings,
) -> pd.Series:
    """Decreases by time [L, positive]: each decline of the register below its
    running peak, at the peak read (with its depth) and at its deepest read."""
    register = prepared.register
    tolerance = max(s.min_decrease_l, s.resolution_factor * prepared.resolution_l)
    found, windows = _declines(register, tolerance)
    decrease = findings is not None and bool((findings[CODE] == FindingCode.DECREASE).any())
    if findings is not None and decrease:
        f = findings[
            (findings[CODE] == FindingCode.DECREASE) & (pd.to_datetime(findings[TS]) <= as_of)
        ]
        if AMOUNT in f.columns:
            amounts = pd.to_numeric(f[AMOUNT]).abs()
        else:
            amounts = pd.to_numeric(f[DETAIL].astype(str).str.extract(r"([0-9.]+)")[0])
        more = pd.Series(amounts.to_numpy() * meter.litres_per_unit, index=pd.DatetimeIndex(f[TS]))
        inside = np.zeros(more.size, dtype=bool)
        for first, last in windows:
            inside |= (more.index >= first) & (more.index <= last)
        more = more[(more > tolerance) & ~inside]
        found = pd.concat([found, more])
    return found


def _declines(
    register: pd.Series, tolerance: float
) -> tuple[pd.Series, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    """Declines deeper than ``tolerance`` [L]: a reversal over several reads,
    or masked in part by use, shows in the depth below the running peak, where
    read-to-read drops each stay small."""
    values = register.to_numpy()
    depth = np.maximum.accumulate(values) - values
    below = np.concatenate([[0], (depth > 1e-9).astype(np.int8), [0]])
    edges = np.diff(below)
    times, litres, windows = [], [], []
    for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        deepest = a + int(np.argmax(depth[a:b]))
        if depth[deepest] <= tolerance:
            continue
        peak, low = register.index[max(a - 1, 0)], register.index[deepest]
        times += [peak, low]
        litres += [float(depth[deepest]), 0.0]
        windows.append((peak, low))
    index = pd.DatetimeIndex(times) if times else pd.DatetimeIndex([], tz="UTC")
    return pd.Series(litres, index=index, dtype=float), windows


def _alarm_times(
    events: pd.DataFrame | None, as_of: pd.Timestamp, s: ReverseFlowSettings
) -> pd.DatetimeIndex:
    if events is None or events.empty:
        return pd.DatetimeIndex([], tz="UTC")
    ts = pd.DatetimeIndex(pd.to_datetime(events[TS], utc=True))
    codes = events[CODE].astype(str).str.upper().to_numpy()
    return ts[(codes == s.alarm_code) & (ts <= as_of)]


def _episode(
    first: pd.Timestamp, last: pd.Timestamp, litres: float, by_alarm: bool, meter: Meter
) -> Episode:
    return Episode(
        meter_id=meter.meter_id,
        type=AnomalyType.REVERSE_FLOW,
        severity=Severity.WARNING,
        start=first,
        end=last,
        confirmed_at=last,
        evidence={"decrease_l": round(litres, 1), "meter_alarm": by_alarm},
    )
