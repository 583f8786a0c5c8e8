"""Readings CSV: from raw lines to validated reading rows and rejected rows.

``meter_id,timestamp,index,unit[,quality][,source]`` (PRODUCT.md), or any
export whose columns are mapped onto those names. Every row is either a
reading or a rejection with a reason a person can act on.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ingest.csv_files import CsvHeader, LineChunk
from ingest.exceptions import FileProblem
from ingest.rows import REJECT_COLUMNS, Rejections, reject_rows
from ingest.timestamps import parse_timestamps
from ingest.units import ALIASES

TARGETS = ("meter_id", "timestamp", "index", "unit", "quality", "source")
REQUIRED = ("meter_id", "timestamp", "index")
METER_ID_PATTERN = r"[A-Za-z0-9._:\-]{1,64}"
QUALITIES = ("actual", "customer", "estimated")
EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
FUTURE_TOLERANCE = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ReadingsCsvOptions:
    """How to read one kind of readings export."""

    columns: dict[str, str] = field(default_factory=dict)  # our name -> the file's column
    unit: str | None = None  # unit for files without a unit column
    timestamp_format: str | None = None  # strptime format; ISO 8601 when None
    timezone: str = "Europe/Paris"  # for timestamps without an offset
    source: str | None = None  # the source recorded with each reading


def resolve_columns(header: CsvHeader, options: ReadingsCsvOptions, path: str) -> dict[str, int]:
    """Position of each of our columns in the file; a missing required one stops the file."""
    lowered = {name.lower(): i for i, name in enumerate(header.columns)}
    positions = {}
    for target in TARGETS:
        name = options.columns.get(target, target)
        if name.lower() in lowered:
            positions[target] = lowered[name.lower()]
    required = REQUIRED if options.unit else (*REQUIRED, "unit")
    missing = [t for t in required if t not in positions]
    if missing:
        found = ", ".join(header.columns)
        hints = " ".join(f'--columns {t}="<file column>"' for t in missing)
        unit_hint = " (or --unit)" if "unit" in missing else ""
        raise FileProblem(
            path, f"required column(s) {', '.join(missing)} missing; found: {found}. "
            f"Map them with {hints}{unit_hint}"
        )
    return positions


def split_fields(chunk: LineChunk, header: CsvHeader, location: str) -> tuple[pd.DataFrame, Rejections]:
    """Split raw lines into fields (strings); lines with the wrong field count are rejected."""
    lines = pd.Series(chunk.lines, dtype=object)
    numbers = pd.Series(np.arange(chunk.first_line, chunk.first_line + len(lines)))
    blank = lines.str.strip() == ""
    quoted = lines.str.contains('"', regex=False)
    width = len(header.columns)
    plain_ok = ~blank & ~quoted & (lines.str.count(header.delimiter) == width - 1)
    rows = []
    if plain_ok.any():
        rows.append(
            pd.read_csv(
                io.StringIO("\n".join(lines[plain_ok])), sep=header.delimiter, header=None,
                names=range(width), dtype=str, keep_default_na=False, quoting=csv.QUOTE_NONE,
                engine="c",
            ).set_axis(lines.index[plain_ok])
        )
    leftover = ~blank & ~plain_ok
    parsed = {i: next(csv.reader([lines[i]], delimiter=header.delimiter), []) for i in lines.index[leftover]}
    good_quoted = [i for i, f in parsed.items() if len(f) == width]
    if good_quoted:
        rows.append(pd.DataFrame([parsed[i] for i in good_quoted], index=good_quoted, columns=range(width)))
    fields = pd.concat(rows).sort_index() if rows else pd.DataFrame(columns=range(width), dtype=str)
    fields["line"] = numbers[fields.index]
    fields["raw"] = lines[fields.index]
    bad = [i for i, f in parsed.items() if len(f) != width]
    reasons = [
        f"line has {len(parsed[i])} fields where the header has {width}; "
        f"check the delimiter and quoting of this line"
        for i in bad
    ]
    rejected = reject_rows(location, numbers[bad], lines[bad], reasons, "wrong_field_count")
    return fields, rejected


def parse_readings(
    fields: pd.DataFrame, positions: dict[str, int], header: CsvHeader,
    options: ReadingsCsvOptions, *, location: str, now: pd.Timestamp,
) -> tuple[pd.DataFrame, Rejections]:
    """Validate split fields into reading rows (glossary columns) and rejections."""
    code = pd.Series(None, index=fields.index, dtype=object)
    reason = pd.Series(None, index=fields.index, dtype=object)

    def fail(mask: pd.Series, reason_code: str, message: pd.Series | str) -> None:
        new = mask & code.isna()
        code[new] = reason_code
        reason[new] = message[new] if isinstance(message, pd.Series) else message

    def column(target: str) -> pd.Series:
        if target in positions:
            return fields[positions[target]].str.strip()
        return pd.Series("", index=fields.index, dtype=object)

    meter_id = column("meter_id")
    fail(meter_id == "", "missing_meter_id", "meter id is empty; every row needs its meter's id")
    fail(~meter_id.str.fullmatch(METER_ID_PATTERN), "bad_meter_id",
         "meter id '" + meter_id.str.slice(0, 80) + "' is not 1-64 characters of letters, digits and . _ : -")

    stamp_text = column("timestamp")
    ts, ts_problem = parse_timestamps(stamp_text, timezone=options.timezone, fmt=options.timestamp_format)
    shown = "timestamp '" + stamp_text.str.slice(0, 60) + "'"
    fmt_hint = f"the format {options.timestamp_format!r}" if options.timestamp_format else "ISO 8601"
    fail(ts_problem == "unparsable_timestamp", "unparsable_timestamp",
         shown + f" is not a valid date and time in {fmt_hint}; fix it or pass --timestamp-format")
    fail(ts_problem == "ambiguous_local_time", "ambiguous_local_time",
         shown + f" falls in the repeated hour of a DST change in {options.timezone}; give it a UTC offset")
    fail(ts_problem == "nonexistent_local_time", "nonexistent_local_time",
         shown + f" does not exist in {options.timezone} (skipped by a DST change); check the clock")
    fail(ts < EARLIEST, "timestamp_too_old", shown + " is before 2000; check the date order (day/month) or the meter clock")
    fail(ts > now + FUTURE_TOLERANCE, "future_timestamp",
         shown + f" is more than a day after the load time {now:%Y-%m-%dT%H:%M%z}; check the meter clock")

    index_text = column("index")
    if header.decimal_comma:
        index_text = index_text.str.replace(",", ".", regex=False)
    index = pd.to_numeric(index_text, errors="coerce")
    fail(index_text == "", "missing_index", "index is empty; give the register reading")
    fail(index.isna() | ~np.isfinite(index), "bad_index",
         "index '" + column("index").str.slice(0, 40) + "' is not a finite number")
    fail(index < 0, "negative_index", "index " + index_text + " is negative; a register cannot go below zero")

    unit_text = column("unit")
    if options.unit:
        unit_text = unit_text.mask(unit_text == "", options.unit)
    unit = unit_text.str.lower().map(ALIASES)
    fail(unit.isna(), "unknown_unit", "unit '" + unit_text.str.slice(0, 20) + "' is not one of m3, L, kWh, Wh")

    quality_text = column("quality").str.lower()
    quality = quality_text.mask(quality_text == "", "actual")
    fail(~quality.isin(QUALITIES), "bad_quality",
         "quality '" + quality.str.slice(0, 20) + "' is not one of actual, customer, estimated")

    source = column("source")
    source = source.mask(source == "", options.source or f"csv:{Path(location).name}")

    ok = code.isna()
    readings = pd.DataFrame({
        "meter_id": meter_id[ok], "ts": ts[ok], "index": index[ok].astype(float),
        "unit": unit[ok], "quality": quality[ok], "source": source[ok],
        "location": location + ":" + fields["line"][ok].astype(str), "raw": fields["raw"][ok],
    })
    bad = ~ok
    rejected = reject_rows(location, fields["line"][bad], fields["raw"][bad], reason[bad], code[bad])
    return readings, rejected


__all__ = ["REJECT_COLUMNS", "ReadingsCsvOptions", "parse_readings", "resolve_columns", "split_fields"]
