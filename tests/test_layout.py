"""The import graph: the domain core at the bottom, the command line at the top."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ingest", "store", "estimate", "detect", "notify", "portal_bridge", "releve")
# what each package must not import (PRODUCT.md layout, STYLE.md 1 and 13)
FORBIDDEN = {
    "core": set(PACKAGES) - {"core"},
    "store": {"releve", "detect", "estimate", "ingest", "notify", "portal_bridge"},
    "estimate": {"releve", "store", "ingest", "detect", "notify", "portal_bridge", "psycopg"},
    "detect": {"releve", "store", "ingest", "estimate", "notify", "portal_bridge", "psycopg"},
    "ingest": {"releve"},
    "notify": {"releve"},
    "portal_bridge": {"releve"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level names a module imports (absolute imports only)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", list(FORBIDDEN))
def test_a_package_imports_nothing_above_it(package: str) -> None:
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in wrong.items() if v} == {}
