"""Sub-commands of ``releve``.

A module here exposes ``register(subparsers)``. A command with sub-commands of
its own (``releve ingest csv``, ``releve simulate gateway``) is a package here
whose ``__init__`` calls :func:`register_group`; each of its modules again
exposes ``register(subparsers)``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections import Counter
from types import ModuleType

import pandas as pd

from core import Partition
from releve.config import Settings
from releve.jobs.runner import JobLocked, RunReport, run_job


def register_group(subparsers: argparse._SubParsersAction, package: ModuleType, help: str) -> None:
    """Register a command whose sub-commands are the modules of ``package``."""
    name = package.__name__.rsplit(".", 1)[-1]
    parser = subparsers.add_parser(name, help=help, description=help)
    children = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        importlib.import_module(f"{package.__name__}.{info.name}").register(children)


def time_argument(text: str) -> pd.Timestamp:
    """argparse type: an ISO 8601 time; one without an offset is localised by :func:`local_time`."""
    try:
        return pd.Timestamp(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-03-01T00:00+01:00"
        ) from None


def local_time(ts: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """``ts`` with its offset, or read as local time in ``timezone`` when it has none."""
    return ts.tz_localize(timezone) if ts.tz is None else ts


def partition_argument(text: str) -> Partition:
    """argparse type: a partition ``i/N``."""
    try:
        return Partition.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_job_arguments(parser: argparse.ArgumentParser, *, meter_help: str) -> None:
    """``--as-of``, ``--meter``, ``--partition`` and ``--workers``, shared by the batch jobs."""
    parser.add_argument(
        "--as-of", type=time_argument,
        help="time of the run, ISO 8601 (default now; no offset: local time)",
    )  # fmt: skip
    parser.add_argument(
        "--meter", action="append", dest="meters", metavar="M", help=f"{meter_help} (repeatable)"
    )
    parser.add_argument(
        "--partition", type=partition_argument, metavar="i/N",
        help="run only partition i of N of the meters (by hash of the meter id); "
        "default: every partition, on this machine's cores",
    )  # fmt: skip
    parser.add_argument(
        "--workers", type=int, metavar="K",
        help="processes running partitions at once (default: one per CPU on large runs)",
    )  # fmt: skip
    parser.add_argument(
        "--cluster", metavar="URL",
        help="run the partitions as Dask tasks on the scheduler at URL (tcp://host:8786), "
        "or on local:K, a Dask LocalCluster of K workers (needs releve[dask])",
    )  # fmt: skip
    parser.add_argument(
        "--partitions", type=int, metavar="N",
        help="partitions of the meters on the cluster (default: 4 per worker core)",
    )  # fmt: skip


def run_batch_job(name: str, args: argparse.Namespace, settings: Settings) -> RunReport | None:
    """Run a batch job as the command line asked; None (after saying why) when it could not."""
    if args.cluster or args.partitions:
        return _run_on_cluster(name, args, settings)
    try:
        return run_job(
            name, settings, job_as_of(args, settings.timezone),
            partition=args.partition, meter_ids=args.meters, workers=args.workers,
        )  # fmt: skip
    except JobLocked as exc:
        print(f"releve {name}: {exc}", file=sys.stderr)
        return None


def _run_on_cluster(name: str, args: argparse.Namespace, settings: Settings) -> RunReport | None:
    """``--cluster``: the partitions as Dask tasks, with progress on stderr."""
    from releve.jobs.cluster import ClusterError, Progress, run_on_cluster

    if not args.cluster or args.partition or args.workers:
        print(f"releve {name}: --partitions goes with --cluster, and --cluster neither with "
              "--partition nor --workers", file=sys.stderr)  # fmt: skip
        return None
    if args.partitions is not None and args.partitions < 1:
        print(f"releve {name}: --partitions must be 1 or more", file=sys.stderr)
        return None

    def show(progress: Progress) -> None:
        if progress.done == 0 and progress.dashboard:
            print(f"releve {name}: Dask dashboard at {progress.dashboard}", file=sys.stderr)
        print(f"releve {name}: {progress.done}/{progress.total} partitions, "
              f"{progress.meters} meters, {progress.meters_per_s:.1f} meters/s", file=sys.stderr)  # fmt: skip

    try:
        return run_on_cluster(
            name, settings, job_as_of(args, settings.timezone), cluster=args.cluster,
            partitions=args.partitions, meter_ids=args.meters, on_progress=show,
        )  # fmt: skip
    except (ClusterError, OSError) as exc:
        print(f"releve {name}: {exc}", file=sys.stderr)
        return None


def report_failures(name: str, report: RunReport, *, shown: int = 10) -> int:
    """Say on stderr which meters and partitions failed and why; the exit code (0 none, 1 some)."""
    for failed in report.failed_partitions:
        meters = "unknown meters" if failed.meters is None else f"{len(failed.meters)} meters"
        listed = ", ".join((failed.meters or [])[:shown])
        print(f"releve {name}: partition {failed.partition} failed after retries, {meters} "
              f"left due ({listed}): {failed.error}", file=sys.stderr)  # fmt: skip
    if not report.failures:
        return 1 if report.failed_partitions else 0
    by_error = Counter(f"{f.error_type}: {f.message}" for f in report.failures)
    print(f"releve {name}: {len(report.failures)} meters failed and were skipped "
          "(recorded in job_errors; the next run tries them again):", file=sys.stderr)  # fmt: skip
    for failure in report.failures[:shown]:
        print(f"  {failure.meter_id}: {failure.error_type}: {failure.message}", file=sys.stderr)
    if len(report.failures) > shown:
        print(f"  ... and {len(report.failures) - shown} more; by error:", file=sys.stderr)
        for error, count in by_error.most_common(shown):
            print(f"  {count} x {error}", file=sys.stderr)
    return 1


def job_as_of(args: argparse.Namespace, timezone: str) -> pd.Timestamp:
    """The ``--as-of`` of a batch job, or now."""
    return local_time(args.as_of, timezone) if args.as_of else pd.Timestamp.now("UTC")
