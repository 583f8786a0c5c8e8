"""``releve projection METER|--account A``: the contract year's consumption and instalment."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from core.columns import METER_ID, METHOD, UNIT
from estimate import project_meters
from releve.commands import job_as_of, local_time, time_argument
from releve.config import Settings
from releve.connect import open_store
from store.consumption import fetch_hourly
from store.meters import fetch_account_meters, fetch_meter_models


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
    with open_store(settings) as conn:
        ids = (
            fetch_account_meters(conn, args.account)[METER_ID].tolist()
            if args.account
            else [args.meter]
        )
        meters = fetch_meter_models(conn, ids, settings.meter_defaults)
        hourly = fetch_hourly(conn, list(meters), year_start - pd.DateOffset(years=1), as_of)
    projections, refused = project_meters(
        hourly, meters, as_of=as_of, year_start=year_start, tariff=settings.tariff
    )
    for meter_id, reason in refused.items():
        print(f"releve projection: no projection for {meter_id}: {reason}", file=sys.stderr)
    if not projections:
        print("releve projection: no estimated consumption for these meters; "
              "run `releve estimate` first", file=sys.stderr)  # fmt: skip
        return 1
    units = {meter_id: meter.unit for meter_id, meter in meters.items()}
    for meter_id, p in projections.items():
        if args.format == "json":
            print(json.dumps({
                METER_ID: meter_id, UNIT: units[meter_id],
                "year_start": p.year_start.isoformat(), "year_end": p.year_end.isoformat(),
                "consumed": p.consumed, "remaining": p.remaining, "total": p.total,
                "cost_eur": round(p.cost_eur, 2),
                "monthly_instalment_eur": round(p.monthly_instalment_eur, 2),
                "remaining_instalment_eur": round(p.remaining_instalment_eur, 2),
                METHOD: p.method,
            }))  # fmt: skip
        else:
            print(
                f"{meter_id}: {p.consumed:.3f} {units[meter_id]} so far, "
                f"{p.total:.3f} projected to {p.year_end:%Y-%m-%d} ({p.method}), "
                f"{p.cost_eur:.2f} EUR, monthly instalment {p.monthly_instalment_eur:.2f} EUR"
            )
    return 0
