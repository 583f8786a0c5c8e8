"""Notification preferences: one per account and channel, written whole, read by account."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg

from core import AnomalyType, Channel, Language, Preference, QuietHours, Severity

_COLUMNS = "account_id, channel, address, language, min_severity, quiet_start, quiet_end, opt_out"


def upsert_preferences(conn: psycopg.Connection, preferences: Iterable[Preference]) -> int:
    """Insert or replace each (account, channel)'s preference, creating unknown accounts;
    runs in the caller's transaction and returns how many rows changed."""
    rows = [_row(p) for p in preferences]
    if not rows:
        return 0
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO accounts (account_id) VALUES (%s) ON CONFLICT DO NOTHING",
            sorted({(row[0],) for row in rows}),
        )
        cur.executemany(
            f"INSERT INTO notification_preferences AS p ({_COLUMNS})"  # type: ignore[arg-type]
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (account_id, channel)"
            " DO UPDATE SET address = excluded.address, language = excluded.language,"
            " min_severity = excluded.min_severity, quiet_start = excluded.quiet_start,"
            " quiet_end = excluded.quiet_end, opt_out = excluded.opt_out, updated_at = now()"
            " WHERE (p.address, p.language, p.min_severity, p.quiet_start, p.quiet_end, p.opt_out)"
            " IS DISTINCT FROM (excluded.address, excluded.language, excluded.min_severity,"
            " excluded.quiet_start, excluded.quiet_end, excluded.opt_out)",
            rows,
        )
        return max(cur.rowcount, 0)


def fetch_preferences(
    conn: psycopg.Connection, account_ids: list[str] | None = None
) -> list[Preference]:
    """The preferences of ``account_ids`` (all when None), by account and channel."""
    cur = conn.execute(
        f"SELECT {_COLUMNS} FROM notification_preferences"  # type: ignore[arg-type]
        " WHERE %(all)s OR account_id = ANY(%(ids)s) ORDER BY account_id, channel",
        {"all": account_ids is None, "ids": list(account_ids or [])},
    )
    return [_preference(row) for row in cur.fetchall()]


def delete_preferences(
    conn: psycopg.Connection, account_id: str, channels: Iterable[Channel] | None = None
) -> int:
    """Remove an account's preferences (those of ``channels``, or all); how many went."""
    chosen = None if channels is None else [str(c) for c in channels]
    cur = conn.execute(
        "DELETE FROM notification_preferences WHERE account_id = %(a)s"
        " AND (%(all)s OR channel = ANY(%(ch)s))",
        {"a": account_id, "all": chosen is None, "ch": chosen or []},
    )
    return cur.rowcount


def _row(p: Preference) -> tuple[object, ...]:
    quiet = p.quiet_hours
    return (
        p.account_id, str(p.channel), p.address, str(p.language), str(p.min_severity),
        None if quiet is None else quiet.start, None if quiet is None else quiet.end,
        sorted(str(t) for t in p.opt_out),
    )  # fmt: skip


def _preference(row: tuple) -> Preference:
    account_id, channel, address, language, severity, start, end, opt_out = row
    return Preference(
        account_id=account_id,
        channel=Channel(channel),
        address=address,
        language=Language(language),
        min_severity=Severity(severity),
        quiet_hours=None if start is None else QuietHours(start, end),
        opt_out=frozenset(AnomalyType(t) for t in opt_out),
    )
