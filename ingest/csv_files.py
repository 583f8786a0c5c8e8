"""Reading CSV files as chunks of raw lines: compression, encoding, header, delimiter.

Lines are kept raw so that a rejected row is quarantined as it was written,
with its line number.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ingest.exceptions import FileProblem

GZIP_MAGIC = b"\x1f\x8b"
SNIFF_BYTES = 64 * 1024


@dataclass(frozen=True)
class CsvHeader:
    """What the first line of a file tells: its columns and delimiter."""

    columns: tuple[str, ...]
    delimiter: str

    @property
    def decimal_comma(self) -> bool:
        """Whether a decimal comma is accepted (only with ``;`` as delimiter)."""
        return self.delimiter == ";"


MAX_LINE_CHARS = 1 << 16
# Ends a line cut at MAX_LINE_CHARS; NUL cannot stand in a reading, so the row is rejected.
CUT_MARK = "\x00[line cut: over 65,536 characters]"


class Utf8Stream(io.RawIOBase):
    """Bytes of a text handle re-encoded as UTF-8, for the CSV splitter.

    Undecodable input arrives as U+FFFD, never as an error. A line longer than
    ``MAX_LINE_CHARS`` is cut there and marked with ``CUT_MARK``: one hostile
    line must not stop the file, nor hold it all in memory.
    """

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending = b""
        self._line_chars = 0  # characters passed on of the line under way
        self._cut = False  # whether the line under way was cut

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            data, self._pending = self._pending + self._guard(self._text.read()).encode(), b""
            return data
        while len(self._pending) < size:
            more = self._text.read(max(size, 1 << 16))
            if not more:
                break
            self._pending += self._guard(more).encode()
        data, self._pending = self._pending[:size], self._pending[size:]
        return data

    def _guard(self, text: str) -> str:
        pieces = text.split("\n")
        lengths = list(map(len, pieces))
        if not self._cut and self._line_chars + lengths[0] <= MAX_LINE_CHARS >= max(lengths):
            self._line_chars = self._line_chars + lengths[0] if len(pieces) == 1 else lengths[-1]
            return text
        out = []
        for i, piece in enumerate(pieces):
            if i:
                out.append("\n")
                self._line_chars, self._cut = 0, False
            if self._cut:
                continue
            room = MAX_LINE_CHARS - self._line_chars
            if len(piece) > room:
                out.append(piece[:room] + CUT_MARK)
                self._cut = True
            else:
                out.append(piece)
            self._line_chars += min(len(piece), room)
        return "".join(out)


def open_text(path: Path) -> IO[str]:
    """Open a CSV file as text: gzip when compressed, UTF-8 with or without BOM."""
    try:
        with open(path, "rb") as probe:
            head = probe.read(SNIFF_BYTES)
    except OSError as exc:
        raise FileProblem(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    raw: IO[bytes] | gzip.GzipFile
    if head.startswith(GZIP_MAGIC):
        raw = gzip.open(path, "rb")  # noqa: SIM115 - closed by the returned wrapper
        try:
            head = raw.read(SNIFF_BYTES)
        except (OSError, EOFError) as exc:
            raw.close()
            raise FileProblem(str(path), f"is a damaged or truncated gzip file ({exc})") from exc
        raw.seek(0)
    else:
        raw = open(path, "rb")  # noqa: SIM115 - closed by the returned wrapper
    if b"\x00" in head:
        raw.close()
        raise FileProblem(str(path), "is binary (NUL bytes), not a CSV text file")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head[: SNIFF_BYTES - 4])
    except UnicodeDecodeError as exc:
        raw.close()
        raise FileProblem(
            str(path), f"is not UTF-8 text (byte {exc.start}); re-export it as UTF-8"
        ) from exc
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")


def parse_header(line: str, path: str) -> CsvHeader:
    """Column names and delimiter of a header line."""
    text = line.strip("\r\n")
    if not text.strip():
        raise FileProblem(path, "has no header line (the first line is empty)")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    columns = tuple(c.strip() for c in next(csv.reader([text], delimiter=delimiter)))
    if len(columns) < 2:
        raise FileProblem(path, f"has no CSV header: first line is {text[:80]!r}")
    seen: dict[str, str] = {}
    for name in columns:
        if name.lower() in seen:
            raise FileProblem(
                path,
                f"names column {name!r} more than once (first as {seen[name.lower()]!r}); "
                "which one holds the data is unclear: rename or drop one",
            )
        seen[name.lower()] = name
    return CsvHeader(columns, delimiter)


def check_gzip_complete(path: Path) -> None:
    """Read a gzip file through once, so that a truncated one is refused before any write."""
    with open(path, "rb") as probe:
        if not probe.read(2).startswith(GZIP_MAGIC):
            return
    try:
        with gzip.open(path, "rb") as stream:
            while stream.read(1 << 22):
                pass
    except (OSError, EOFError) as exc:
        raise FileProblem(str(path), f"is a damaged or truncated gzip file ({exc})") from exc
