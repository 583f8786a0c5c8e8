"""``releve estimate [--as-of T] [--meter M] [--partition i/N]``: validate reads,
derive consumption, fill gaps.

Exit codes: 0 done, 1 done with meters that failed (listed on stderr), 2 could not run.
"""

from __future__ import annotations

import argparse

from releve.commands import add_job_arguments, report_failures, run_batch_job
from releve.config import Settings


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
    report = run_batch_job("estimate", args, settings)
    if report is None:
        return 2
    summary = report.summary
    print(
        f"estimated {summary.meters} meters in {report.partitions} partitions: "
        f"{summary.intervals} hourly intervals, {summary.written} written, "
        f"{summary.replaced} earlier estimates replaced, "
        f"{100 * summary.estimated_share:.1f}% of the volume estimated over gaps"
    )
    for code, count in sorted(summary.findings.items()):
        print(f"  {code}: {count}")
    return report_failures("estimate", report)
