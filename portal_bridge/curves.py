"""Curves as a token may read them: stored rollups inside its contract periods, and the
periods cut by a contract boundary summed again from their hours (flagged ``partial``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import psycopg
from pydantic import TypeAdapter

from core import Meter, Method, Quality, Resolution
from core.columns import ENERGY_KWH, ESTIMATED_SHARE, METHOD, QUALITY, START, TS, VOLUME
from core.contracts import Period, clip_periods
from estimate import add_energy, resample_curve
from portal_bridge.models import ComparePoint, CurvePoint
from portal_bridge.windows import YEAR, Window, period_ceil, period_floor, shift
from store.bridge import fetch_curve_json
from store.consumption import fetch_hourly
from store.curves import CURVE_COLUMNS, fetch_curve

PARTIAL = "partial"
POINTS = TypeAdapter(list[CurvePoint])


def fetch_meter_curve(
    conn: psycopg.Connection, meter: Meter, periods: list[Period], window: Window
) -> pd.DataFrame:
    """The meter's curve over the window inside ``periods``: ``CURVE_COLUMNS`` and
    ``partial``, ``start`` local, in time order."""
    frames = [
        _cut(conn, meter, window.resolution, lo, hi) if cut else _whole(conn, meter, window.resolution, lo, hi)
        for cut, lo, hi in spans(meter, window, periods)
    ]  # fmt: skip
    if not frames:
        return pd.DataFrame(columns=[*CURVE_COLUMNS, PARTIAL])
    return pd.concat(frames, ignore_index=True)


def fetch_meter_curve_json(
    conn: psycopg.Connection, meter: Meter, periods: list[Period], window: Window
) -> str:
    """The same curve as a JSON array of points: whole periods written by the store, the
    few cut by a contract boundary summed here."""
    parts = []
    for cut, lo, hi in spans(meter, window, periods):
        if cut:
            points = curve_points(_cut(conn, meter, window.resolution, lo, hi), meter.unit)
            parts.append(POINTS.dump_json(points).decode())
        else:
            parts.append(fetch_curve_json(conn, meter, window.resolution, lo, hi))
    return "[" + ",".join(part[1:-1] for part in parts if part != "[]") + "]"


def spans(
    meter: Meter, window: Window, periods: list[Period]
) -> list[tuple[bool, pd.Timestamp, pd.Timestamp]]:
    """The window inside ``periods`` as ``(cut, start, end)`` spans in time order: whole
    periods read as stored, and the ends of a period cut by a contract boundary."""
    out = []
    for part in clip_periods(periods, window.start, window.end):
        assert part.start is not None and part.end is not None
        if window.resolution == Resolution.HOUR:
            out.append((False, part.start, part.end))
            continue
        inner_lo = period_ceil(part.start, window.resolution, meter.timezone)
        inner_hi = period_floor(part.end, window.resolution, meter.timezone)
        if inner_lo >= inner_hi:  # the part lies inside one period
            out.append((True, part.start, part.end))
            continue
        if part.start < inner_lo:
            out.append((True, part.start, inner_lo))
        out.append((False, inner_lo, inner_hi))
        if inner_hi < part.end:
            out.append((True, inner_hi, part.end))
    return out


def _whole(
    conn: psycopg.Connection, meter: Meter, resolution: Resolution, lo: pd.Timestamp,
    hi: pd.Timestamp,
) -> pd.DataFrame:  # fmt: skip
    curve = fetch_curve(conn, meter, resolution, start=lo, end=hi)
    return curve.assign(**{PARTIAL: False})


def _cut(
    conn: psycopg.Connection, meter: Meter, resolution: Resolution, lo: pd.Timestamp,
    hi: pd.Timestamp,
) -> pd.DataFrame:  # fmt: skip
    """The hours of ``[lo, hi)`` summed into their (partial) local period."""
    hourly = fetch_hourly(conn, [meter.meter_id], lo, hi).set_index(TS)
    resampled = resample_curve(hourly, resolution, meter.timezone).reset_index()
    curve = add_energy(resampled, meter)
    return curve[[c for c in CURVE_COLUMNS if c in curve]].assign(**{PARTIAL: True})


def curve_points(curve: pd.DataFrame, unit: str) -> list[CurvePoint]:
    """The points of a curve frame."""
    energy = curve[ENERGY_KWH] if ENERGY_KWH in curve else pd.Series(np.nan, index=curve.index)
    return [
        CurvePoint.model_construct(
            start=start.to_pydatetime(),
            volume=float(volume),
            unit=unit,
            energy_kwh=None if np.isnan(kwh) else float(kwh),
            quality=quality,
            estimated_share=float(share),
            method=method,
            partial=bool(partial),
        )  # fmt: skip
        for start, volume, kwh, quality, share, method, partial in zip(
            curve[START],
            curve[VOLUME],
            energy,
            curve[QUALITY],
            curve[ESTIMATED_SHARE],
            curve[METHOD],
            curve[PARTIAL],
            strict=True,
        )  # fmt: skip
    ]


def compare_points(curve: pd.DataFrame, unit: str, timezone: str) -> list[ComparePoint]:
    """Points a year earlier, each with the start it is aligned with a year later."""
    return [
        ComparePoint.model_construct(
            **point.__dict__,
            aligned_start=shift(pd.Timestamp(point.start), YEAR, timezone)
            .tz_convert(timezone)
            .to_pydatetime(),
        )
        for point in curve_points(curve, unit)
    ]


def sum_curves(curves: list[pd.DataFrame], factors: list[float], timezone: str) -> pd.DataFrame:
    """Several meters' curves summed by period start, each volume times its factor (to
    m3): shares weighted by volume, the method carrying most estimated volume."""
    rows = [
        curve.assign(
            **{VOLUME: curve[VOLUME] * factor, START: curve[START].dt.tz_convert(timezone)}
        )
        for curve, factor in zip(curves, factors, strict=True)
        if len(curve)
    ]
    if not rows:
        return pd.DataFrame(columns=[*CURVE_COLUMNS, PARTIAL])
    frame = pd.concat(rows, ignore_index=True).astype({VOLUME: float, ESTIMATED_SHARE: float})
    frame["estimated_volume"] = frame[VOLUME] * frame[ESTIMATED_SHARE]
    if ENERGY_KWH not in frame:
        frame[ENERGY_KWH] = np.nan
    grouped = frame.groupby(START, sort=True)
    out = grouped.agg(
        volume=(VOLUME, "sum"), energy_kwh=(ENERGY_KWH, lambda s: s.sum(min_count=1)),
        estimated_volume=("estimated_volume", "sum"), partial=(PARTIAL, "any"),
        share_mean=(ESTIMATED_SHARE, "mean"),
    ).reset_index()  # fmt: skip
    total = out[VOLUME].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(np.abs(total) > 1e-12, out["estimated_volume"].to_numpy(float) / total,
                         out["share_mean"].to_numpy(float))  # fmt: skip
    out[ESTIMATED_SHARE] = np.clip(np.round(share, 9), 0.0, 1.0)
    out[QUALITY] = np.where(out[ESTIMATED_SHARE] > 0, Quality.ESTIMATED, Quality.ACTUAL)
    dominant = frame.loc[frame.groupby(START)["estimated_volume"].idxmax(), [START, METHOD]]
    out = out.merge(dominant, on=START, how="left")
    out[METHOD] = np.where(out[ESTIMATED_SHARE] > 0, out[METHOD], Method.MEASURED)
    return out[[*CURVE_COLUMNS, PARTIAL]]
