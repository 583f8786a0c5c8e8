"""``releve simulate ...``: synthetic meters, gateways and labelled anomalies."""

import argparse
import sys

from releve.commands import register_group


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve simulate`` and its sub-commands."""
    register_group(subparsers, sys.modules[__name__], "synthetic meters, gateways and anomalies")
