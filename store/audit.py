"""The audit log of personal-data access: who read or changed what, when, from where."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg

AUDIT_COLUMNS = ["id", "at", "subject", "scope", "method", "route", "object_type", "object_id",
                 "granted", "client"]  # fmt: skip


@dataclass(frozen=True)
class Access:
    """One access to an object of personal data (an account, a meter, an alert).

    granted : bool  False when the answer was 404: not the token's, or unknown.
    client : str | None  The client's address as the server saw it.
    """

    subject: str
    scope: str
    method: str
    route: str
    object_type: str
    object_id: str
    granted: bool
    client: str | None


def write_audit(conn: psycopg.Connection, access: Access) -> None:
    """Append one access to the log, committed before the data it names leave the store.

    The log's own commit does not wait for the disk (``synchronous_commit`` off for
    this transaction only): it is ordered in the WAL before anything written later,
    and only a crash of the server in the next fraction of a second could lose it.
    """
    with conn.transaction():
        conn.execute("SET LOCAL synchronous_commit TO off")
        conn.execute(
            "INSERT INTO audit_log (subject, scope, method, route, object_type, object_id,"
            " granted, client) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            (access.subject, access.scope, access.method, access.route, access.object_type,
             access.object_id, access.granted, access.client),
        )  # fmt: skip


def fetch_audit(
    conn: psycopg.Connection,
    *,
    subject: str | None = None,
    object_id: str | None = None,
    since: pd.Timestamp | None = None,
    limit: int = 1000,
) -> pd.DataFrame:
    """The latest accesses (newest last), optionally of one subject or object, since a time."""
    cur = conn.execute(
        f"SELECT * FROM (SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log"  # type: ignore[arg-type]
        " WHERE (%(subject)s::text IS NULL OR subject = %(subject)s)"
        " AND (%(object)s::text IS NULL OR object_id = %(object)s)"
        " AND (%(since)s::timestamptz IS NULL OR at >= %(since)s)"
        " ORDER BY id DESC LIMIT %(limit)s) AS latest ORDER BY id",
        {"subject": subject, "object": object_id, "since": since, "limit": limit},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=AUDIT_COLUMNS)
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame
