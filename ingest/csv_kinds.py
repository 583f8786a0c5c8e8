"""What kind of CSV file a header announces, told strictly from its column names.

Each kind is one ``FileKind``: the columns it needs and the columns that mark
another kind. A header must fit exactly one kind; one that fits none or several
is refused, naming what each kind needs, so a readings export is never taken
for a meters file (or the reverse). A new kind of file is one more entry in
``FILE_KINDS``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.columns import INDEX, KIND
from ingest.exceptions import FileProblem

TIMESTAMP = "timestamp"


@dataclass(frozen=True)
class FileKind:
    """A kind of CSV file: the columns it needs, and those it must not have."""

    name: str
    needs: tuple[str, ...]
    excludes: tuple[str, ...]

    def fits(self, columns: set[str]) -> bool:
        """Whether lower-cased ``columns`` (already mapped to our names) fit this kind."""
        return set(self.needs) <= columns and not set(self.excludes) & columns

    def describe(self) -> str:
        """``readings need timestamp, index and no kind``."""
        return f"{self.name} need {', '.join(self.needs)} and no {' or '.join(self.excludes)}"


FILE_KINDS = (
    FileKind("readings", needs=(TIMESTAMP, INDEX), excludes=(KIND,)),
    FileKind("meters", needs=(KIND,), excludes=(TIMESTAMP, INDEX)),
)


def classify_header(columns: tuple[str, ...], mapping: dict[str, str], path: str) -> str:
    """The one kind of ``FILE_KINDS`` the header fits; refused when it fits none or several.

    ``mapping`` maps our names to the file's columns (``--columns``).
    """
    renamed = {name.lower(): ours for ours, name in mapping.items()}
    lowered = {renamed.get(c.lower(), c.lower()) for c in columns}
    fitting = [k.name for k in FILE_KINDS if k.fits(lowered)]
    if len(fitting) == 1:
        return fitting[0]
    verdict = f"fits both {' and '.join(fitting)}" if fitting else "fits no kind of file"
    rules = "; ".join(k.describe() for k in FILE_KINDS)
    raise FileProblem(
        path,
        f"header {', '.join(columns)} {verdict} ({rules}); "
        "fix the header, map columns with --columns, or pass --kind",
    )
