"""The estimation job: due meters' reads from the store, through ``estimate``, back to the store.

Meters are processed in chunks, each chunk in one transaction with its
watermarks, so an interrupted run resumes where it stopped and a rerun
changes nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg

from estimate import (
    EstimationSettings,
    MeterInfo,
    Projection,
    ValidationSettings,
    estimate_meter,
    project_year,
    resample_curve,
    with_energy,
)
from releve.config import Settings
from releve.glossary import UNIT_FACTORS
from store.consumption import (
    EVERYTHING,
    HOURLY_COLUMNS,
    ROLLUP_COLUMNS,
    fetch_due_meters,
    fetch_estimation_reads,
    fetch_hourly,
    fetch_rollups,
    upsert_consumption,
    upsert_findings,
    upsert_rollups,
    upsert_watermarks,
)
from store.meters import fetch_meters, fetch_removals

ROLLUPS = ("day", "month", "year")
_NO_FINDINGS = pd.DataFrame(
    {
        "ts": pd.DatetimeIndex([], tz="UTC"),
        "code": pd.Series([], dtype=str),
        "detail": pd.Series([], dtype=str),
        "amount": pd.Series([], dtype=float),
        "meter_id": pd.Series([], dtype=str),
    }
)
_LOCK_KEY = 0x45535449  # one estimation run at a time per store: fresh meters are written blind
CURVE_COLUMNS = ["start", "volume", "energy_kwh", "quality", "estimated_share", "method"]


@dataclass
class EstimateSummary:
    """What one run did."""

    meters: int = 0
    intervals: int = 0
    written: int = 0
    replaced: int = 0
    volume: float = 0.0
    estimated_volume: float = 0.0
    findings: Counter[str] = field(default_factory=Counter)

    @property
    def estimated_share(self) -> float:
        """Part of the computed volume that is estimated [0-1]."""
        return self.estimated_volume / self.volume if self.volume else 0.0


def meter_info(row: pd.Series, default_timezone: str) -> MeterInfo:
    """Estimation's view of a meters-table row; unknown kinds are shaped as water (flat)."""

    def value(name: str) -> object:
        item = row.get(name)
        return None if item is None or pd.isna(item) else item

    def number(name: str) -> float | None:
        item = value(name)
        return None if item is None else float(str(item))

    digits = number("digits")
    return MeterInfo(
        kind=str(value("kind") or "water"),
        unit=str(row["unit"]),
        digits=None if digits is None else int(digits),
        timezone=str(value("timezone") or default_timezone),
        q3_m3h=number("q3_m3h"),
        conversion_kwh_per_m3=number("conversion_kwh_per_m3"),
    )


def run_estimate(
    conn: psycopg.Connection,
    *,
    as_of: pd.Timestamp,
    meter_ids: list[str] | None = None,
    settings: Settings | None = None,
    estimation: EstimationSettings | None = None,
    validation: ValidationSettings | None = None,
    chunk_size: int = 200,
    run_at: pd.Timestamp | None = None,
    connect_reader: Callable[[], psycopg.Connection] | None = None,
) -> EstimateSummary:
    """Estimate every due meter (or ``meter_ids``, from scratch) as of ``as_of``.

    Chunks of meters are pipelined: while one chunk is written on ``conn``,
    the next one is read (on a connection of its own from ``connect_reader``
    when given, else on ``conn`` beforehand) and computed in a worker thread.
    """
    settings = settings or Settings.load()
    estimation = estimation or EstimationSettings()
    run_at = run_at or pd.Timestamp.now(tz="UTC")
    locked = conn.execute("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,)).fetchone()
    if not locked or not locked[0]:
        raise RuntimeError("another `releve estimate` is running on this store; wait for it")
    try:
        reader = connect_reader() if connect_reader else None
        try:
            return _run(conn, reader, as_of, meter_ids, settings, estimation, validation,
                        chunk_size, run_at)  # fmt: skip
        finally:
            if reader is not None:
                reader.close()
    finally:
        conn.rollback()
        conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
        conn.commit()


def _run(
    conn: psycopg.Connection,
    reader: psycopg.Connection | None,
    as_of: pd.Timestamp,
    meter_ids: list[str] | None,
    settings: Settings,
    estimation: EstimationSettings,
    validation: ValidationSettings | None,
    chunk_size: int,
    run_at: pd.Timestamp,
) -> EstimateSummary:
    due = fetch_due_meters(conn, as_of=as_of, meter_ids=meter_ids)
    conn.commit()
    summary = EstimateSummary()
    chunks = [due.iloc[i : i + chunk_size] for i in range(0, len(due), chunk_size)]

    def work(chunk: pd.DataFrame, inputs: tuple[pd.DataFrame, pd.DataFrame] | None) -> ChunkResult:
        if inputs is None:
            assert reader is not None
            inputs = _fetch_inputs(reader, chunk, as_of)
        return compute_chunk(*inputs, chunk, as_of=as_of, settings=settings,
                             estimation=estimation, validation=validation)  # fmt: skip

    def compute(chunk: pd.DataFrame) -> Future[ChunkResult]:
        inputs = None
        if reader is None:
            inputs = _fetch_inputs(conn, chunk, as_of)
            conn.commit()
        return pool.submit(work, chunk, inputs)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = compute(chunks[0]) if chunks else None
        for k in range(len(chunks)):
            assert pending is not None
            result = pending.result()
            pending = compute(chunks[k + 1]) if k + 1 < len(chunks) else None
            with conn.transaction():
                _write_chunk(conn, result, as_of, run_at, summary)
    return summary


@dataclass(frozen=True)
class ChunkResult:
    """The pure results of a chunk of meters, ready to write."""

    hourly: pd.DataFrame  # HOURLY_COLUMNS, only the hours to write
    rollups: pd.DataFrame  # ROLLUP_COLUMNS
    findings: pd.DataFrame  # meter_id, ts, code, detail, amount
    bounds: pd.DataFrame  # meter_id, write_from, fresh
    marks: pd.DataFrame  # meter_id, received_upto, last_read_ts
    intervals: int
    volume: float
    estimated_volume: float


def _fetch_inputs(
    conn: psycopg.Connection, chunk: pd.DataFrame, as_of: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    ids = chunk["meter_id"].tolist()
    meters = fetch_meters(conn, ids)
    meters["removed_at"] = meters["meter_id"].map(fetch_removals(conn, ids))
    return fetch_estimation_reads(conn, ids, end=as_of), meters


def compute_chunk(
    reads: pd.DataFrame,
    meters: pd.DataFrame,
    due: pd.DataFrame,
    *,
    as_of: pd.Timestamp,
    settings: Settings,
    estimation: EstimationSettings,
    validation: ValidationSettings | None,
) -> ChunkResult:
    """Estimate a chunk of meters (no I/O): what to write for each."""
    infos = {row["meter_id"]: meter_info(row, settings.timezone) for _, row in meters.iterrows()}
    # a replaced meter's curve ends when it came off (or at its last read): nothing is
    # estimated for it after
    ends = {
        row["meter_id"]: min(as_of, row["removed_at"]) if pd.notna(row["removed_at"]) else as_of
        for _, row in meters.iterrows()
    }
    states = due.set_index("meter_id").to_dict("index")
    curves, findings, ids, zones, starts, bounds, marks = [], [], [], [], [], [], []
    for meter_id, group in reads.groupby("meter_id", sort=False):
        info = infos[meter_id]
        end = max(ends[meter_id], group["ts"].max())
        result = estimate_meter(group, info, as_of=end, validation=validation,
                                settings=estimation)  # fmt: skip
        state = states[meter_id]
        write_from = _write_from(state, group, estimation)
        curves.append(result.hourly)
        ids.append(meter_id)
        zones.append(info.timezone)
        starts.append(EVERYTHING if write_from is None else write_from)
        if not result.validated.findings.empty:
            findings.append(result.validated.findings.assign(meter_id=meter_id))
        bounds.append((meter_id, write_from, bool(state["fresh"])))
        valid = result.validated.valid
        last_read = valid.index.max() if len(valid) else None
        marks.append((meter_id, group["received_at"].max(), last_read))
    if not curves:
        empty = pd.DataFrame()
        return ChunkResult(empty, empty, empty, empty, empty, 0, 0.0, 0.0)
    lengths = [len(curve) for curve in curves]
    curve = pd.concat(curves)
    curve["meter_id"] = np.repeat(np.asarray(ids, dtype=object), lengths)
    curve["timezone"] = np.repeat(np.asarray(zones, dtype=object), lengths)
    volume = curve["volume"].to_numpy()
    estimated = volume * curve["estimated_share"].to_numpy()
    first_hour = np.repeat(pd.DatetimeIndex(starts).as_unit("ns").asi8, lengths)
    to_write = curve[curve.index.as_unit("ns").asi8 >= first_hour]
    return ChunkResult(
        hourly=to_write.reset_index()[HOURLY_COLUMNS],
        rollups=_rollups(curve),
        findings=pd.concat(findings) if findings else _NO_FINDINGS,
        bounds=pd.DataFrame(bounds, columns=["meter_id", "write_from", "fresh"]),
        marks=pd.DataFrame(marks, columns=["meter_id", "received_upto", "last_read_ts"]),
        intervals=len(curve),
        volume=float(volume.sum()),
        estimated_volume=float(estimated.sum()),
    )


def _write_chunk(
    conn: psycopg.Connection,
    result: ChunkResult,
    as_of: pd.Timestamp,
    run_at: pd.Timestamp,
    summary: EstimateSummary,
) -> None:
    if result.bounds.empty:
        return
    counts = upsert_consumption(conn, result.hourly, result.bounds, run_at=run_at)
    fresh = result.bounds.loc[result.bounds["fresh"], "meter_id"].tolist()
    upsert_rollups(conn, result.rollups, fresh=fresh, run_at=run_at)
    upsert_findings(conn, result.findings, run_at=run_at)
    upsert_watermarks(conn, result.marks, as_of=as_of, run_at=run_at)
    summary.meters += len(result.bounds)
    summary.intervals += result.intervals
    summary.written += counts.written
    summary.replaced += counts.replaced
    summary.volume += result.volume
    summary.estimated_volume += result.estimated_volume
    summary.findings.update(result.findings["code"])


def _write_from(
    state: dict, reads: pd.DataFrame, estimation: EstimationSettings
) -> pd.Timestamp | None:
    """First hour a new run may change: None rewrites the meter whole.

    A new read reshapes the gap it closes (from the read before it) and the
    profiles of gaps up to the profile lookback away, so the run rewrites
    from there; a meter due only for its open tail rewrites from its last read.
    """
    if bool(state["fresh"]) or bool(state["whole"]) or pd.isna(state["previous_upto"]):
        return None
    ts = reads["ts"]
    new = ts[reads["received_at"] > state["previous_upto"]]
    if new.empty:
        return ts.max().floor("h")
    first_new = new.min()
    before = ts[ts < first_new]
    anchor = before.max() if not before.empty else first_new
    margin = pd.Timedelta(days=estimation.profile_lookback_days + 1)
    return (anchor - margin).floor("h")


def _rollups(curves: pd.DataFrame) -> pd.DataFrame:
    """Day, month and year rollups of many meters' hourly curves, per timezone at once."""
    frames = []
    for timezone, group in curves.groupby("timezone", sort=False):
        for resolution in ROLLUPS:
            frame = resample_curve(group, resolution, str(timezone), by="meter_id")
            frame = frame.reset_index().assign(resolution=resolution)
            if "energy_kwh" not in frame:
                frame["energy_kwh"] = np.nan
            frames.append(frame[ROLLUP_COLUMNS])
    return pd.concat(frames)


def fetch_curve(
    conn: psycopg.Connection,
    meter_id: str,
    resolution: str,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """A meter's stored curve, ``start`` in its local time (PRODUCT.md output contract).

    Columns: start, volume, energy_kwh (gas only), quality, estimated_share, method.
    """
    settings = settings or Settings.load()
    meters = fetch_meters(conn, [meter_id])
    if meters.empty:
        raise LookupError(f"meter {meter_id} is unknown; load its readings or meters CSV first")
    info = meter_info(meters.iloc[0], settings.timezone)
    if resolution == "hour":
        curve = fetch_hourly(conn, [meter_id], start, end).rename(columns={"ts": "start"})
        curve = with_energy(curve, info)
    else:
        curve = fetch_rollups(conn, meter_id, resolution, start, end)
    curve["start"] = curve["start"].dt.tz_convert(info.timezone)
    columns = [c for c in CURVE_COLUMNS if c != "energy_kwh" or info.kind == "gas"]
    if "energy_kwh" in columns and "energy_kwh" not in curve:
        curve["energy_kwh"] = np.nan
    return curve[columns].reset_index(drop=True)


def project_meters(
    conn: psycopg.Connection,
    meter_ids: list[str],
    *,
    as_of: pd.Timestamp,
    year_start: pd.Timestamp,
    settings: Settings | None = None,
) -> dict[str, Projection]:
    """Contract-year projection of each meter from its stored hourly curve."""
    settings = settings or Settings.load()
    meters = fetch_meters(conn, meter_ids).set_index("meter_id")
    hourly = fetch_hourly(conn, meter_ids, year_start - pd.DateOffset(years=1), as_of)
    projections = {}
    for meter_id, curve in hourly.groupby("meter_id"):
        info = meter_info(meters.loc[meter_id], settings.timezone)
        projections[str(meter_id)] = project_year(
            curve.set_index("ts"),
            as_of=as_of,
            year_start=year_start,
            price_per_unit=price_per_unit(info, settings),
            kind=info.kind,
        )
    return projections


def price_per_unit(info: MeterInfo, settings: Settings) -> float:
    """Tariff in EUR per unit of the meter's register."""
    if info.kind == "gas":
        kwh_per_unit = UNIT_FACTORS["gas"][info.unit]
        if info.unit in ("m3", "L"):
            kwh_per_unit *= info.conversion_kwh_per_m3 or 11.0
        return settings.gas_price_eur_per_kwh * kwh_per_unit
    factors = UNIT_FACTORS.get(info.kind, UNIT_FACTORS["water"])
    return settings.water_price_eur_per_m3 * factors.get(info.unit, 1.0)
