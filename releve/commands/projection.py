"""``releve projection METER|--account A``: the contract year's consumption and instalment."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

import store
from releve.commands import job_as_of, local_time, time_argument
from releve.config import Settings
from releve.jobs.estimate import project_meters
from store.meters import fetch_meters


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve projection``."""
    parser = subparsers.add_parser(
        "projection", help="projected consumption to the end of the contract year"
    )
    parser.add_argument("meter", metavar="METER", nargs="?")
    parser.add_argument("--account", help="every meter of this account")
    parser.add_argument(
        "--as-of", type=time_argument, help="ISO 8601 (default now; no offset: local time)"
    )
    parser.add_argument(
        "--year-start", type=time_argument,
        help="start of the contract year, ISO 8601 (default 1 January of as-of)",
    )  # fmt: skip
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print each meter's projection."""
    if not args.meter and not args.account:
        print("releve projection: give a METER or --account A", file=sys.stderr)
        return 2
    settings = Settings.load()
    as_of = job_as_of(args, settings.timezone)
    year_start = (
        local_time(args.year_start, settings.timezone)
        if args.year_start
        else pd.Timestamp(year=as_of.year, month=1, day=1, tz=settings.timezone)
    )
    with store.connect(settings) as conn:
        meters = fetch_meters(conn, None if args.account else [args.meter])
        if args.account:
            meters = meters[meters["account_id"] == args.account]
        ids = meters["meter_id"].tolist()
        projections = project_meters(conn, ids, as_of=as_of, year_start=year_start,
                                     settings=settings)  # fmt: skip
    if not projections:
        print("releve projection: no estimated consumption for these meters; "
              "run `releve estimate` first", file=sys.stderr)  # fmt: skip
        return 1
    units = dict(zip(meters["meter_id"], meters["unit"], strict=True))
    for meter_id, p in projections.items():
        if args.format == "json":
            print(json.dumps({
                "meter_id": meter_id, "unit": units[meter_id],
                "year_start": p.year_start.isoformat(), "year_end": p.year_end.isoformat(),
                "consumed": p.consumed, "remaining": p.remaining, "total": p.total,
                "cost_eur": round(p.cost_eur, 2),
                "monthly_instalment_eur": round(p.monthly_instalment_eur, 2),
                "remaining_instalment_eur": round(p.remaining_instalment_eur, 2),
                "method": p.method,
            }))  # fmt: skip
        else:
            print(
                f"{meter_id}: {p.consumed:.3f} {units[meter_id]} so far, "
                f"{p.total:.3f} projected to {p.year_end:%Y-%m-%d} ({p.method}), "
                f"{p.cost_eur:.2f} EUR, monthly instalment {p.monthly_instalment_eur:.2f} EUR"
            )
    return 0
