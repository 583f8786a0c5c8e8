"""``GET /v1/accounts/{account_id}/projection``: the contract year projected, and the
monthly instalment that avoids a year-end adjustment."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import Query

from core import Meter
from core.columns import ESTIMATED_SHARE, TS, VOLUME
from core.contracts import Period
from estimate import project_meters
from estimate.projection import Projection as YearProjection
from portal_bridge.access import AccountAccess, AccountScope
from portal_bridge.models import MeterProjection, Projection
from portal_bridge.problems import unprocessable
from portal_bridge.routing import v1_router
from portal_bridge.times import required_local
from portal_bridge.windows import YEAR, parse_instant, shift
from store.bridge import fetch_account_periods, periods_by_meter
from store.consumption import fetch_hourly
from store.meters import fetch_meter_models

router = v1_router("accounts")


@router.get("/accounts/{account_id}/projection", response_model=Projection)
def projection(
    scope: AccountAccess,
    as_of: Annotated[str | None, Query(max_length=40, description="ISO 8601; default now")] = None,
) -> Projection:
    """Each running contract's year projected from the account's own consumption (never
    a previous occupant's), its cost, and the share of it that rests on estimates."""
    zone = scope.installation.meter_defaults.timezone
    now = scope.installation.clock()
    when = parse_instant("query.as_of", as_of, zone) if as_of else now
    if when > now:
        raise unprocessable("query.as_of", "is in the future; projections start from what is known")
    periods = periods_by_meter(fetch_account_periods(scope.conn, scope.account_id))
    running = {m: next(p for p in ps if p.holds(when)) for m, ps in periods.items()
               if any(p.holds(when) for p in ps)}  # fmt: skip
    meters = fetch_meter_models(scope.conn, list(running), scope.installation.meter_defaults)
    out, refused = [], {}
    for meter_id, period in running.items():
        item = _project(scope, meters[meter_id], period, when)
        if isinstance(item, str):
            refused[meter_id] = item
        else:
            out.append(item)
    cost = sum(p.cost_eur for p in out)
    estimated = sum(p.cost_eur * p.estimated_share for p in out)
    return Projection(
        account_id=scope.account_id, as_of=required_local(when, zone), meters=out,
        cost_eur=round(cost, 2), monthly_instalment_eur=round(sum(p.monthly_instalment_eur for p in out), 2),
        estimated_share=round(estimated / cost, 6) if cost > 0 else 0.0, refused=refused,
    )  # fmt: skip


def contract_year_start(period: Period, when: pd.Timestamp, timezone: str) -> pd.Timestamp:
    """The last anniversary of the contract's start at or before ``when`` (1 January
    without a start) [UTC]."""
    if period.start is None:
        local = when.tz_convert(timezone)
        return pd.Timestamp(year=local.year, month=1, day=1, tz=timezone).tz_convert("UTC")
    start = period.start
    while shift(start, YEAR, timezone) <= when:
        start = shift(start, YEAR, timezone)
    return start


def _project(
    scope: AccountScope, meter: Meter, period: Period, when: pd.Timestamp
) -> MeterProjection | str:
    year_start = contract_year_start(period, when, meter.timezone)
    since = shift(year_start, YEAR, meter.timezone, -1)
    if period.start is not None:
        since = max(since, period.start)  # the previous occupant's year is not this one's
    hourly = fetch_hourly(scope.conn, [meter.meter_id], since, when)
    if hourly.empty:
        return "no consumption estimated yet in this contract"
    found, refused = project_meters(hourly, {meter.meter_id: meter}, as_of=when,
                                    year_start=year_start, tariff=scope.installation.tariff)  # fmt: skip
    if meter.meter_id in refused:
        return refused[meter.meter_id]
    p = found[meter.meter_id]
    return MeterProjection(
        meter_id=meter.meter_id, unit=meter.unit, year_start=required_local(p.year_start, meter.timezone),
        year_end=required_local(p.year_end, meter.timezone), consumed=p.consumed,
        remaining=p.remaining, total=p.total, cost_eur=round(p.cost_eur, 2),
        monthly_instalment_eur=round(p.monthly_instalment_eur, 2), method=p.method,
        estimated_share=_estimated_share(hourly, p, year_start, when),
    )  # fmt: skip


def _estimated_share(
    hourly: pd.DataFrame, p: YearProjection, year_start: pd.Timestamp, when: pd.Timestamp
) -> float:
    """Estimated part of what was consumed, plus all that remains, over the total."""
    consumed = hourly[(hourly[TS] >= year_start) & (hourly[TS] < when)]
    estimated = float((consumed[VOLUME] * consumed[ESTIMATED_SHARE]).sum()) + p.remaining
    return round(min(max(estimated / p.total, 0.0), 1.0), 6) if p.total > 0 else 0.0
