"""The store the benchmarks run against: ``RELEVE_BENCH_DATABASE_URL``, else a private embedded server."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from store.copy import copy_frame  # noqa: E402
from store.embedded import EmbeddedServer  # noqa: E402
from store.meters import upsert_meters  # noqa: E402
from store.migrate import migrate  # noqa: E402


@contextmanager
def bench_server(prefix: str = "releve-bench-") -> Iterator[str]:
    """Admin URL of the benchmark's server; an embedded one lives only for the block."""
    url = os.environ.get("RELEVE_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    server = EmbeddedServer(Path(tempfile.mkdtemp(prefix=prefix)))
    try:
        yield server.start()
    finally:
        server.stop()


def fresh_database(admin_url: str, name: str) -> str:
    """URL of a new, empty database ``name`` (dropped first if it exists)."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]
        admin.execute(f"CREATE DATABASE {name}")  # type: ignore[arg-type]
    return make_conninfo(admin_url, dbname=name)


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """URL of a fresh, migrated database for one benchmark, dropped afterwards."""
    with bench_server() as admin_url:
        url = fresh_database(admin_url, f"{name}_{os.getpid()}")
        with psycopg.connect(url) as conn:
            migrate(conn)
        try:
            yield url
        finally:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name}_{os.getpid()} WITH (FORCE)")  # type: ignore[arg-type]


def synthetic_store_rows(
    count: int, days: int, seed: int, *, prefix: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Meters and hourly readings [L] (2 % of reads missing) for the speed runs,
    in the store's column names; meter ids start with ``prefix``."""
    rng = np.random.default_rng(seed)
    hours = days * 24
    ts = pd.date_range("2026-01-01", periods=hours, freq="h", tz="UTC")
    shape = np.tile(np.array([0.2] * 6 + [3, 4, 2] + [1] * 9 + [3, 3, 2, 1, 0.5, 0.3]), days)
    index = np.cumsum(rng.poisson(shape[None, :] * rng.uniform(2, 20, (count, 1))), axis=1)
    keep = rng.random((count, hours)) > 0.02
    keep[:, 0] = True
    ids = np.array([f"{prefix}{i:05d}" for i in range(count)], dtype=object)
    readings = pd.DataFrame(
        {
            "meter_id": np.repeat(ids, hours)[keep.ravel()],
            "ts": np.tile(ts.as_unit("us"), count)[keep.ravel()],
            "index_value": index.ravel()[keep.ravel()].astype(float),
            "quality": "actual",
            "source": "bench",
        }
    )
    meters = pd.DataFrame(
        {
            "meter_id": ids, "kind": "water", "unit": "L", "digits": 8, "account_id": None,
            "contract_id": None, "site_id": None, "timezone": "Europe/Paris",
            "installed_at": None, "replaces": None, "q3_m3h": 2.5, "conversion_kwh_per_m3": None,
        }
    )  # fmt: skip
    return meters, readings


def store_synthetic(conn: psycopg.Connection, count: int, days: int, seed: int, prefix: str) -> int:
    """Store ``synthetic_store_rows`` (meters, then readings by COPY) and
    analyze them, as a loaded store would be; the number of readings."""
    meters, readings = synthetic_store_rows(count, days, seed, prefix=prefix)
    upsert_meters(conn, meters)
    copy_frame(conn, "readings", readings)
    conn.commit()
    conn.autocommit = True
    conn.execute("VACUUM ANALYZE readings")
    conn.autocommit = False
    return len(readings)
