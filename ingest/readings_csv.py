"""Readings CSV: from raw lines to validated reading rows and rejected rows.

``meter_id,timestamp,index,unit[,quality][,source]`` (PRODUCT.md), or any
export whose columns are mapped onto those names. Every row is either a
reading or a rejection with a reason a person can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core import DEFAULT_TIMEZONE, METER_ID_PATTERN, READ_QUALITIES, Quality
from core.columns import INDEX, METER_ID, QUALITY, SOURCE, TS, UNIT
from ingest.csv_files import CsvHeader
from ingest.exceptions import FileProblem
from ingest.rows import Rejections, reject_rows
from ingest.timestamps import parse_timestamps
from ingest.units import ALIASES

TARGETS = (METER_ID, "timestamp", INDEX, UNIT, QUALITY, SOURCE)
REQUIRED = (METER_ID, "timestamp", INDEX)
EARLIEST = pd.Timestamp("2000-01-01", tz="UTC")
FUTURE_TOLERANCE = pd.Timedelta(days=1)


@dataclass(frozen=True)
class ReadingsCsvOptions:
    """How to read one kind of readings export."""

    columns: dict[str, str] = field(default_factory=dict)  # our name -> the file's column
    unit: str | None = None  # unit for files without a unit column
    timestamp_format: str | None = None  # strptime format; ISO 8601 when None
    timezone: str = DEFAULT_TIMEZONE  # for timestamps without an offset
    source: str | None = None  # the source recorded with each reading


def resolve_columns(header: CsvHeader, options: ReadingsCsvOptions, path: str) -> dict[str, int]:
    """Position of each of our columns in the file; a missing required one stops the file."""
    lowered = {name.lower(): i for i, name in enumerate(header.columns)}
    positions = {}
    for target in TARGETS:
        name = options.columns.get(target, target)
        if name.lower() in lowered:
            positions[target] = lowered[name.lower()]
    required = REQUIRED if options.unit else (*REQUIRED, UNIT)
    missing = [t for t in required if t not in positions]
    if missing:
        found = ", ".join(header.columns)
        hints = " ".join(f'--columns {t}="<file column>"' for t in missing)
        unit_hint = " (or --unit)" if UNIT in missing else ""
        raise FileProblem(
            path,
            f"required column(s) {', '.join(missing)} missing; found: {found}. "
            f"Map them with {hints}{unit_hint}",
        )
    return positions


def parse_readings(
    fields: pd.DataFrame,
    positions: dict[str, int],
    header: CsvHeader,
    options: ReadingsCsvOptions,
    *,
    location: str,
    now: pd.Timestamp,
) -> tuple[pd.DataFrame, Rejections]:
    """Validate split fields into reading rows (glossary columns) and rejections."""
    code = pd.Series(None, index=fields.index, dtype=object)
    reason = pd.Series(None, index=fields.index, dtype=object)

    def fail(
        mask: pd.Series, reason_code: str, template: str, shown: pd.Series | None = None
    ) -> None:
        """Reject the rows of ``mask`` not rejected yet; ``{}`` in the template shows the value."""
        new = mask.fillna(False).astype(bool) & code.isna()
        if not new.any():
            return
        code[new] = reason_code
        values = shown[new] if shown is not None else pd.Series("", index=new.index[new])
        reason[new] = [template.format(str(v)[:80]) for v in values]

    def column(target: str) -> pd.Series:
        if target in positions:
            return fields[positions[target]].str.strip()
        return pd.Series("", index=fields.index, dtype=object)

    meter_id = column(METER_ID)
    fail(meter_id == "", "missing_meter_id", "meter id is empty; every row needs its meter's id")
    fail(
        ~meter_id.str.fullmatch(METER_ID_PATTERN),
        "bad_meter_id",
        "meter id '{}' is not 1-64 characters of letters, digits and . _ : -",
        meter_id,
    )

    stamp_text = column("timestamp")
    ts, ts_problem = parse_timestamps(
        stamp_text, timezone=options.timezone, fmt=options.timestamp_format, series=meter_id
    )
    fmt_hint = (
        f"the format {options.timestamp_format!r}" if options.timestamp_format else "ISO 8601"
    )
    tz = options.timezone
    for problem, template in (
        (
            "unparsable_timestamp",
            f"timestamp '{{}}' is not a valid date and time in {fmt_hint}; "
            "fix it or pass --timestamp-format",
        ),
        (
            "ambiguous_local_time",
            f"timestamp '{{}}' falls in the repeated hour of a DST change in {tz}; "
            "give it a UTC offset",
        ),
        (
            "nonexistent_local_time",
            f"timestamp '{{}}' does not exist in {tz} (skipped by a DST change); check the clock",
        ),
    ):
        fail(ts_problem == problem, problem, template, stamp_text)
    fail(
        ts < EARLIEST,
        "timestamp_too_old",
        "timestamp '{}' is before 2000; check the date order (day/month) or the meter clock",
        stamp_text,
    )
    fail(
        ts > now + FUTURE_TOLERANCE,
        "future_timestamp",
        f"timestamp '{{}}' is more than a day after the load time {now:%Y-%m-%dT%H:%M%z}; "
        "check the meter clock",
        stamp_text,
    )

    index_text = column(INDEX)
    if header.decimal_comma:
        index_text = index_text.str.replace(",", ".", regex=False)
    index = pd.to_numeric(index_text, errors="coerce")
    fail(index_text == "", "missing_index", "index is empty; give the register reading")
    fail(
        index.isna() | ~np.isfinite(index),
        "bad_index",
        "index '{}' is not a finite number",
        column(INDEX),
    )
    fail(
        index < 0,
        "negative_index",
        "index {} is negative; a register cannot go below zero",
        index_text,
    )

    unit_text = column(UNIT)
    if options.unit:
        unit_text = unit_text.mask(unit_text == "", options.unit)
    unit = unit_text.str.lower().map(ALIASES)
    fail(unit.isna(), "unknown_unit", "unit '{}' is not one of m3, L, kWh, Wh", unit_text)

    quality_text = column(QUALITY).str.lower()
    quality = quality_text.mask(quality_text == "", Quality.ACTUAL)
    fail(
        ~quality.isin(READ_QUALITIES),
        "bad_quality",
        "quality '{}' is not one of actual, customer, estimated",
        quality,
    )

    source = column(SOURCE)
    source = source.mask(source == "", options.source or f"csv:{Path(location).name}")

    ok = code.isna()
    readings = pd.DataFrame(
        {
            METER_ID: meter_id[ok],
            TS: ts[ok],
            INDEX: index[ok].astype(float),
            UNIT: unit[ok],
            QUALITY: quality[ok],
            SOURCE: source[ok],
            "location": location + ":" + fields["line"][ok].astype(str),
            "raw": fields["raw"][ok],
        }
    )
    bad = ~ok
    rejected = reject_rows(
        location, fields["line"][bad], fields["raw"][bad], reason[bad], code[bad]
    )
    return readings, rejected
