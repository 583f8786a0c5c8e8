"""Loading CSV files into the store, chunk by chunk, memory flat whatever the size."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import psycopg

from ingest.csv_files import check_gzip_complete, open_text, parse_header, read_line_chunks
from ingest.exceptions import FileProblem
from ingest.load import LoadResult, store_readings
from ingest.meters_csv import parse_meters, resolve_meter_columns
from ingest.readings_csv import ReadingsCsvOptions, parse_readings, resolve_columns, split_fields
from store.batches import add_batch_counts, insert_batch
from store.meters import upsert_meters
from store.quarantine import upsert_quarantine

CHUNK_ROWS = 100_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class FileOutcome:
    """What one file gave: its kind, counts and time, or the problem that stopped it."""

    path: str
    kind: str | None
    result: LoadResult
    seconds: float
    problem: str | None = None


def detect_kind(columns: tuple[str, ...], options: ReadingsCsvOptions) -> str:
    """``meters`` when the header has a ``kind`` column, else ``readings``."""
    lowered = {c.lower() for c in columns}
    if "kind" in lowered and options.columns.get("index", "index").lower() not in lowered:
        return "meters"
    return "readings"


def load_csv_file(
    conn: psycopg.Connection, path: Path, options: ReadingsCsvOptions, *,
    kind: str | None = None, chunk_rows: int = CHUNK_ROWS, progress: Progress | None = None,
) -> FileOutcome:
    """Load one readings or meters CSV file; a file-level problem stops it before any write."""
    started = time.perf_counter()
    result = LoadResult()
    try:
        with open_text(path) as handle:
            check_gzip_complete(path)
            header = parse_header(handle.readline(), str(path))
            kind = kind or detect_kind(header.columns, options)
            load = _load_meters if kind == "meters" else _load_readings
            load(conn, handle, header, options, path, chunk_rows, result, progress)
    except FileProblem as exc:
        return FileOutcome(str(path), kind, result, time.perf_counter() - started, exc.problem)
    return FileOutcome(str(path), kind, result, time.perf_counter() - started)


def _load_readings(conn, handle, header, options, path, chunk_rows, result, progress) -> None:
    location = str(path)
    positions = resolve_columns(header, options, location)
    source = options.source or f"csv:{path.name}"
    batch_id = _open_batch(conn, source, location)
    now = pd.Timestamp.now(tz="UTC")
    for chunk in read_line_chunks(handle, first_line=2, size=chunk_rows):
        fields, bad_lines = split_fields(chunk, header, location)
        readings, rejects = parse_readings(fields, positions, header, options, location=location, now=now)
        rejects = pd.concat([bad_lines, rejects]) if not bad_lines.empty else rejects
        result += store_readings(conn, readings, rejects, source=source, location=location, batch_id=batch_id)
        if progress:
            progress(result.rows_read)


def _load_meters(conn, handle, header, options, path, chunk_rows, result, progress) -> None:
    location = str(path)
    positions = resolve_meter_columns(header.columns, location)
    source = f"csv:{path.name}"
    batch_id = _open_batch(conn, source, location)
    for chunk in read_line_chunks(handle, first_line=2, size=chunk_rows):
        fields, bad_lines = split_fields(chunk, header, location)
        meters, rejects = parse_meters(fields, positions, location=location)
        rejects = pd.concat([bad_lines, rejects]) if not bad_lines.empty else rejects
        with conn.transaction():
            stored = upsert_meters(conn, meters)
            upsert_quarantine(conn, rejects, source=source, batch_id=batch_id)
            add_batch_counts(conn, batch_id, rows_read=len(fields) + len(bad_lines), stored=stored,
                             duplicates=0, quarantined=len(rejects))
        result += LoadResult(len(meters) + len(rejects), stored, 0, _count(rejects))
        if progress:
            progress(result.rows_read)


def _open_batch(conn: psycopg.Connection, source: str, location: str) -> int:
    with conn.transaction():
        return insert_batch(conn, source=source, location=location)


def _count(rejects: pd.DataFrame):
    from collections import Counter

    return Counter(rejects["reason_code"])
