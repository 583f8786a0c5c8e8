"""Notification preferences in the store: written whole, read back the same, idempotent."""

from __future__ import annotations

from datetime import time

import psycopg
import pytest

from core import AnomalyType, Channel, Language, Preference, QuietHours, Severity
from store.preferences import delete_preferences, fetch_preferences, upsert_preferences

pytestmark = pytest.mark.integration

EMAIL = Preference(
    "A-1", Channel.EMAIL, "anne@example.org", Language.EN, Severity.WARNING,
    QuietHours.parse("22:00-07:00"), frozenset({AnomalyType.ZERO_CONSUMPTION}),
)  # fmt: skip
SMS = Preference("A-1", Channel.SMS, "+33612345678")


def test_preferences_round_trip_and_a_rerun_changes_nothing(conn: psycopg.Connection) -> None:
    assert upsert_preferences(conn, [EMAIL, SMS]) == 2
    assert fetch_preferences(conn, ["A-1"]) == [EMAIL, SMS]
    assert upsert_preferences(conn, [EMAIL, SMS]) == 0
    moved = Preference("A-1", Channel.SMS, "+33700000000")
    assert upsert_preferences(conn, [moved]) == 1
    assert fetch_preferences(conn) == [EMAIL, moved]
    assert delete_preferences(conn, "A-1", [Channel.SMS]) == 1
    assert fetch_preferences(conn, ["A-1"]) == [EMAIL]
    assert fetch_preferences(conn, ["nobody"]) == []


@pytest.mark.parametrize(
    ("text", "inside", "outside"),
    [
        pytest.param("22:00-07:00", time(23, 30), time(12, 0), id="over_midnight"),
        pytest.param("12:00-14:00", time(13, 0), time(14, 0), id="within_a_day"),
    ],
)
def test_quiet_hours(text: str, inside: time, outside: time) -> None:
    quiet = QuietHours.parse(text)
    assert quiet.holds(inside) and not quiet.holds(outside) and str(quiet) == text


@pytest.mark.parametrize("text", ["22h-7h", "25:00-07:00", "", "22:00-07:61"])
def test_bad_quiet_hours_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="quiet hours"):
        QuietHours.parse(text)
