"""``releve quarantine``: what was quarantined, and why."""

from __future__ import annotations

import argparse
import json

from core.columns import RECEIVED_AT
from releve.config import Settings
from releve.connect import open_store
from store.quarantine import fetch_quarantine


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve quarantine``."""
    parser = subparsers.add_parser("quarantine", help="list quarantined items and their reasons")
    parser.add_argument("--limit", type=int, default=50, help="newest N items (default 50)")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the newest quarantined items."""
    with open_store(Settings.load()) as conn:
        items = fetch_quarantine(conn, limit=args.limit)
    if args.format == "json":
        for record in items.to_dict(orient="records"):
            record[RECEIVED_AT] = record[RECEIVED_AT].isoformat()
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if items.empty:
        print("quarantine is empty")
        return 0
    for item in items.itertuples():
        print(
            f"{item.received_at:%Y-%m-%d %H:%M} {item.source} {item.location}\n"
            f"  {item.reason_code}: {item.reason}\n  raw: {item.raw[:200]!r}"
        )
    return 0
