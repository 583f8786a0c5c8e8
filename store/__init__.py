"""The time-series store: PostgreSQL (embedded by default) or TimescaleDB.

``connect()`` is the way in: it finds the server (``RELEVE_DATABASE_URL`` or
the embedded one under ``RELEVE_HOME``, started on demand) and migrates the
database on first use in the process.
"""

from __future__ import annotations

import psycopg

from releve.config import Settings
from store.embedded import EmbeddedServer
from store.migrate import migrate

_migrated: set[str] = set()


def embedded_server(settings: Settings) -> EmbeddedServer:
    """The embedded server of this installation."""
    return EmbeddedServer(settings.home.resolve())


def database_url(settings: Settings | None = None) -> str:
    """The URL of the store, starting the embedded server when none is configured."""
    settings = settings or Settings.load()
    if settings.database_url:
        return settings.database_url
    return embedded_server(settings).start()


def connect(settings: Settings | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    """An open connection to the store, migrated to the latest schema."""
    url = database_url(settings)
    conn = psycopg.connect(url, autocommit=autocommit)
    if url not in _migrated:
        migrate(conn)
        _migrated.add(url)
    return conn
