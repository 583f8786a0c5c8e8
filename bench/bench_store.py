"""The store the benchmarks run against: ``RELEVE_BENCH_DATABASE_URL``, else a private embedded server."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from psycopg.conninfo import make_conninfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from store.embedded import EmbeddedServer  # noqa: E402
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
