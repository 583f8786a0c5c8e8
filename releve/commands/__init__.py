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


def register_group(subparsers: argparse._SubParsersAction, package: ModuleType, help: str) -> None:
    """Register a command whose sub-commands are the modules of ``package``."""
    name = package.__name__.rsplit(".", 1)[-1]
    parser = subparsers.add_parser(name, help=help, description=help)
    children = parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        importlib.import_module(f"{package.__name__}.{info.name}").register(children)
