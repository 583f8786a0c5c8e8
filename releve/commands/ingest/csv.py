"""``releve ingest csv FILE...``: load readings or meters CSV files."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from ingest.csv_load import FileOutcome, load_csv_file
from ingest.readings_csv import TARGETS, ReadingsCsvOptions
from ingest.units import normalize_unit
from releve.config import Settings
from releve.connect import open_store


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve ingest csv``."""
    parser = subparsers.add_parser(
        "csv", help="load readings or meters CSV files (.csv or .csv.gz)"
    )
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
    parser.add_argument(
        "--kind", choices=["readings", "meters"], help="default: told by the header"
    )
    parser.add_argument(
        "--columns",
        type=parse_column_map,
        default={},
        help='map source columns: meter_id="user key",timestamp=datetime,index="meter reading"',
    )
    parser.add_argument(
        "--unit", type=_unit, help="unit for files without a unit column (m3, L, kWh, Wh)"
    )
    parser.add_argument(
        "--timestamp-format",
        help='strptime format for non-ISO times, e.g. "%%d/%%m/%%Y %%H:%%M:%%S"',
    )
    parser.add_argument(
        "--timezone", help="timezone of times without offset (default RELEVE_TIMEZONE)"
    )
    parser.add_argument("--source", help="source recorded with each reading (default csv:FILENAME)")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when anything was quarantined"
    )
    parser.set_defaults(func=run)


def parse_column_map(text: str) -> dict[str, str]:
    """``a=b,c="d e"`` -> {a: b, c: "d e"}; our names must be known columns."""
    import csv

    mapping = {}
    for item in next(csv.reader([text], skipinitialspace=True)):
        target, sep, name = item.partition("=")
        target, name = target.strip(), name.strip().strip('"')
        if not sep or target not in TARGETS or not name:
            raise argparse.ArgumentTypeError(
                f"{item!r}: expected NAME=COLUMN with NAME one of {', '.join(TARGETS)}"
            )
        mapping[target] = name
    return mapping


def _unit(text: str) -> str:
    unit = normalize_unit(text)
    if unit is None:
        raise argparse.ArgumentTypeError(f"unknown unit {text!r}: use m3, L, kWh or Wh")
    return unit


def run(args: argparse.Namespace) -> int:
    """Load each file; report per file and in total."""
    settings = Settings.load()
    options = ReadingsCsvOptions(
        columns=args.columns,
        unit=args.unit,
        timestamp_format=args.timestamp_format,
        timezone=args.timezone or settings.timezone,
        source=args.source,
    )
    outcomes = []
    with open_store(settings) as conn, open_store(settings) as extra_writer:
        for path in args.files:
            progress = _progress_printer(path) if sys.stderr.isatty() else None
            outcome = load_csv_file(
                conn, path, options, kind=args.kind, progress=progress, extra_writer=extra_writer
            )
            if progress:
                print(file=sys.stderr)
            outcomes.append(outcome)
            print(format_outcome(outcome))
    print(format_total(outcomes))
    if any(o.problem for o in outcomes):
        return 2
    if args.strict and any(o.result.quarantined_total for o in outcomes):
        return 1
    return 0


def format_outcome(o: FileOutcome) -> str:
    """One file's summary, or the problem that stopped it."""
    if o.problem:
        return f"{o.path}: NOT LOADED: {o.problem}"
    r = o.result
    rate = r.rows_read / o.seconds if o.seconds > 0 else 0.0
    lines = [
        f"{o.path} ({o.kind}): {r.rows_read:,} rows read, {r.stored:,} stored, "
        f"{r.duplicates:,} duplicates, {r.quarantined_total:,} quarantined "
        f"in {o.seconds:.1f} s ({rate:,.0f} rows/s)"
    ]
    lines += [f"  quarantined {code}: {n:,}" for code, n in sorted(r.quarantined.items())]
    return "\n".join(lines)


def format_total(outcomes: list[FileOutcome]) -> str:
    """The summary over all files."""
    loaded = [o for o in outcomes if not o.problem]
    reasons: Counter[str] = Counter()
    for o in loaded:
        reasons.update(o.result.quarantined)
    seconds = sum(o.seconds for o in outcomes)
    rows = sum(o.result.rows_read for o in loaded)
    text = (
        f"total: {len(loaded)}/{len(outcomes)} files, {rows:,} rows read, "
        f"{sum(o.result.stored for o in loaded):,} stored, "
        f"{sum(o.result.duplicates for o in loaded):,} duplicates, "
        f"{sum(reasons.values()):,} quarantined, {seconds:.1f} s, "
        f"{rows / seconds if seconds else 0:,.0f} rows/s"
    )
    return text


def _progress_printer(path: Path):
    started = time.perf_counter()

    def show(rows: int) -> None:
        elapsed = time.perf_counter() - started
        print(
            f"\r{path.name}: {rows:,} rows, {rows / max(elapsed, 1e-9):,.0f} rows/s",
            end="",
            file=sys.stderr,
            flush=True,
        )

    return show
