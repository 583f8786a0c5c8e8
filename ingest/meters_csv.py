"""Meters CSV: ``meter_id,kind,unit[,digits][,account_id]...[,conversion_kwh_per_m3]``."""

from __future__ import annotations

import math
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from core import METER_ID_PATTERN
from core.columns import KIND, METER_ID, UNIT
from core.units import KIND_DIMENSIONS, UNIT_SCALE
from ingest.exceptions import FileProblem
from ingest.rows import Rejections, reject_rows
from ingest.units import normalize_unit
from store.meters import METER_COLUMNS

METER_ID_RE = re.compile(METER_ID_PATTERN)
REQUIRED = (METER_ID, KIND, UNIT)


def resolve_meter_columns(columns: tuple[str, ...], path: str) -> dict[str, int]:
    """Position of each known meter column; the required ones must be there."""
    lowered = {c.lower(): i for i, c in enumerate(columns)}
    missing = [c for c in REQUIRED if c not in lowered]
    if missing:
        raise FileProblem(
            path, f"meters file lacks column(s) {', '.join(missing)}; found: {', '.join(columns)}"
        )
    return {c: lowered[c] for c in METER_COLUMNS if c in lowered}


def parse_meters(
    fields: pd.DataFrame, positions: dict[str, int], *, location: str
) -> tuple[pd.DataFrame, Rejections]:
    """Validate meter rows; each bad row is rejected with the first problem found."""
    good, bad_lines, bad_raw, reasons = [], [], [], []
    for _, row in fields.iterrows():
        values = {c: str(row[p]).strip() for c, p in positions.items()}
        record, problem = _parse_meter(values)
        if problem is None:
            good.append(record)
        else:
            bad_lines.append(row["line"])
            bad_raw.append(row["raw"])
            reasons.append(problem)
    meters = pd.DataFrame(good, columns=METER_COLUMNS)
    codes = [r.split(":", 1)[0] for r in reasons]
    messages = [r.split(":", 1)[1].strip() for r in reasons]
    return meters, reject_rows(location, pd.Series(bad_lines), pd.Series(bad_raw), messages, codes)


def _parse_meter(v: dict[str, str]) -> tuple[dict[str, object], str | None]:
    """One meter row, or ``"code: message"`` saying what is wrong with it."""
    meter_id, kind = v[METER_ID], v[KIND].lower()
    if not METER_ID_RE.fullmatch(meter_id):
        return (
            {},
            f"bad_meter_id: meter id {meter_id[:80]!r} is not 1-64 characters of letters, digits and . _ : -",
        )
    if kind not in KIND_DIMENSIONS:
        return (
            {},
            f"bad_kind: kind {kind[:20]!r} of meter {meter_id} is not one of water, gas, electricity",
        )
    unit = normalize_unit(v[UNIT])
    if unit is None:
        return (
            {},
            f"unknown_unit: unit {v['unit'][:20]!r} of meter {meter_id} is not one of m3, L, kWh, Wh",
        )
    if UNIT_SCALE[unit][0] not in KIND_DIMENSIONS[kind]:
        return {}, f"incompatible_unit: a {kind} meter cannot count in {unit} (meter {meter_id})"
    record: dict[str, object] = {METER_ID: meter_id, KIND: kind, UNIT: unit}
    for name in ("account_id", "contract_id", "site_id", "replaces"):
        record[name] = v.get(name) or None
    try:
        record["digits"] = _optional_int(v.get("digits"), 1, 15)
        record["q3_m3h"] = _optional_positive(v.get("q3_m3h"))
        record["conversion_kwh_per_m3"] = _optional_positive(v.get("conversion_kwh_per_m3"))
    except ValueError as exc:
        return {}, f"bad_meter_attribute: meter {meter_id}: {exc}"
    timezone = v.get("timezone") or None
    if timezone:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return (
                {},
                f"bad_timezone: timezone {timezone[:40]!r} of meter {meter_id} is not an IANA name such as Europe/Paris",
            )
    record["timezone"] = timezone
    installed = v.get("installed_at") or None
    if installed:
        stamp = pd.to_datetime(installed, format="ISO8601", errors="coerce", utc=True)
        if pd.isna(stamp):
            return (
                {},
                f"bad_meter_attribute: installed_at {installed[:40]!r} of meter {meter_id} is not an ISO 8601 date",
            )
        installed = stamp.isoformat()
    record["installed_at"] = installed
    return record, None


def _optional_int(text: str | None, low: int, high: int) -> int | None:
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(f"digits {text[:20]!r} is not a whole number from {low} to {high}")
    return int(text)


def _optional_positive(text: str | None) -> float | None:
    if not text:
        return None
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text[:20]!r} is not a positive number")
    return value
