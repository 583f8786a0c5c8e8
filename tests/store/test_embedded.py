"""The embedded PostgreSQL: starts on demand, is shared, stays inside its home."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from store.embedded import EmbeddedServer

pytestmark = [pytest.mark.integration, pytest.mark.slow]

START = (
    "import sys; from pathlib import Path; from store.embedded import EmbeddedServer;"
    "print(EmbeddedServer(Path(sys.argv[1])).start())"
)


def test_two_processes_starting_at_once_share_one_server(tmp_path: Path) -> None:
    home = tmp_path / "home"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", START, str(home)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    urls = {p.communicate(timeout=120)[0].strip() for p in procs}
    server = EmbeddedServer(home)
    try:
        assert all(p.returncode == 0 for p in procs)
        assert len(urls) == 1, "both commands attached to the same server"
        (url,) = urls
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT current_setting('data_directory')").fetchone()
        assert row is not None and Path(row[0]) == home / "pgdata"
        port = url.rsplit(":", 1)[1].split("/")[0]
        assert not Path(f"/tmp/.s.PGSQL.{port}").exists(), "no Unix socket outside RELEVE_HOME"
        assert sorted(p.name for p in home.iterdir()) == ["pgdata", "postgres.log", "store.lock"]
    finally:
        assert server.stop()
    assert not server.is_running()
    assert not server.stop(), "stopping a stopped store says so"
