"""The read side of consumption: a meter's curve at every resolution, and its index
at any instant, as the command line, the portal bridge and analysts read them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg

from core import Meter, MeterKind, Method, Quality, Resolution
from core.columns import (
    ENERGY_KWH,
    ESTIMATED_SHARE,
    METHOD,
    QUALITY,
    START,
    TS,
    VOLUME,
)
from store.consumption import fetch_hourly, fetch_rollups

HOUR_NS = 3_600_000_000_000
CURVE_COLUMNS = [START, VOLUME, ENERGY_KWH, QUALITY, ESTIMATED_SHARE, METHOD]


def fetch_curve(
    conn: psycopg.Connection,
    meter: Meter,
    resolution: str,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """A meter's stored curve (PRODUCT.md output contract), ``start`` in its local time.

    Columns: start, volume [meter unit], energy_kwh [kWh] (gas only, from the
    volume and ``Meter.kwh_per_unit``), quality, estimated_share [0-1], method.
    Periods starting in ``[start, end)``.
    """
    resolution = Resolution(resolution)
    if resolution == Resolution.HOUR:
        curve = fetch_hourly(conn, [meter.meter_id], start, end).rename(columns={TS: START})
    else:
        curve = fetch_rollups(conn, meter.meter_id, resolution, start, end)
    curve[START] = curve[START].dt.tz_convert(meter.timezone)
    if meter.kind == MeterKind.GAS:
        curve[ENERGY_KWH] = curve[VOLUME] * meter.kwh_per_unit
    columns = [c for c in CURVE_COLUMNS if c in curve.columns]
    return curve[columns].reset_index(drop=True)


@dataclass(frozen=True)
class IndexAt:
    """A meter's register at an instant.

    index : float  The register [meter unit], as the meter would have shown it.
    quality : Quality  ``actual`` when a read was taken then, else ``estimated``.
    method : Method  How the consumption since the last read was apportioned.
    read_before, read_after : Timestamp | None  The reads around the instant [UTC].
    """

    meter_id: str
    at: pd.Timestamp
    index: float
    unit: str
    quality: Quality
    method: Method
    read_before: pd.Timestamp | None
    read_after: pd.Timestamp | None


def fetch_index_at(conn: psycopg.Connection, meter: Meter, at: pd.Timestamp) -> IndexAt:
    """The meter's index at ``at`` (a move, a change of contract).

    A read at that instant gives it as read; otherwise the last read before it
    plus the stored hourly consumption since (the partial first and last
    hours prorated), wrapped at the register size. Raises ``LookupError``
    before the meter's first read.
    """
    at = pd.Timestamp(at).tz_convert("UTC")
    before, after = _reads_around(conn, meter.meter_id, at)
    if before is None:
        raise LookupError(f"meter {meter.meter_id} has no read at or before {at.isoformat()}")
    read_ts, read_index, read_quality = before
    after_ts = None if after is None else after[0]
    if read_ts == at:
        quality = Quality.ESTIMATED if read_quality == Quality.ESTIMATED else Quality.ACTUAL
        return IndexAt(meter.meter_id, at, read_index, meter.unit, quality, Method.MEASURED,
                       read_ts, after_ts)  # fmt: skip
    hourly = fetch_hourly(conn, [meter.meter_id], read_ts.floor("h"), at)
    hour_starts = pd.DatetimeIndex(hourly[TS]).as_unit("ns").asi8
    inside = np.minimum(hour_starts + HOUR_NS, at.value) - np.maximum(hour_starts, read_ts.value)
    share = np.clip(inside / HOUR_NS, 0.0, 1.0)
    index = read_index + float((hourly[VOLUME].to_numpy() * share).sum())
    if meter.digits is not None:
        index %= 10.0**meter.digits
    method = Method(hourly[METHOD].iloc[-1]) if len(hourly) else Method.LINEAR
    return IndexAt(meter.meter_id, at, index, meter.unit, Quality.ESTIMATED, method,
                   read_ts, after_ts)  # fmt: skip


def _reads_around(
    conn: psycopg.Connection, meter_id: str, at: pd.Timestamp
) -> tuple[tuple[pd.Timestamp, float, str] | None, tuple[pd.Timestamp, float, str] | None]:
    """The last read at or before ``at`` and the first after it: (ts, index, quality)."""
    rows = conn.execute(
        "(SELECT ts, index_value, quality, 0 FROM readings WHERE meter_id = %(m)s AND ts <= %(at)s"
        "  ORDER BY ts DESC LIMIT 1)"
        " UNION ALL (SELECT ts, index_value, quality, 1 FROM readings"
        "  WHERE meter_id = %(m)s AND ts > %(at)s ORDER BY ts LIMIT 1)",
        {"m": meter_id, "at": at},
    ).fetchall()
    found = {
        side: (pd.Timestamp(ts).tz_convert("UTC"), float(v), str(q)) for ts, v, q, side in rows
    }
    return found.get(0), found.get(1)
