"""``releve demo``: the whole story on the embedded default, step by step.

Each step is a function of the demo context that prints what it did; later
capabilities add their step to ``STEPS``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import psycopg

import store
from ingest.csv_load import load_csv_file
from ingest.readings_csv import ReadingsCsvOptions
from releve.commands.ingest.csv import format_outcome
from releve.config import Settings
from releve.simulate.sample import write_sample
from store.status import fetch_status, format_status

REPO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@dataclass(frozen=True)
class DemoContext:
    """What every step gets: the settings, an open store connection, the sample folder."""

    settings: Settings
    conn: psycopg.Connection
    sample: Path


def sample_folder(settings: Settings) -> Path:
    """The bundled sample, or a freshly written one when the project is installed elsewhere."""
    if (REPO_SAMPLE / "readings.csv").exists():
        return REPO_SAMPLE
    folder = settings.home / "sample"
    write_sample(folder)
    return folder


def step_load_sample(ctx: DemoContext) -> None:
    """Load the sample meters and readings, and show what the quarantine caught."""
    options = ReadingsCsvOptions(timezone=ctx.settings.timezone)
    for name in ("meters.csv", "readings.csv"):
        print(format_outcome(load_csv_file(ctx.conn, ctx.sample / name, options)))


def step_status(ctx: DemoContext) -> None:
    """Show where the store is and what it holds."""
    location = (
        ctx.settings.database_url
        or f"embedded PostgreSQL in {store.embedded_server(ctx.settings).data_dir}"
    )
    print(format_status(fetch_status(ctx.conn, location)))


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Loading the sample meters and readings", step_load_sample),
    ("The store", step_status),
]


def run_demo(settings: Settings | None = None) -> int:
    """Run every step in order."""
    settings = settings or Settings.load()
    with store.connect(settings) as conn:
        ctx = DemoContext(settings, conn, sample_folder(settings))
        for number, (title, step) in enumerate(STEPS, start=1):
            print(f"\n== {number}. {title}")
            step(ctx)
    return 0
