"""What ``releve db status`` tells: where the store is, its version, its tables."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class StoreStatus:
    """A snapshot of the store."""

    location: str
    version: str
    timescaledb: str | None
    migrations: list[int]
    row_counts: dict[str, int]


def fetch_status(conn: psycopg.Connection, location: str) -> StoreStatus:
    """Version, TimescaleDB presence, applied migrations and row counts per table."""
    version = conn.execute("SHOW server_version").fetchone()
    timescale = conn.execute(
        "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'"
    ).fetchone()
    migrations = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
    ]
    counts = {}
    for table in tables:
        row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()  # type: ignore[arg-type]
        counts[table] = int(row[0]) if row else 0
    return StoreStatus(
        location=location,
        version=str(version[0]) if version else "?",
        timescaledb=str(timescale[0]) if timescale else None,
        migrations=migrations,
        row_counts=counts,
    )


def format_status(status: StoreStatus) -> str:
    """Human-readable status."""
    lines = [
        f"store:       {status.location}",
        f"PostgreSQL:  {status.version}",
        f"TimescaleDB: {status.timescaledb or 'not installed (plain PostgreSQL tables)'}",
        f"migrations:  {', '.join(f'{v:04d}' for v in status.migrations) or 'none'}",
        "rows:",
    ]
    width = max((len(t) for t in status.row_counts), default=0)
    lines += [f"  {table:<{width}}  {n:>12,}" for table, n in status.row_counts.items()]
    return "\n".join(lines)
