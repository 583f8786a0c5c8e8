"""Ingest batches: one per file or ingestor run, with running counts."""

from __future__ import annotations

import psycopg


def insert_batch(conn: psycopg.Connection, *, source: str, location: str) -> int:
    """Open a batch and return its id (committed by the caller's transaction)."""
    row = conn.execute(
        "INSERT INTO ingest_batches (source, location) VALUES (%s, %s) RETURNING batch_id",
        (source, location),
    ).fetchone()
    assert row is not None
    return int(row[0])


def add_batch_counts(
    conn: psycopg.Connection,
    batch_id: int,
    *,
    rows_read: int,
    stored: int,
    duplicates: int,
    quarantined: int,
) -> None:
    """Add one load's counts to its batch."""
    conn.execute(
        "UPDATE ingest_batches SET rows_read = rows_read + %s, stored = stored + %s,"
        " duplicates = duplicates + %s, quarantined = quarantined + %s WHERE batch_id = %s",
        (rows_read, stored, duplicates, quarantined, batch_id),
    )
