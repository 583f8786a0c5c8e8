"""The time-series store: PostgreSQL (embedded by default) or TimescaleDB.

``database_url`` finds the server (the configured URL, or the embedded one
under the installation's home, started on demand) and ``connect`` opens a
connection, migrating the database on first use in the process. The caller
(the command line) says where the store is: nothing here reads the settings.
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from store.embedded import EmbeddedServer
from store.migrate import migrate

_migrated: set[str] = set()


def embedded_server(home: Path) -> EmbeddedServer:
    """The embedded server of the installation whose files are under ``home``."""
    return EmbeddedServer(home.resolve())


def database_url(url: str | None, home: Path) -> str:
    """``url``, or the embedded server's under ``home`` (started) when it is None."""
    if url:
        return url
    return embedded_server(home).start()


def connect(
    url: str, *, autocommit: bool = False, connect_timeout: int | None = None
) -> psycopg.Connection:
    """An open connection to the store at ``url``, migrated to the latest schema."""
    conn = psycopg.connect(url, autocommit=autocommit, connect_timeout=connect_timeout)
    if url not in _migrated:
        migrate(conn)
        _migrated.add(url)
    return conn
