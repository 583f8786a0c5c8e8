"""``releve demo``: the whole pipeline on the embedded default."""

from __future__ import annotations

import argparse

from releve.demo import run_demo


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve demo``."""
    parser = subparsers.add_parser("demo", help="run the whole story on the bundled sample")
    parser.set_defaults(func=lambda args: run_demo())
