"""``GET /v1/accounts/{account_id}/meters``: sites, contracts (active and archived), meters."""

from __future__ import annotations

import pandas as pd

from portal_bridge.access import AccountAccess, AccountScope
from portal_bridge.models import AccountMeters, ContractOut, LastRead, MeterOut, PeriodOut
from portal_bridge.routing import v1_router
from portal_bridge.times import local
from store.bridge import (
    fetch_account_periods,
    fetch_contracts,
    fetch_last_reads,
    periods_by_meter,
)

router = v1_router("accounts")


@router.get("/accounts/{account_id}/meters", response_model=AccountMeters)
def account_meters(scope: AccountAccess) -> AccountMeters:
    """The account's sites, contracts and meters, each meter's last read in its periods."""
    now = scope.installation.clock()
    zone = scope.installation.meter_defaults.timezone
    periods = fetch_account_periods(scope.conn, scope.account_id)
    meters = [_meter(scope, group, now) for _, group in periods.groupby("meter_id", sort=False)]
    contracts = fetch_contracts(scope.conn, scope.account_id)
    return AccountMeters(
        account_id=scope.account_id,
        sites=sorted(
            {str(s) for s in periods["site_id"].dropna()}
            | {str(s) for s in contracts["site_id"].dropna()}
        ),  # fmt: skip
        contracts=[
            ContractOut(
                contract_id=row.contract_id,
                site_id=row.site_id,
                start=local(row.start_at, zone),
                end=local(row.end_at, zone),
                status=_status(row.start_at, row.end_at, now),
            )  # fmt: skip
            for row in contracts.itertuples()
        ],
        meters=meters,
    )


def _status(start: pd.Timestamp, end: pd.Timestamp, now: pd.Timestamp) -> str:
    if not pd.isna(end) and end <= now:
        return "archived"
    if not pd.isna(start) and start > now:
        return "future"
    return "active"


def _meter(scope: AccountScope, rows: pd.DataFrame, now: pd.Timestamp) -> MeterOut:
    first = rows.iloc[0]
    zone = str(first["timezone"] or scope.installation.meter_defaults.timezone)
    periods = periods_by_meter(rows)[str(first["meter_id"])]
    last = fetch_last_reads(scope.conn, str(first["meter_id"]), periods)
    return MeterOut(
        meter_id=str(first["meter_id"]), kind=first["kind"] or "water", unit=str(first["unit"]),
        site_id=first["site_id"], timezone=zone,
        periods=[PeriodOut(contract_id=p.contract_id, start=local(p.start, zone),
                           end=local(p.end, zone)) for p in periods],
        active=any(p.holds(now) for p in periods),
        last_read=None if last is None else LastRead(
            timestamp=local(last[0], zone), index=last[1], unit=str(first["unit"]),
            quality=last[2]),
    )  # fmt: skip
