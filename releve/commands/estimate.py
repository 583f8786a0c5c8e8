"""``releve estimate [--as-of T] [--meter M]``: validate reads, derive consumption, fill gaps."""

from __future__ import annotations

import argparse

import store
from releve.commands import add_job_arguments, job_as_of
from releve.config import Settings
from releve.jobs.estimate import run_estimate


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve estimate``."""
    parser = subparsers.add_parser(
        "estimate", help="validate reads, derive hourly consumption and fill gaps"
    )
    add_job_arguments(parser, meter_help="estimate only this meter, from scratch")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Estimate the due meters and print a summary."""
    settings = Settings.load()
    as_of = job_as_of(args, settings.timezone)
    with store.connect(settings) as conn:
        summary = run_estimate(
            conn,
            as_of=as_of,
            meter_ids=args.meters,
            settings=settings,
            connect_reader=lambda: store.connect(settings, autocommit=True),
        )
    print(
        f"estimated {summary.meters} meters as of {as_of.isoformat()}: "
        f"{summary.intervals} hourly intervals, {summary.written} written, "
        f"{summary.replaced} earlier estimates replaced, "
        f"{100 * summary.estimated_share:.1f}% of the volume estimated"
    )
    for code, count in sorted(summary.findings.items()):
        print(f"  {code}: {count}")
    return 0
