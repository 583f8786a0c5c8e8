"""Readings into the store: the one write path of every input (CSV, MQTT).

``store_readings`` checks what needs the store to be checked (units against
the meter's, keys already stored), writes readings and quarantine in one
transaction, and returns what became of every row.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import psycopg

from core.columns import INDEX, KIND, METER_ID, TS, UNIT
from core.units import conversion_factor
from ingest.rows import REJECT_COLUMNS
from store.batches import add_batch_counts, insert_batch
from store.meters import fetch_meters, register_unassigned
from store.quarantine import upsert_quarantine
from store.readings import upsert_readings

INDEX_DECIMALS = 9  # keeps unit conversions from making 0.1 + 0.2 style false conflicts


@dataclass
class LoadResult:
    """Counts of one load; results add up across loads."""

    rows_read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)

    def __iadd__(self, other: LoadResult) -> LoadResult:
        self.rows_read += other.rows_read
        self.stored += other.stored
        self.duplicates += other.duplicates
        self.quarantined.update(other.quarantined)
        return self

    @property
    def quarantined_total(self) -> int:
        return sum(self.quarantined.values())


def store_readings(
    conn: psycopg.Connection,
    readings: pd.DataFrame,
    rejects: pd.DataFrame,
    *,
    source: str,
    location: str,
    batch_id: int | None = None,
) -> LoadResult:
    """Store valid readings and quarantine the rest, in one transaction.

    ``readings`` has the columns meter_id, ts (UTC), index, unit, quality,
    source, location, raw, and optionally kind (water, gas, electricity: used
    when the meter is new); ``rejects`` has location, raw, reason, reason_code.
    The transaction commits on return, unless the caller opened one on
    ``conn`` (``with conn.transaction():``), which then holds this write.

    Meters seen for the first time are registered (unassigned) in a short
    transaction of their own before: two writers whose batches share a new
    meter then wait for each other a moment, not a whole batch. A batch that
    fails afterwards leaves such a meter registered, without readings.
    """
    with conn.transaction():
        meters = _registered_meters(conn, readings)
    with conn.transaction():
        if batch_id is None:
            batch_id = insert_batch(conn, source=source, location=location)
        converted, unit_rejects = _to_meter_units(readings, meters)
        unique, duplicates, repeat_rejects = _first_per_key(converted)
        outcome = upsert_readings(
            conn, unique.rename(columns={INDEX: "index_value"}), batch_id=batch_id
        )
        existing_duplicates, conflict_rejects = _classify_existing(outcome.existing, unique)
        all_rejects = pd.concat(
            [
                frame
                for frame in (rejects, unit_rejects, repeat_rejects, conflict_rejects)
                if not frame.empty
            ]
            or [pd.DataFrame(columns=REJECT_COLUMNS)]
        )
        upsert_quarantine(conn, all_rejects, source=source, batch_id=batch_id)
        result = LoadResult(
            rows_read=len(readings) + len(rejects),
            stored=outcome.stored,
            duplicates=duplicates + existing_duplicates,
            quarantined=Counter(all_rejects["reason_code"]),
        )
        add_batch_counts(
            conn,
            batch_id,
            rows_read=result.rows_read,
            stored=result.stored,
            duplicates=result.duplicates,
            quarantined=result.quarantined_total,
        )
    return result


def _registered_meters(conn: psycopg.Connection, readings: pd.DataFrame) -> pd.DataFrame:
    """The meters of ``readings``, indexed by meter_id; unknown ones are registered as
    unassigned, in the unit (and kind, when given) of their first reading."""
    columns = [METER_ID, UNIT, KIND] if KIND in readings else [METER_ID, UNIT]
    # Sorted, so that concurrent loads lock new meters in one order.
    firsts = readings.drop_duplicates(METER_ID)[columns].sort_values(METER_ID)
    known = fetch_meters(conn, list(firsts[METER_ID]))
    unknown = firsts[~firsts[METER_ID].isin(known[METER_ID])]
    if unknown.empty:
        return known.set_index(METER_ID)
    register_unassigned(conn, unknown)
    return fetch_meters(conn, list(firsts[METER_ID])).set_index(METER_ID)


def _to_meter_units(
    readings: pd.DataFrame, meters: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert indexes to each meter's unit; reject units the meter cannot count in."""
    if readings.empty:
        return readings, pd.DataFrame(columns=REJECT_COLUMNS)
    # Units are judged per (meter, unit) pair, then spread to the rows: there are few pairs.
    pairs = readings[[METER_ID, UNIT]].drop_duplicates()
    pairs["meter_unit"] = pairs[METER_ID].map(meters[UNIT])
    if (pairs[UNIT] == pairs["meter_unit"]).all():
        return readings, pd.DataFrame(columns=REJECT_COLUMNS)
    pairs["factor"] = [
        conversion_factor(u, mu) for u, mu in zip(pairs[UNIT], pairs["meter_unit"], strict=True)
    ]
    rows = readings.merge(pairs, on=[METER_ID, UNIT], how="left")
    rows.index = readings.index
    compatible = rows["factor"].notna()
    good = readings[compatible].copy()
    good[INDEX] = np.round(good[INDEX] * rows["factor"][compatible], INDEX_DECIMALS)
    bad = rows[~compatible]
    kinds = bad[METER_ID].map(meters[KIND]).fillna("unassigned")
    reasons = [
        f"unit {u} cannot be converted to the unit {mu} of meter {m} ({k}); check the unit or the meter id"
        for u, mu, m, k in zip(bad[UNIT], bad["meter_unit"], bad[METER_ID], kinds, strict=True)
    ]
    return good, _rejects(bad, reasons, "incompatible_unit")


def _first_per_key(readings: pd.DataFrame) -> tuple[pd.DataFrame, int, pd.DataFrame]:
    """Keep the first reading per (meter_id, ts); later equal ones are duplicates, others conflicts."""
    repeated = readings.duplicated([METER_ID, TS], keep="first")
    if not repeated.any():
        return readings, 0, pd.DataFrame(columns=REJECT_COLUMNS)
    first = readings[~repeated].set_index([METER_ID, TS])
    later = readings[repeated]
    kept = first.loc[list(zip(later[METER_ID], later[TS], strict=True))]
    same = later[INDEX].to_numpy() == kept[INDEX].to_numpy()
    conflicts = later[~same]
    kept_conflicting = kept[~same]
    reasons = [
        f"meter {m} at {t.isoformat()}: index {v:g} conflicts with index {k:g} at {loc}; the first is kept"
        for m, t, v, k, loc in zip(
            conflicts[METER_ID],
            conflicts[TS],
            conflicts[INDEX],
            kept_conflicting[INDEX],
            kept_conflicting["location"],
            strict=True,
        )
    ]
    return (
        readings[~repeated],
        int(same.sum()),
        _rejects(conflicts, reasons, "conflicting_duplicate"),
    )


def _classify_existing(existing: pd.DataFrame, unique: pd.DataFrame) -> tuple[int, pd.DataFrame]:
    """Tell readings already stored with the same index (duplicates) from conflicts."""
    if existing.empty:
        return 0, pd.DataFrame(columns=REJECT_COLUMNS)
    existing = existing.assign(ts=pd.to_datetime(existing[TS], utc=True))
    merged = existing.merge(unique, on=[METER_ID, TS], how="left")
    same = np.isclose(
        merged["index_value"], merged["stored_index"], rtol=0, atol=10.0**-INDEX_DECIMALS
    )
    conflicts = merged[~same]
    reasons = [
        f"meter {m} at {t.isoformat()}: index {v:g} conflicts with the stored index {s:g}"
        f" (from {src}); the stored reading is kept"
        for m, t, v, s, src in zip(
            conflicts[METER_ID],
            conflicts[TS],
            conflicts["index_value"],
            conflicts["stored_index"],
            conflicts["stored_source"],
            strict=True,
        )
    ]
    return int(same.sum()), _rejects(conflicts, reasons, "conflicting_duplicate")


def _rejects(rows: pd.DataFrame, reasons: list[str], code: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "location": list(rows["location"]),
            "raw": list(rows["raw"]),
            "reason": reasons,
            "reason_code": code,
        },
        columns=REJECT_COLUMNS,
    )
