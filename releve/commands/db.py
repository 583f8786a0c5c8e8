"""``releve db up|status|migrate|down``: the store's lifecycle."""

from __future__ import annotations

import argparse

import psycopg

import store
from releve.config import Settings
from releve.connect import open_store, store_url
from store.migrate import migrate
from store.status import fetch_status, format_status


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve db``."""
    parser = subparsers.add_parser("db", help="start, inspect, migrate or stop the store")
    parser.add_argument(
        "action",
        choices=["up", "status", "migrate", "down"],
        help="up: start the embedded store; status: where, version, rows; "
        "migrate: apply missing migrations; down: stop the embedded store",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Carry out one action on the store."""
    settings = Settings.load()
    embedded = store.embedded_server(settings.home)
    if args.action == "down":
        if settings.database_url:
            print("RELEVE_DATABASE_URL is set: the store is not embedded, nothing to stop")
        else:
            print("embedded store stopped" if embedded.stop() else "embedded store was not running")
        return 0
    location = settings.database_url or f"embedded PostgreSQL in {embedded.data_dir}"
    if args.action == "migrate":
        with psycopg.connect(store_url(settings)) as conn:
            applied = migrate(conn)
        print(
            f"{location}: applied {', '.join(m.path.name for m in applied) or 'nothing (up to date)'}"
        )
        return 0
    with open_store(settings) as conn:
        if args.action == "up":
            print(f"store up: {location}")
        else:
            print(format_status(fetch_status(conn, location)))
    return 0
