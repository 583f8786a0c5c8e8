"""``releve curve METER --resolution hour|day|month|year``: a meter's consumption curve."""

from __future__ import annotations

import argparse
import json
import math
import sys

import store
from estimate import RESOLUTIONS
from releve.commands import local_time, time_argument
from releve.config import Settings
from releve.jobs.estimate import fetch_curve


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve curve``."""
    parser = subparsers.add_parser("curve", help="print a meter's consumption curve")
    parser.add_argument("meter", metavar="METER")
    parser.add_argument("--resolution", choices=RESOLUTIONS, default="day")
    parser.add_argument(
        "--from",
        dest="start",
        type=time_argument,
        help="first period, ISO 8601 (local if no offset)",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=time_argument,
        help="end (exclusive), ISO 8601 (local if no offset)",
    )
    parser.add_argument("--format", choices=["csv", "json"], default="csv")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the curve as CSV or one JSON object per line."""
    settings = Settings.load()
    start = local_time(args.start, settings.timezone) if args.start else None
    end = local_time(args.end, settings.timezone) if args.end else None
    with store.connect(settings) as conn:
        try:
            curve = fetch_curve(conn, args.meter, args.resolution, start=start, end=end,
                                settings=settings)  # fmt: skip
        except LookupError as exc:
            print(f"releve curve: {exc}", file=sys.stderr)
            return 1
    curve["start"] = curve["start"].map(lambda ts: ts.isoformat())
    if args.format == "csv":
        curve.to_csv(sys.stdout, index=False)
        return 0
    for record in curve.to_dict(orient="records"):
        clean = {
            k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()
        }
        print(json.dumps(clean, ensure_ascii=False))
    return 0
