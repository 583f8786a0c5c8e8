"""Migrations: applied in order, once, recorded."""

from __future__ import annotations

import psycopg
import pytest

from store.migrate import migrate, read_migrations

pytestmark = pytest.mark.integration


def test_migration_numbers_are_unique() -> None:
    versions = [m.version for m in read_migrations()]
    assert len(set(versions)) == len(versions), "two migration files share a number"


def test_migrating_again_applies_nothing(conn: psycopg.Connection) -> None:
    assert migrate(conn) == []
    recorded = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert recorded == [m.version for m in read_migrations()]


def test_readings_have_their_natural_key_and_time_index(conn: psycopg.Connection) -> None:
    key = conn.execute(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'readings'::regclass AND contype = 'p'"
    ).fetchone()
    assert key == ("PRIMARY KEY (meter_id, ts)",)
    timescale = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    if timescale is None:
        brin = conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'readings_ts_brin'"
        ).fetchone()
        assert brin is not None and "brin" in brin[0]
