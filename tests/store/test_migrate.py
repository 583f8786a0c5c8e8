"""Migrations: applied in order, once, recorded."""

from __future__ import annotations

import re

import psycopg
import pytest

from core import (
    CURVE_QUALITIES,
    READ_QUALITIES,
    UNITS,
    AlertEvent,
    AlertStatus,
    AnomalyType,
    Channel,
    Language,
    MeterKind,
    Resolution,
    Severity,
)
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


@pytest.mark.parametrize(
    ("table", "column", "values"),
    [
        pytest.param("meters", "kind", set(MeterKind), id="kinds"),
        pytest.param("meters", "unit", set(UNITS), id="units"),
        pytest.param("readings", "quality", set(READ_QUALITIES), id="read_qualities"),
        pytest.param("consumption_hourly", "quality", set(CURVE_QUALITIES), id="curve_qualities"),
        pytest.param("consumption_rollups", "resolution", set(Resolution) - {"hour"}, id="rollups"),
        pytest.param("alerts", "type", set(AnomalyType), id="anomaly_types"),
        pytest.param("alerts", "severity", set(Severity), id="severities"),
        pytest.param("alerts", "status", set(AlertStatus), id="statuses"),
        pytest.param("alert_events", "event", set(AlertEvent), id="events"),
        pytest.param("notification_preferences", "channel", set(Channel), id="channels"),
        pytest.param("notification_preferences", "language", set(Language), id="languages"),
        pytest.param("notification_preferences", "min_severity", set(Severity), id="min_severity"),
    ],
)
def test_the_schema_allows_exactly_the_core_codes(
    conn: psycopg.Connection, table: str, column: str, values: set[str]
) -> None:
    definitions = [
        row[0]
        for row in conn.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'c'",
            (table,),
        )
    ]
    checks = [d for d in definitions if f"({column} = ANY" in d or f"(({column} = ANY" in d]
    assert len(checks) == 1, definitions
    assert set(re.findall(r"'([^']+)'::text", checks[0])) == set(values)
