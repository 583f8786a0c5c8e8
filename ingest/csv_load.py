"""Loading CSV files into the store, batch by batch, memory flat whatever the size.

A reader thread splits and validates the next batch while the current one is
written, so that parsing and the database work overlap.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pandas as pd
import psycopg

from ingest.csv_fields import BLOCK_BYTES, read_field_batches
from ingest.csv_files import CsvHeader, Utf8Stream, check_gzip_complete, open_text, parse_header
from ingest.csv_kinds import classify_header
from ingest.exceptions import FileProblem
from ingest.load import LoadResult, store_readings
from ingest.meters_csv import parse_meters, resolve_meter_columns
from ingest.readings_csv import ReadingsCsvOptions, parse_readings, resolve_columns
from store.batches import add_batch_counts, insert_batch
from store.meters import upsert_meters
from store.quarantine import upsert_quarantine

Progress = Callable[[int], None]
T = TypeVar("T")


@dataclass(frozen=True)
class FileOutcome:
    """What one file gave: its kind, counts and time, or the problem that stopped it."""

    path: str
    kind: str | None
    result: LoadResult
    seconds: float
    problem: str | None = None


def load_csv_file(
    conn: psycopg.Connection,
    path: Path,
    options: ReadingsCsvOptions,
    *,
    kind: str | None = None,
    block_bytes: int = BLOCK_BYTES,
    progress: Progress | None = None,
    extra_writer: psycopg.Connection | None = None,
) -> FileOutcome:
    """Load one readings or meters CSV file; a file-level problem stops it before any write.

    With ``extra_writer``, readings batches are written over two connections at
    once (each batch in its own transaction), so the server uses two cores.
    """
    started = time.perf_counter()
    result = LoadResult()
    try:
        with open_text(path) as handle:
            check_gzip_complete(path)
            header = parse_header(handle.readline(), str(path))
            kind = kind or classify_header(header.columns, options.columns, str(path))
            batches = read_field_batches(
                Utf8Stream(handle), header, location=str(path), block_bytes=block_bytes
            )
            if kind == "meters":
                _load_meters(conn, batches, header, path, result, progress)
            else:
                writers = [conn] if extra_writer is None else [conn, extra_writer]
                _load_readings(writers, batches, header, options, path, result, progress)
    except FileProblem as exc:
        return FileOutcome(str(path), kind, result, time.perf_counter() - started, exc.problem)
    return FileOutcome(str(path), kind, result, time.perf_counter() - started)


def _load_readings(
    writers, batches, header: CsvHeader, options, path: Path, result, progress
) -> None:
    location = str(path)
    positions = resolve_columns(header, options, location)
    source = options.source or f"csv:{path.name}"
    batch_id = _open_batch(writers[0], source, location)
    now = pd.Timestamp.now(tz="UTC")

    def parsed() -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
        for fields, bad_lines in batches:
            readings, rejects = parse_readings(
                fields, positions, header, options, location=location, now=now
            )
            yield readings, pd.concat([bad_lines, rejects]) if not bad_lines.empty else rejects

    idle: queue.Queue[psycopg.Connection] = queue.Queue()
    for writer in writers:
        idle.put(writer)

    def write(readings: pd.DataFrame, rejects: pd.DataFrame) -> LoadResult:
        writer = idle.get()
        try:
            return store_readings(
                writer, readings, rejects, source=source, location=location, batch_id=batch_id
            )
        finally:
            idle.put(writer)

    with ThreadPoolExecutor(max_workers=len(writers), thread_name_prefix="csv-writer") as pool:
        pending: list[Future[LoadResult]] = []
        for readings, rejects in read_ahead(parsed()):
            pending.append(pool.submit(write, readings, rejects))
            while len(pending) >= len(writers):
                result += pending.pop(0).result()
                if progress:
                    progress(result.rows_read)
        for future in pending:
            result += future.result()


def _load_meters(conn, batches, header: CsvHeader, path: Path, result, progress) -> None:
    location = str(path)
    positions = resolve_meter_columns(header.columns, location)
    source = f"csv:{path.name}"
    batch_id = _open_batch(conn, source, location)
    for fields, bad_lines in batches:
        meters, rejects = parse_meters(fields, positions, location=location)
        rejects = pd.concat([bad_lines, rejects]) if not bad_lines.empty else rejects
        with conn.transaction():
            stored = upsert_meters(conn, meters)
            upsert_quarantine(conn, rejects, source=source, batch_id=batch_id)
            add_batch_counts(
                conn,
                batch_id,
                rows_read=len(meters) + len(rejects),
                stored=stored,
                duplicates=0,
                quarantined=len(rejects),
            )
        result += LoadResult(len(meters) + len(rejects), stored, 0, Counter(rejects["reason_code"]))
        if progress:
            progress(result.rows_read)


def read_ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Yield ``items`` while a thread produces the next ``depth`` ahead; its errors re-raise here."""
    buffer: queue.Queue[tuple[str, object]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[str, object]) -> bool:
        while not stop.is_set():
            try:
                buffer.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    return
            put(("end", None))
        except BaseException as exc:  # handed to the consumer, which raises it
            put(("error", exc))

    thread = threading.Thread(target=produce, name="csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = buffer.get()
            if kind == "end":
                return
            if kind == "error":
                raise value  # type: ignore[misc]
            yield value  # type: ignore[misc]
    finally:
        stop.set()
        thread.join()


def _open_batch(conn: psycopg.Connection, source: str, location: str) -> int:
    with conn.transaction():
        return insert_batch(conn, source=source, location=location)
