"""What the portal bridge reads and writes: who may read which meter when, contracts over
time, an account's sites and contracts, and the language its messages are in.

Access is by period (``account_meter_periods``, migration 0008): a meter linked to its
contracts over time (``meter_contracts``) is readable by each contract's account for that
contract's span only; a meter without such links by its account, site or contract's
account for its contract's dates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from core import Language, Meter, MeterDefaults, MeterKind, Resolution
from core.columns import START, TS
from core.contracts import Period
from store.meters import METER_COLUMNS


@dataclass(frozen=True)
class MeterGrant:
    """A meter an account (or a service) may read, and when.

    periods : list  When it may read it; ``[WHOLE]``-like unbounded for a service.
    account_ids : tuple  Accounts the meter serves now or served (for their language).
    """

    meter: Meter
    periods: list[Period]
    account_ids: tuple[str, ...]


def _ts(value: Any) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).tz_convert("UTC")


def fetch_meter_grant(
    conn: psycopg.Connection, meter_id: str, account_id: str | None, defaults: MeterDefaults
) -> MeterGrant | None:
    """The meter and the periods ``account_id`` may read it in (every period when None:
    a service); None when the meter is unknown or not the account's."""
    rows = conn.execute(
        f"SELECT {', '.join('m.' + c for c in METER_COLUMNS)},"  # type: ignore[arg-type]
        " p.account_id, p.contract_id, p.start_at, p.end_at FROM meters m"
        " LEFT JOIN account_meter_periods p ON p.meter_id = m.meter_id"
        " WHERE m.meter_id = %(meter)s AND (%(account)s::text IS NULL OR p.account_id = %(account)s)"
        " ORDER BY p.start_at NULLS FIRST",
        {"meter": meter_id, "account": account_id},
    ).fetchall()
    if not rows:
        return None
    record = dict(zip(METER_COLUMNS, rows[0][: len(METER_COLUMNS)], strict=True))
    meter = Meter.from_record(record, defaults)
    accounts = tuple(dict.fromkeys(r[len(METER_COLUMNS)] for r in rows if r[len(METER_COLUMNS)]))
    if account_id is None:
        return MeterGrant(meter, [Period()], accounts)
    periods = [Period(_ts(r[-2]), _ts(r[-1]), r[-3]) for r in rows]
    return MeterGrant(meter, periods, accounts)


def fetch_account_periods(conn: psycopg.Connection, account_id: str) -> pd.DataFrame:
    """Every (meter, period) the account may read: ``meter_id, contract_id, start_at,
    end_at`` with the meter's kind, unit, site and timezone, by site and meter."""
    cur = conn.execute(
        "SELECT p.meter_id, p.contract_id, p.start_at, p.end_at, m.kind, m.unit, m.site_id,"
        " m.timezone FROM account_meter_periods p JOIN meters m USING (meter_id)"
        " WHERE p.account_id = %s ORDER BY m.site_id NULLS LAST, p.meter_id, p.start_at NULLS FIRST",
        (account_id,),
    )
    columns = ["meter_id", "contract_id", "start_at", "end_at", "kind", "unit", "site_id",
               "timezone"]  # fmt: skip
    frame = pd.DataFrame(cur.fetchall(), columns=columns)
    for name in ("start_at", "end_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def periods_by_meter(rows: pd.DataFrame) -> dict[str, list[Period]]:
    """The periods of each meter of ``fetch_account_periods`` rows, in their order."""
    out: dict[str, list[Period]] = {}
    for meter_id, contract, lo, hi in rows[
        ["meter_id", "contract_id", "start_at", "end_at"]
    ].itertuples(index=False):
        out.setdefault(str(meter_id), []).append(Period(_ts(lo), _ts(hi), contract))
    return out


def fetch_account_exists(conn: psycopg.Connection, account_id: str) -> bool:
    """Whether the account is in the store (not unknown, not erased)."""
    row = conn.execute("SELECT 1 FROM accounts WHERE account_id = %s", (account_id,)).fetchone()
    return row is not None


def fetch_contracts(conn: psycopg.Connection, account_id: str) -> pd.DataFrame:
    """The account's contracts: ``contract_id, site_id, start_at, end_at``."""
    cur = conn.execute(
        "SELECT contract_id, site_id, start_at, end_at FROM contracts WHERE account_id = %s"
        " ORDER BY start_at NULLS FIRST, contract_id",
        (account_id,),
    )
    frame = pd.DataFrame(cur.fetchall(), columns=["contract_id", "site_id", "start_at", "end_at"])
    for name in ("start_at", "end_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    return frame


def fetch_last_reads(
    conn: psycopg.Connection, meter_id: str, periods: Iterable[Period]
) -> tuple[pd.Timestamp, float, str] | None:
    """The meter's last read inside any of ``periods``: (ts, index, quality)."""
    best = None
    for period in periods:
        row = conn.execute(
            "SELECT ts, index_value, quality FROM readings WHERE meter_id = %(m)s"
            " AND (%(lo)s::timestamptz IS NULL OR ts >= %(lo)s)"
            " AND (%(hi)s::timestamptz IS NULL OR ts < %(hi)s) ORDER BY ts DESC LIMIT 1",
            {"m": meter_id, "lo": period.start, "hi": period.end},
        ).fetchone()
        if row and (best is None or row[0] > best[0]):
            best = (pd.Timestamp(row[0]).tz_convert("UTC"), float(row[1]), str(row[2]))
    return best


# One curve point as the bridge sends it (PRODUCT.md curve contract), written by the server:
# a year of hours leaves it as one JSON text instead of 8,760 rows decoded and re-encoded
# (bench/README.md). ``to_json`` writes a timestamptz in the session's zone with its offset,
# as ``datetime.isoformat`` does; the numbers are float8's shortest exact text.
_CURVE_JSON = """
SELECT '[' || coalesce(string_agg(concat(
    '{{"start":', to_json(c.{at}), ',"volume":', c.volume, ',"unit":', %(unit)s::text,
    ',"energy_kwh":', coalesce((c.volume * %(kwh)s::float8)::text, 'null'),
    ',"quality":', to_json(c.quality), ',"estimated_share":', c.estimated_share::float8,
    ',"method":', to_json(c.method), ',"partial":false}}'), ',' ORDER BY c.{at}), '') || ']'
FROM {table} c
WHERE c.meter_id = %(meter)s AND c.{at} >= %(lo)s AND c.{at} < %(hi)s {resolution}
"""


def fetch_curve_json(
    conn: psycopg.Connection, meter: Meter, resolution: str, start: pd.Timestamp,
    end: pd.Timestamp,
) -> str:  # fmt: skip
    """The periods of ``fetch_curve`` starting in ``[start, end)`` as a JSON array of
    curve points (``partial`` false), built by the server in the meter's timezone."""
    hourly = resolution == Resolution.HOUR
    query = sql.SQL(_CURVE_JSON).format(
        table=sql.Identifier("consumption_hourly" if hourly else "consumption_rollups"),
        at=sql.Identifier(TS if hourly else START),
        resolution=sql.SQL("" if hourly else "AND c.resolution = %(resolution)s"),
    )
    kwh = meter.kwh_per_unit if meter.kind == MeterKind.GAS else None
    params = {"meter": meter.meter_id, "lo": start, "hi": end, "unit": json.dumps(meter.unit),
              "kwh": kwh, "resolution": str(resolution)}  # fmt: skip
    if str(conn.info.timezone) == meter.timezone:  # the session's zone (the bridge sets it)
        row = conn.execute(query, params).fetchone()
    else:
        with conn.transaction():
            conn.execute("SELECT set_config('TimeZone', %s, true)", (meter.timezone,))
            row = conn.execute(query, params).fetchone()
    return str(row[0]) if row else "[]"


def fetch_reads_around(
    conn: psycopg.Connection, meter_id: str, at: pd.Timestamp, span: pd.Timedelta
) -> pd.DataFrame:
    """The meter's reads within ``span`` of ``at``, and the last one before and the first
    one after that span (a manual read is judged against its neighbours):
    ``ts, index, quality`` in time order."""
    cur = conn.execute(
        "SELECT ts, index_value, quality FROM readings WHERE meter_id = %(m)s"
        " AND ts BETWEEN %(lo)s AND %(hi)s"
        " UNION (SELECT ts, index_value, quality FROM readings WHERE meter_id = %(m)s"
        "  AND ts < %(lo)s ORDER BY ts DESC LIMIT 1)"
        " UNION (SELECT ts, index_value, quality FROM readings WHERE meter_id = %(m)s"
        "  AND ts > %(hi)s ORDER BY ts LIMIT 1) ORDER BY ts",
        {"m": meter_id, "lo": at - span, "hi": at + span},
    )
    frame = pd.DataFrame(cur.fetchall(), columns=["ts", "index", "quality"])
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def fetch_language(conn: psycopg.Connection, account_ids: Iterable[str]) -> Language:
    """The language of the first of ``account_ids`` with notification preferences (e-mail
    first), French by default."""
    ids = list(account_ids)
    row = conn.execute(
        "SELECT language FROM notification_preferences WHERE account_id = ANY(%s)"
        " ORDER BY array_position(%s::text[], account_id), channel LIMIT 1",
        (ids, ids),
    ).fetchone()
    return Language(row[0]) if row else Language.FR


def fetch_alert_meter(conn: psycopg.Connection, alert_id: int) -> str | None:
    """The meter an alert is about, None for an unknown alert."""
    row = conn.execute("SELECT meter_id FROM alerts WHERE id = %s", (alert_id,)).fetchone()
    return None if row is None else str(row[0])


def upsert_contracts(conn: psycopg.Connection, contracts: pd.DataFrame) -> int:
    """Insert or update contracts (``contract_id, account_id, site_id, start_at, end_at``),
    creating their accounts and sites; returns the rows changed."""
    rows = [
        (c, a, s, _none(lo), _none(hi))
        for c, a, s, lo, hi in contracts[
            ["contract_id", "account_id", "site_id", "start_at", "end_at"]
        ].itertuples(index=False)
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO accounts (account_id) VALUES (%s) ON CONFLICT DO NOTHING",
            sorted({(r[1],) for r in rows if r[1]}),
        )
        cur.executemany(
            "INSERT INTO sites (site_id, account_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            sorted({(r[2], r[1]) for r in rows if r[2]}),
        )
        cur.executemany(
            "INSERT INTO contracts AS t (contract_id, account_id, site_id, start_at, end_at)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (contract_id) DO UPDATE SET"
            " account_id = excluded.account_id, site_id = excluded.site_id,"
            " start_at = excluded.start_at, end_at = excluded.end_at"
            " WHERE (t.account_id, t.site_id, t.start_at, t.end_at) IS DISTINCT FROM"
            " (excluded.account_id, excluded.site_id, excluded.start_at, excluded.end_at)",
            rows,
        )
        return max(cur.rowcount, 0)


def upsert_meter_contracts(conn: psycopg.Connection, links: pd.DataFrame) -> int:
    """Link meters to contracts over time (``meter_id, contract_id, start_at, end_at``),
    keyed by (meter, start); the exclusion constraint refuses overlapping links."""
    rows = [
        (m, c, lo, _none(hi))
        for m, c, lo, hi in links[["meter_id", "contract_id", "start_at", "end_at"]].itertuples(
            index=False
        )
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO meter_contracts AS t (meter_id, contract_id, start_at, end_at)"
            " VALUES (%s, %s, %s, %s) ON CONFLICT (meter_id, start_at) DO UPDATE SET"
            " contract_id = excluded.contract_id, end_at = excluded.end_at"
            " WHERE (t.contract_id, t.end_at) IS DISTINCT FROM (excluded.contract_id, excluded.end_at)",
            rows,
        )
        return max(cur.rowcount, 0)


def _none(value: Any) -> Any:
    return None if value is None or pd.isna(value) else value
