"""The audit log of personal-data access: who read or changed what, when, from where."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
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
    """Append one access to the log, in its own statement before the data it names leave.

    On the bridge's connections the commit does not wait for the disk (the session's
    ``synchronous_commit`` is off; writes of data switch it on, see ``durable``): the
    entry is still ordered in the WAL before anything written later, and only a crash of
    the server in the next fraction of a second could lose it.
    """
    conn.execute(
        "INSERT INTO audit_log (subject, scope, method, route, object_type, object_id,"
        " granted, client) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (access.subject, access.scope, access.method, access.route, access.object_type,
         access.object_id, access.granted, access.client),
    )  # fmt: skip


@contextmanager
def durable(conn: psycopg.Connection) -> Iterator[None]:
    """Commits inside the block wait for the disk, whatever the session's default (a
    customer's read or preferences are acknowledged only once they are safe)."""
    previous = conn.execute("SHOW synchronous_commit").fetchone()
    conn.execute("SET synchronous_commit TO on")
    try:
        yield
    finally:
        conn.execute("SELECT set_config('synchronous_commit', %s, false)",
                     (previous[0] if previous else "on",))  # fmt: skip


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
