"""The command line end to end against a real PostgreSQL: db, demo, sample."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from releve.simulate.sample import BAD_ROWS, write_sample


def releve(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "releve.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.integration
def test_db_status_reports_version_layout_and_row_counts(releve_env: dict[str, str]) -> None:
    done = releve(releve_env, "db", "status")
    assert done.returncode == 0, done.stderr
    assert "PostgreSQL:" in done.stdout
    assert "TimescaleDB:" in done.stdout
    assert "readings" in done.stdout and "quarantine" in done.stdout


@pytest.mark.integration
def test_demo_loads_the_sample_and_shows_the_store(
    releve_env: dict[str, str], tmp_path: Path
) -> None:
    # As `make demo` runs it: RELEVE_HOME relative to the working directory.
    env = dict(releve_env, RELEVE_HOME=".releve")
    done = subprocess.run(
        [sys.executable, "-m", "releve.cli", "demo", "--no-serve"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "readings.csv (readings):" in done.stdout
    assert f"{len(BAD_ROWS)} quarantined" in done.stdout
    assert "rows:" in done.stdout
    assert "ingested: received=192" in done.stdout, (
        "the simulated gateways' traffic went through MQTT"
    )
    assert "prospective" in done.stdout, "curves show estimated points"
    assert "W-1002         continuous_flow" in done.stdout, "the sample's leak is found"
    assert "TOKEN=ey" in done.stdout and "/curve?resolution=month" in done.stdout


def test_sample_is_regenerated_identically(tmp_path: Path) -> None:
    bundled = Path(__file__).resolve().parents[2] / "data" / "sample"
    meters, readings = write_sample(tmp_path)
    assert meters.read_text() == (bundled / "meters.csv").read_text()
    assert readings.read_text() == (bundled / "readings.csv").read_text()
    frame = pd.read_csv(readings)
    assert set(frame["meter_id"]) >= {"W-1001", "G-2001"}


@pytest.mark.integration
@pytest.mark.slow
def test_db_up_and_down_manage_the_embedded_store(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEVE_")}
    env["RELEVE_HOME"] = str(tmp_path / "home")
    try:
        up = releve(env, "db", "up")
        assert up.returncode == 0, up.stderr
        assert "embedded PostgreSQL" in up.stdout
        assert "migrations:  0001" in releve(env, "db", "status").stdout
    finally:
        down = releve(env, "db", "down")
    assert "stopped" in down.stdout
    assert "was not running" in releve(env, "db", "down").stdout
