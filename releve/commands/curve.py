"""``releve curve METER --resolution hour|day|month|year``: a meter's consumption curve."""

from __future__ import annotations

import argparse
import json
import math
import sys

from core import Resolution
from core.columns import START
from releve.commands import local_time, time_argument
from releve.config import Settings
from releve.connect import open_store
from store.curves import fetch_curve
from store.meters import fetch_meter_models


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve curve``."""
    parser = subparsers.add_parser("curve", help="print a meter's consumption curve")
    parser.add_argument("meter", metavar="METER")
    parser.add_argument("--resolution", choices=list(Resolution), default=Resolution.DAY)
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
    with open_store(settings) as conn:
        meter = fetch_meter_models(conn, [args.meter], settings.meter_defaults).get(args.meter)
        if meter is None:
            print(f"releve curve: meter {args.meter} is unknown; load its readings or meters "
                  "CSV first", file=sys.stderr)  # fmt: skip
            return 1
        curve = fetch_curve(conn, meter, args.resolution, start=start, end=end)
    curve[START] = curve[START].map(lambda ts: ts.isoformat())
    if args.format == "csv":
        curve.to_csv(sys.stdout, index=False)
        return 0
    for record in curve.to_dict(orient="records"):
        clean = {
            k: None if isinstance(v, float) and math.isnan(v) else v for k, v in record.items()
        }
        print(json.dumps(clean, ensure_ascii=False))
    return 0
