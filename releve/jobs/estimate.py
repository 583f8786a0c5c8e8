"""The estimation job: due meters' reads from the store, through ``estimate``, back to the store.

It runs on the partition runner (``releve.jobs.runner``): chunks of meters,
each chunk written in one transaction with its watermarks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from core import Meter, Partition, Resolution
from core.columns import (
    AMOUNT,
    CODE,
    DETAIL,
    METER_ID,
    RECEIVED_AT,
    TS,
    VOLUME,
)
from core.partition import ALL_METERS
from estimate import estimate_meter, resample_curve
from estimate.consumption import GAP_SHARE
from releve.config import Settings
from releve.jobs.runner import RunReport, run_on
from store.consumption import (
    EVERYTHING,
    HOURLY_COLUMNS,
    ROLLUP_COLUMNS,
    fetch_due_meters,
    fetch_estimation_reads,
    upsert_consumption,
    upsert_findings,
    upsert_rollups,
    upsert_watermarks,
)
from store.meters import fetch_meter_models, fetch_removals

ROLLUPS = (Resolution.DAY, Resolution.MONTH, Resolution.YEAR)
_NO_FINDINGS = pd.DataFrame(
    {
        TS: pd.DatetimeIndex([], tz="UTC"),
        CODE: pd.Series([], dtype=str),
        DETAIL: pd.Series([], dtype=str),
        AMOUNT: pd.Series([], dtype=float),
        METER_ID: pd.Series([], dtype=str),
    }
)


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
        """Part of the computed volume estimated over gaps and after the last reads [0-1]
        (not counting the split of read-to-read deltas across hour edges)."""
        return self.estimated_volume / self.volume if self.volume else 0.0

    def add(self, other: EstimateSummary) -> None:
        """Add up another chunk's or partition's summary."""
        for name in ("meters", "intervals", "written", "replaced", "volume", "estimated_volume"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.findings.update(other.findings)


@dataclass(frozen=True)
class MeterInput:
    """One meter's estimation input: its reads (``ts, index, quality, received_at``),
    its run state (``previous_upto``, ``fresh``, ``whole``) and when it came off."""

    meter: Meter
    reads: pd.DataFrame
    state: dict[str, Any]
    removed_at: pd.Timestamp | None


@dataclass(frozen=True)
class MeterResult:
    """One meter's pure results, ready to write."""

    curve: pd.DataFrame  # the whole hourly curve: rollups are recomputed from it
    timezone: str  # the meter's, of its rollups
    write_from: pd.Timestamp | None  # None: the meter is rewritten whole
    fresh: bool
    findings: pd.DataFrame
    received_upto: pd.Timestamp
    last_read: pd.Timestamp | None


class EstimateJob:
    """Validation, hourly consumption with gaps filled, and calendar rollups."""

    name = "estimate"
    chunk_size = 200

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def new_summary(self) -> EstimateSummary:
        return EstimateSummary()

    def fetch_due(
        self, conn: psycopg.Connection, as_of: pd.Timestamp, partition: Partition,
        meter_ids: list[str] | None,
    ) -> pd.DataFrame:  # fmt: skip
        return fetch_due_meters(conn, as_of=as_of, meter_ids=meter_ids, partition=partition)

    def fetch_inputs(
        self, conn: psycopg.Connection, due: pd.DataFrame, as_of: pd.Timestamp
    ) -> Iterator[tuple[str, MeterInput]]:
        ids = due[METER_ID].tolist()
        meters = fetch_meter_models(conn, ids, self.settings.meter_defaults)
        removals = fetch_removals(conn, ids)
        reads = fetch_estimation_reads(conn, ids, end=as_of)
        states = due.set_index(METER_ID).to_dict("index")
        for meter_id, group in reads.groupby(METER_ID, sort=False):
            key = str(meter_id)
            yield key, MeterInput(meters[key], group, states[key], removals.get(key))

    def compute(self, item: MeterInput, as_of: pd.Timestamp) -> MeterResult:
        reads = item.reads
        # a replaced meter's curve ends when it came off (or at its last read)
        end = as_of if item.removed_at is None else min(as_of, item.removed_at)
        result = estimate_meter(
            reads,
            item.meter,
            as_of=max(end, reads[TS].max()),
            validation=self.settings.validation,
            settings=self.settings.estimation,
        )
        valid = result.validated.valid
        findings = result.validated.findings
        return MeterResult(
            curve=result.hourly,
            timezone=item.meter.timezone,
            write_from=_write_from(
                item.state, reads, self.settings.estimation.profile_lookback_days
            ),
            fresh=bool(item.state["fresh"]),
            findings=findings.assign(**{METER_ID: item.meter.meter_id})
            if len(findings)
            else findings,
            received_upto=reads[RECEIVED_AT].max(),
            last_read=valid.index.max() if len(valid) else None,
        )

    def write(
        self, conn: psycopg.Connection, due: pd.DataFrame, results: dict[str, MeterResult],
        as_of: pd.Timestamp, run_at: pd.Timestamp, summary: EstimateSummary,
    ) -> None:  # fmt: skip
        if not results:
            return
        chunk = assemble_chunk(results)
        counts = upsert_consumption(conn, chunk.hourly, chunk.bounds, run_at=run_at)
        fresh = chunk.bounds.loc[chunk.bounds["fresh"], METER_ID].tolist()
        upsert_rollups(conn, chunk.rollups, fresh=fresh, run_at=run_at)
        upsert_findings(conn, chunk.findings, run_at=run_at)
        upsert_watermarks(conn, chunk.marks, as_of=as_of, run_at=run_at)
        summary.add(
            EstimateSummary(
                meters=len(chunk.bounds),
                intervals=chunk.intervals,
                written=counts.written,
                replaced=counts.replaced,
                volume=chunk.volume,
                estimated_volume=chunk.estimated_volume,
                findings=Counter(chunk.findings[CODE]),
            )
        )


@dataclass(frozen=True)
class ChunkResult:
    """The pure results of a chunk of meters, as the store's writes take them."""

    hourly: pd.DataFrame  # HOURLY_COLUMNS, only the hours to write
    rollups: pd.DataFrame  # ROLLUP_COLUMNS
    findings: pd.DataFrame  # meter_id, ts, code, detail, amount
    bounds: pd.DataFrame  # meter_id, write_from, fresh
    marks: pd.DataFrame  # meter_id, received_upto, last_read_ts
    intervals: int
    volume: float
    estimated_volume: float


def assemble_chunk(results: dict[str, MeterResult]) -> ChunkResult:
    """Many meters' results as one frame per table (no I/O): curves concatenated
    once, rollups computed for all meters of a timezone at once."""
    ids = list(results)
    curves = [results[m].curve for m in ids]
    lengths = [len(curve) for curve in curves]
    curve = pd.concat(curves)
    curve[METER_ID] = np.repeat(np.asarray(ids, dtype=object), lengths)
    curve["timezone"] = np.repeat(
        np.asarray([results[m].timezone for m in ids], dtype=object), lengths
    )
    starts = [EVERYTHING if results[m].write_from is None else results[m].write_from for m in ids]
    first_hour = np.repeat(pd.DatetimeIndex(starts).as_unit("ns").asi8, lengths)
    to_write = curve[curve.index.as_unit("ns").asi8 >= first_hour]
    findings = [results[m].findings for m in ids if len(results[m].findings)]
    volume = curve[VOLUME].to_numpy()
    return ChunkResult(
        hourly=to_write.reset_index()[HOURLY_COLUMNS],
        rollups=_rollups(curve),
        findings=pd.concat(findings) if findings else _NO_FINDINGS,
        bounds=pd.DataFrame(
            [(m, results[m].write_from, results[m].fresh) for m in ids],
            columns=[METER_ID, "write_from", "fresh"],
        ),
        marks=pd.DataFrame(
            [(m, results[m].received_upto, results[m].last_read) for m in ids],
            columns=[METER_ID, "received_upto", "last_read_ts"],
        ),
        intervals=len(curve),
        volume=float(volume.sum()),
        estimated_volume=float((volume * curve[GAP_SHARE].to_numpy()).sum()),
    )


def _write_from(state: dict, reads: pd.DataFrame, lookback_days: int) -> pd.Timestamp | None:
    """First hour a new run may change: None rewrites the meter whole.

    A new read reshapes the gap it closes (from the read before it) and the
    profiles of gaps up to the profile lookback away, so the run rewrites
    from there; a meter due only for its open tail rewrites from its last read.
    """
    if bool(state["fresh"]) or bool(state["whole"]) or pd.isna(state["previous_upto"]):
        return None
    ts = reads[TS]
    new = ts[reads[RECEIVED_AT] > state["previous_upto"]]
    if new.empty:
        return ts.max().floor("h")
    first_new = new.min()
    before = ts[ts < first_new]
    anchor = before.max() if not before.empty else first_new
    return (anchor - pd.Timedelta(days=lookback_days + 1)).floor("h")


def _rollups(curves: pd.DataFrame) -> pd.DataFrame:
    """Day, month and year rollups of many meters' hourly curves, per timezone at once."""
    frames = []
    for timezone, group in curves.groupby("timezone", sort=False):
        for resolution in ROLLUPS:
            frame = resample_curve(group, resolution, str(timezone), by=METER_ID)
            frames.append(frame.reset_index().assign(resolution=resolution)[ROLLUP_COLUMNS])
    return pd.concat(frames)


def run_estimate(
    conn: psycopg.Connection,
    *,
    as_of: pd.Timestamp,
    settings: Settings,
    meter_ids: list[str] | None = None,
    partition: Partition = ALL_METERS,
    run_at: pd.Timestamp | None = None,
) -> RunReport:
    """Estimate the due meters of ``partition`` (or ``meter_ids``, from scratch) on ``conn``."""
    return run_on(conn, EstimateJob(settings), partition, as_of, meter_ids=meter_ids, run_at=run_at)
