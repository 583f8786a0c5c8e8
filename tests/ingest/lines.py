"""Splitting test lines exactly as the CSV loader does."""

from __future__ import annotations

import io

import pandas as pd

from ingest.csv_fields import _fields_empty, read_field_batches
from ingest.csv_files import CsvHeader
from ingest.rows import no_rejections


def split_lines(
    lines: list[str], header: CsvHeader, location: str = "f.csv"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fields and wrong-width rejections of data lines, as the loader would split them."""
    data = ("\n".join(lines) + "\n").encode() if lines else b""
    parts = list(read_field_batches(io.BytesIO(data), header, location=location))
    if not parts:
        return _fields_empty(len(header.columns)), no_rejections()
    return pd.concat([f for f, _ in parts]), pd.concat([b for _, b in parts])
