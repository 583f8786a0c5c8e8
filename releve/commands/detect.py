"""``releve detect [--as-of T] [--meter M] [--partition i/N]``: run the detectors,
open/extend/resolve alerts.

Exit codes: 0 done, 1 done with meters that failed (listed on stderr), 2 could not run.
"""

from __future__ import annotations

import argparse

from releve.commands import add_job_arguments, report_failures, run_batch_job
from releve.config import Settings


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
    report = run_batch_job("detect", args, settings)
    if report is None:
        return 2
    summary = report.summary
    print(f"detected on {summary.meters} meters in {report.partitions} partitions")
    for kind, count in sorted(summary.episodes.items()):
        print(f"  {kind}: {count} episodes")
    for event, count in sorted(summary.events.items()):
        print(f"  alerts {event}: {count}")
    return report_failures("detect", report)
