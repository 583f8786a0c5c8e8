"""Splitting CSV data lines into string fields, fast, streaming, losing no line.

pyarrow's streaming CSV reader splits lines on the delimiter, with quoting
off: a stray quote must not swallow the good lines after it. The few lines
that hold quotes are split again by the ``csv`` module; a line that still has
the wrong number of fields is rejected with its line number. Every field stays
a string for validation to judge.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Iterator
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ingest.csv_files import CUT_MARK, CsvHeader
from ingest.rows import Rejections, no_rejections, reject_rows

BLOCK_BYTES = 2 << 20  # about 40,000 rows: peak memory grows with it, speed does not


def read_field_batches(
    stream: IO[bytes] | io.RawIOBase,
    header: CsvHeader,
    *,
    location: str,
    first_line: int = 2,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[tuple[pd.DataFrame, Rejections]]:
    """Batches of data rows as string columns ``0..n-1`` plus ``line`` and ``raw``.

    ``stream`` starts at line ``first_line``. Blank lines are skipped; lines
    with the wrong field count are rejected, in the batch they fall in.
    """
    width = len(header.columns)
    # pyarrow may parse the next block while a batch is being handled, so the
    # callback can report rows of a later batch: take what is there, never clear.
    reported: deque[tuple[int, str, int]] = deque()

    def on_invalid(row: pacsv.InvalidRow) -> str:
        reported.append((row.number, row.text, row.actual_columns))
        return "skip"

    names = [str(i) for i in range(width)]
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=block_bytes, column_names=names
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=header.delimiter,
            quote_char=False,
            invalid_row_handler=on_invalid,
            ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    next_line = first_line
    seen_invalid: set[int] = set()
    for batch in reader:
        invalid = _drain(reported)
        seen_invalid.update(number + first_line - 1 for number, _, _ in invalid)
        lines = _good_line_numbers(next_line, batch.num_rows, seen_invalid)
        if batch.num_rows:
            next_line = int(lines[-1]) + 1
            seen_invalid = {line for line in seen_invalid if line >= next_line}
        fields = _fields(batch, lines, header.delimiter, width)
        yield _requote(fields, invalid, header.delimiter, width, first_line, location)
    if invalid := _drain(reported):
        yield _requote(_fields_empty(width), invalid, header.delimiter, width, first_line, location)


def _drain(reported: deque[tuple[int, str, int]]) -> list[tuple[int, str, int]]:
    taken = []
    while reported:
        taken.append(reported.popleft())
    return taken


def _good_line_numbers(start: int, count: int, invalid: set[int]) -> np.ndarray:
    """The first ``count`` line numbers from ``start`` that are not invalid lines."""
    candidates = np.arange(start, start + count + len(invalid))
    if invalid:
        candidates = candidates[~np.isin(candidates, np.fromiter(invalid, dtype=np.int64))]
    return candidates[:count]


def _fields(batch: pa.RecordBatch, lines: np.ndarray, delimiter: str, width: int) -> pd.DataFrame:
    columns = [batch.column(i) for i in range(width)]
    raw = pc.binary_join_element_wise(*columns, delimiter)
    blank = pc.equal(
        pc.utf8_trim_whitespace(raw), pa.scalar(delimiter * (width - 1)).cast(pa.string())
    )
    keep = pc.invert(blank)
    frame = (
        pa.table([*columns, raw], names=[*map(str, range(width)), "raw"]).filter(keep).to_pandas()
    )
    frame.columns = [*range(width), "raw"]
    frame["line"] = lines[np.asarray(keep.to_numpy(zero_copy_only=False), dtype=bool)]
    return frame


def _requote(
    fields: pd.DataFrame,
    invalid: list[tuple[int, str, int]],
    delimiter: str,
    width: int,
    first_line: int,
    location: str,
) -> tuple[pd.DataFrame, Rejections]:
    """Split lines holding quotes with the ``csv`` module; reject those that still do not fit,
    and those holding a NUL (a cut line, or binary junk: PostgreSQL text cannot hold it)."""
    nul = fields["raw"].str.contains("\x00", regex=False)
    nul_rows = [
        (int(n), raw)
        for n, raw in zip(fields.loc[nul, "line"], fields.loc[nul, "raw"], strict=True)
    ]
    nul_rows += [(number + first_line - 1, text) for number, text, _ in invalid if "\x00" in text]
    invalid = [item for item in invalid if "\x00" not in item[1]]
    fields, rejects = _split_quoted(fields[~nul], invalid, delimiter, width, first_line, location)
    if not nul_rows:
        return fields, rejects
    return fields, pd.concat([_nul_rejects(nul_rows, location), rejects])


def _nul_rejects(rows: list[tuple[int, str]], location: str) -> Rejections:
    cut = [CUT_MARK in raw for _, raw in rows]
    return reject_rows(
        location,
        pd.Series([line for line, _ in rows]),
        pd.Series([raw.replace(CUT_MARK, "") for _, raw in rows]),
        [
            "line is longer than 65,536 characters and was cut; it cannot be a reading"
            if c
            else "line holds a NUL byte (binary data); re-export the file as text"
            for c in cut
        ],
        ["line_too_long" if c else "nul_byte" for c in cut],
    )


def _split_quoted(
    fields: pd.DataFrame,
    invalid: list[tuple[int, str, int]],
    delimiter: str,
    width: int,
    first_line: int,
    location: str,
) -> tuple[pd.DataFrame, Rejections]:
    quoted = fields["raw"].str.contains('"', regex=False)
    candidates = [
        (int(line), raw)
        for line, raw in zip(fields.loc[quoted, "line"], fields.loc[quoted, "raw"], strict=True)
    ]
    candidates += [(number + first_line - 1, text) for number, text, _ in invalid]
    good: list[tuple[int, str, list[str]]] = []
    bad: list[tuple[int, str, list[str]]] = []
    for line, raw in candidates:
        parts = next(csv.reader([raw], delimiter=delimiter), [])
        (good if len(parts) == width else bad).append((line, raw, parts))
    if not candidates:
        return fields, no_rejections()
    rescued = pd.DataFrame([parts for _, _, parts in good], columns=range(width), dtype=str)
    rescued["raw"] = pd.Series([raw for _, raw, _ in good], dtype=str)
    rescued["line"] = pd.Series([line for line, _, _ in good], dtype=np.int64)
    merged = pd.concat([fields[~quoted], rescued], ignore_index=True).sort_values(
        "line", ignore_index=True
    )
    rejects = reject_rows(
        location,
        pd.Series([line for line, _, _ in bad]),
        pd.Series([raw for _, raw, _ in bad]),
        [
            f"line has {len(parts)} fields where the header has {width}; "
            "check the delimiter and quoting of this line"
            for _, _, parts in bad
        ],
        "wrong_field_count",
    )
    return merged, rejects


def _fields_empty(width: int) -> pd.DataFrame:
    frame = pd.DataFrame({i: pd.Series([], dtype=str) for i in range(width)})
    frame["raw"] = pd.Series([], dtype=str)
    frame["line"] = pd.Series([], dtype=np.int64)
    return frame
