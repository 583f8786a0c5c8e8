"""``releve ingest ...``: readings in."""

import argparse
import sys

from releve.commands import register_group


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve ingest`` and its sub-commands."""
    register_group(subparsers, sys.modules[__name__], "load readings into the store")
