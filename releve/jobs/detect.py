"""The detection job: due meters' reads and events from the store, through
``estimate.validate_meter`` and ``detect.detect_all``, then the alert lifecycle,
back to the store.

It runs on the partition runner (``releve.jobs.runner``): chunks of meters,
each chunk's alerts and watermarks written in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg

from core import Episode, Meter, Partition
from core.columns import INDEX, METER_ID, TS
from core.partition import ALL_METERS
from detect import detect_all, plan_alerts
from estimate import validate_meter
from releve.config import Settings
from releve.jobs.runner import RunReport, run_on
from store.alerts import (
    fetch_alerts,
    fetch_detection_reads,
    fetch_due_detection,
    upsert_alerts,
    upsert_detect_watermarks,
)
from store.events import fetch_meter_events
from store.meters import fetch_meter_models, fetch_removals

# Enough history for the loi Warsmann reference: the same period three years back.
HISTORY = pd.Timedelta(days=3 * 365 + 45)

# One columns index for every meter's reads frame: its lookup table is built once.
_READ_COLUMNS = pd.Index([INDEX])


@dataclass
class DetectSummary:
    """What one run did."""

    meters: int = 0
    episodes: Counter[str] = field(default_factory=Counter)
    events: Counter[str] = field(default_factory=Counter)

    def add(self, other: DetectSummary) -> None:
        """Add up another chunk's or partition's summary."""
        self.meters += other.meters
        self.episodes.update(other.episodes)
        self.events.update(other.events)


@dataclass(frozen=True)
class MeterInput:
    """One meter's detection input.

    ts : ndarray  Read times [epoch ns, UTC]; index : ndarray  Indexes [meter unit].
    received_upto : Timestamp  Its watermark once detected.
    """

    meter: Meter
    ts: np.ndarray
    index: np.ndarray
    events: pd.DataFrame | None
    received_upto: pd.Timestamp
    removed_at: pd.Timestamp | None = None  # replaced: judged as of when it came off


class DetectJob:
    """Every detector on the validated reads, and the alerts brought up to date."""

    name = "detect"
    chunk_size = 500

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def new_summary(self) -> DetectSummary:
        return DetectSummary()

    def fetch_due(
        self, conn: psycopg.Connection, as_of: pd.Timestamp, partition: Partition,
        meter_ids: list[str] | None,
    ) -> pd.DataFrame:  # fmt: skip
        return fetch_due_detection(conn, as_of=as_of, meter_ids=meter_ids, partition=partition)

    def fetch_inputs(
        self, conn: psycopg.Connection, due: pd.DataFrame, as_of: pd.Timestamp
    ) -> Iterator[tuple[str, MeterInput]]:
        ids = due[METER_ID].tolist()
        meters = fetch_meter_models(conn, ids, self.settings.meter_defaults)
        removals = fetch_removals(conn, ids)
        reads = fetch_detection_reads(conn, ids, start=as_of - HISTORY, end=as_of)
        events = fetch_meter_events(conn, ids)
        by_meter = dict(tuple(events.groupby(METER_ID))) if not events.empty else {}
        for meter_id, stored in reads.items():
            yield (
                meter_id,
                MeterInput(
                    meter=meters[meter_id],
                    ts=stored.ts,
                    index=stored.index,
                    events=by_meter.get(meter_id),
                    received_upto=stored.received_upto,
                    removed_at=removals.get(meter_id),
                ),
            )

    def compute(self, item: MeterInput, as_of: pd.Timestamp) -> tuple[pd.Timestamp, list[Episode]]:
        """The meter's watermark and episodes: validation, then every detector."""
        if item.ts.size == 0:
            return item.received_upto, []
        frame = pd.DataFrame(
            item.index[:, None],
            index=pd.DatetimeIndex(item.ts.view("datetime64[ns]"), tz="UTC", name=TS),
            columns=_READ_COLUMNS,
            copy=False,  # read only: no need to copy the input's arrays
        )
        validated = validate_meter(frame, item.meter, settings=self.settings.validation)
        episodes = detect_all(
            validated.reads,
            meter=item.meter,
            as_of=as_of if item.removed_at is None else _removal_as_of(as_of, item),
            findings=validated.findings,
            events=item.events,
            tariff=self.settings.tariff,
            settings=self.settings.detection,
        )
        return item.received_upto, episodes

    def write(
        self, conn: psycopg.Connection, due: pd.DataFrame,
        results: dict[str, tuple[pd.Timestamp, list[Episode]]],
        as_of: pd.Timestamp, run_at: pd.Timestamp, summary: DetectSummary,
    ) -> None:  # fmt: skip
        """Bring the chunk's alerts and watermarks up to date."""
        if not results:
            return
        episodes = [e for _, found in results.values() for e in found]
        existing = fetch_alerts(conn, meter_ids=list(results), since=as_of - HISTORY)
        changes = plan_alerts(existing, episodes, as_of=as_of, settings=self.settings.lifecycle)
        upsert_alerts(conn, changes, as_of=as_of)
        marks = pd.DataFrame(
            [(meter_id, upto) for meter_id, (upto, _) in results.items()],
            columns=[METER_ID, "received_upto"],
        )
        upsert_detect_watermarks(conn, marks, as_of=as_of, run_at=run_at)
        summary.add(
            DetectSummary(
                meters=len(marks),
                episodes=Counter(e.type for e in episodes),
                events=Counter(event for c in changes for event in c.events),
            )
        )


def _removal_as_of(as_of: pd.Timestamp, item: MeterInput) -> pd.Timestamp:
    """A replaced meter is judged as of when it came off, or of its last read if later."""
    assert item.removed_at is not None
    last_read = pd.Timestamp(int(item.ts.max()), tz="UTC")
    return min(as_of, max(item.removed_at, last_read))


def run_detect(
    conn: psycopg.Connection,
    *,
    as_of: pd.Timestamp,
    settings: Settings,
    meter_ids: list[str] | None = None,
    partition: Partition = ALL_METERS,
    run_at: pd.Timestamp | None = None,
) -> RunReport:
    """Detect on the due meters of ``partition`` (or ``meter_ids``) on ``conn``."""
    return run_on(conn, DetectJob(settings), partition, as_of, meter_ids=meter_ids, run_at=run_at)
