"""Where the installation's store is, from its settings."""

from __future__ import annotations

import psycopg

import store
from releve.config import Settings


def store_url(settings: Settings) -> str:
    """The store's URL: ``RELEVE_DATABASE_URL``, or the embedded server's (started)."""
    return store.database_url(settings.database_url, settings.home)


def open_store(settings: Settings, *, autocommit: bool = False) -> psycopg.Connection:
    """A migrated connection to the installation's store."""
    return store.connect(store_url(settings), autocommit=autocommit)
