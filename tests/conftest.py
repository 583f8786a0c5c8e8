"""Shared fixtures: a real PostgreSQL and a real MQTT broker (see tests/fixtures)."""

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.broker"]
