"""``releve demo``: the whole pipeline on the embedded default."""

from __future__ import annotations

import argparse

from releve.demo import run_demo


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve demo``."""
    parser = subparsers.add_parser(
        "demo", help="run the whole story on the bundled sample, then serve the portal bridge"
    )
    parser.add_argument(
        "--no-serve", dest="serve", action="store_false",
        help="stop after the story instead of serving the bridge on http://127.0.0.1:8000",
    )  # fmt: skip
    parser.set_defaults(func=lambda args: run_demo(serve=args.serve))
