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
from types import ModuleType

import pandas as pd


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


def add_job_arguments(parser: argparse.ArgumentParser, *, meter_help: str) -> None:
    """``--as-of`` and ``--meter``, shared by the batch jobs."""
    parser.add_argument(
        "--as-of", type=time_argument,
        help="time of the run, ISO 8601 (default now; no offset: local time)",
    )  # fmt: skip
    parser.add_argument(
        "--meter", action="append", dest="meters", metavar="M", help=f"{meter_help} (repeatable)"
    )


def job_as_of(args: argparse.Namespace, timezone: str) -> pd.Timestamp:
    """The ``--as-of`` of a batch job, or now."""
    return local_time(args.as_of, timezone) if args.as_of else pd.Timestamp.now("UTC")
