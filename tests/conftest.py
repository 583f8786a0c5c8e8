"""Shared fixtures: a real PostgreSQL and a real MQTT broker (see tests/fixtures)."""

from pathlib import Path

pytest_plugins = ["tests.fixtures.postgres"]
if (Path(__file__).parent / "fixtures" / "broker.py").exists():
    pytest_plugins.append("tests.fixtures.broker")
