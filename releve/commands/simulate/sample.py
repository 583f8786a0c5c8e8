"""``releve simulate sample``: regenerate the bundled sample data."""

from __future__ import annotations

import argparse
from pathlib import Path

from releve.simulate.sample import write_sample


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve simulate sample``."""
    parser = subparsers.add_parser("sample", help="write the small sample meters and readings CSV")
    parser.add_argument("--out", type=Path, default=Path("data/sample"))
    parser.add_argument("--seed", type=int, default=7)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the sample files and say where."""
    for path in write_sample(args.out, seed=args.seed):
        print(f"wrote {path}")
    return 0
