"""GDPR data rights in the store: an account's readings for its export, and its erasure."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg

from core.contracts import Period

READING_COLUMNS = ["meter_id", "ts", "index", "quality", "source"]


@dataclass(frozen=True)
class Erasure:
    """The record of an erased account (kept as proof the request was honoured)."""

    account_id: str
    erased_at: pd.Timestamp
    requested_by: str
    requested_scope: str
    meters_unlinked: int
    contracts_anonymised: int
    preferences_deleted: int


def fetch_period_readings(conn: psycopg.Connection, meter_id: str, period: Period) -> pd.DataFrame:
    """A meter's readings inside ``period``: ``meter_id, ts, index, quality, source``."""
    cur = conn.execute(
        "SELECT meter_id, ts, index_value, quality, source FROM readings WHERE meter_id = %(m)s"
        " AND (%(lo)s::timestamptz IS NULL OR ts >= %(lo)s)"
        " AND (%(hi)s::timestamptz IS NULL OR ts < %(hi)s) ORDER BY ts",
        {"m": meter_id, "lo": period.start, "hi": period.end},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=READING_COLUMNS)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def fetch_erasure(conn: psycopg.Connection, account_id: str) -> Erasure | None:
    """The erasure of the account, if it was erased."""
    row = conn.execute(
        "SELECT account_id, erased_at, requested_by, requested_scope, meters_unlinked,"
        " contracts_anonymised, preferences_deleted FROM erasures WHERE account_id = %s",
        (account_id,),
    ).fetchone()
    if row is None:
        return None
    return Erasure(row[0], pd.Timestamp(row[1]).tz_convert("UTC"), *row[2:])


def write_erasure(
    conn: psycopg.Connection, account_id: str, *, requested_by: str, scope: str,
    at: pd.Timestamp,
) -> Erasure:  # fmt: skip
    """Erase an account in one transaction and record it.

    Its notification preferences (addresses) are deleted; its contracts, sites and
    meters keep their rows and their consumption, but no longer name it, so what they
    hold is anonymous network data; then the account itself goes. The meters' links to
    contracts over time stay with the now anonymous contracts.
    """
    with conn.transaction():
        preferences = conn.execute(
            "DELETE FROM notification_preferences WHERE account_id = %s", (account_id,)
        ).rowcount
        row = conn.execute(
            "SELECT count(DISTINCT meter_id) FROM account_meter_periods WHERE account_id = %s",
            (account_id,),
        ).fetchone()
        meters = int(row[0]) if row else 0
        conn.execute(
            "UPDATE meters SET account_id = NULL, updated_at = now() WHERE account_id = %s",
            (account_id,),
        )
        contracts = conn.execute(
            "UPDATE contracts SET account_id = NULL WHERE account_id = %s", (account_id,)
        ).rowcount
        conn.execute("UPDATE sites SET account_id = NULL WHERE account_id = %s", (account_id,))
        conn.execute("DELETE FROM accounts WHERE account_id = %s", (account_id,))
        conn.execute(
            "INSERT INTO erasures (account_id, erased_at, requested_by, requested_scope,"
            " meters_unlinked, contracts_anonymised, preferences_deleted)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s)",
            (account_id, at, requested_by, scope, meters, contracts, preferences),
        )
    return Erasure(account_id, at, requested_by, scope, meters, contracts, preferences)
