"""``releve detect [--as-of T] [--meter M]``: run the detectors, open/extend/resolve alerts."""

from __future__ import annotations

import argparse

import store
from releve.commands import add_job_arguments, job_as_of
from releve.config import Settings
from releve.jobs.detect import run_detect


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve detect``."""
    parser = subparsers.add_parser(
        "detect", help="run the anomaly detectors and open, extend or resolve alerts"
    )
    add_job_arguments(parser, meter_help="run only this meter, whatever its state")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Detect on the due meters and print a summary."""
    settings = Settings.load()
    as_of = job_as_of(args, settings.timezone)
    with store.connect(settings) as conn:
        summary = run_detect(conn, as_of=as_of, meter_ids=args.meters, settings=settings)
    print(f"detected on {summary.meters} meters as of {as_of.isoformat()}")
    for kind, count in sorted(summary.episodes.items()):
        print(f"  {kind}: {count} episodes")
    for event, count in sorted(summary.events.items()):
        print(f"  alerts {event}: {count}")
    return 0
