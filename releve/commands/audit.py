"""``releve audit [--subject S] [--object ID] [--since T] [--limit N] [--format table|json]``:
who read which personal data through the portal bridge."""

from __future__ import annotations

import argparse
import json

from releve.commands import local_time, time_argument
from releve.config import Settings
from releve.connect import open_store
from store.audit import fetch_audit


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve audit``."""
    parser = subparsers.add_parser("audit", help="who read which personal data (the bridge's log)")
    parser.add_argument("--subject", help="only this token subject (an account id, a service)")
    parser.add_argument("--object", dest="object_id", help="only this account, meter or alert id")
    parser.add_argument("--since", type=time_argument, help="ISO 8601 (no offset: local time)")
    parser.add_argument("--limit", type=int, default=1000, help="the latest N accesses")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the accesses, oldest first."""
    settings = Settings.load()
    since = local_time(args.since, settings.timezone) if args.since else None
    with open_store(settings) as conn:
        log = fetch_audit(conn, subject=args.subject, object_id=args.object_id, since=since,
                          limit=args.limit)  # fmt: skip
    log["at"] = log["at"].dt.tz_convert(settings.timezone).map(lambda ts: ts.isoformat())
    if args.format == "json":
        for record in log.to_dict(orient="records"):
            print(json.dumps(record, ensure_ascii=False))
        return 0
    if log.empty:
        print("no access recorded")
        return 0
    for row in log.itertuples():
        answer = "granted" if row.granted else "404"
        print(
            f"{row.at}  {row.scope:<8} {row.subject:<20} {row.method:<4} {row.route:<48} "
            f"{row.object_type} {row.object_id} {answer} from {row.client or '-'}"
        )
    return 0
