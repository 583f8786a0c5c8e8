"""``GET /v1/meters/{meter_id}/curve`` and ``GET /v1/accounts/{account_id}/curve``."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import Query, Response

from core import Meter, MeterKind, Resolution
from core.contracts import Period
from portal_bridge.access import AccountAccess, AccountScope, MeterAccess
from portal_bridge.curves import (
    compare_points,
    curve_points,
    fetch_meter_curve,
    fetch_meter_curve_json,
    sum_curves,
)
from portal_bridge.models import AccountCurve, Curve, SiteCurve
from portal_bridge.problems import unprocessable
from portal_bridge.responses import json_response
from portal_bridge.routing import v1_router
from portal_bridge.times import required_local
from portal_bridge.windows import Window, curve_window
from store.bridge import fetch_account_periods, periods_by_meter
from store.meters import fetch_meter_models

router = v1_router("curves")
ResolutionQ = Annotated[Resolution, Query(description="hour, day, month or year (local calendar)")]
FromQ = Annotated[
    str | None,
    Query(alias="from", max_length=40, description="First period, ISO 8601 (no offset: local)"),
]
ToQ = Annotated[str | None, Query(max_length=40, description="End (exclusive), ISO 8601")]
CompareQ = Annotated[
    Literal["previous_year"] | None, Query(description="Add the same periods a year earlier")
]
CursorQ = Annotated[str | None, Query(max_length=64, description="next_cursor of the last page")]


@router.get("/meters/{meter_id}/curve", response_model=Curve)
def meter_curve(
    scope: MeterAccess, resolution: ResolutionQ = Resolution.MONTH, start: FromQ = None,
    to: ToQ = None, compare: CompareQ = None, cursor: CursorQ = None,
) -> Response:  # fmt: skip
    """The meter's curve inside the token's contract periods, real and estimated told apart.

    A page holds at most a year (366 days) of hours, six years of days, twenty years of
    months; ``next_cursor`` gives the next page.
    """
    meter = scope.grant.meter
    window = curve_window(resolution, meter.timezone, scope.installation.clock(), start=start,
                          end=to, cursor=cursor)  # fmt: skip
    points = fetch_meter_curve_json(scope.conn, meter, scope.periods, window)
    previous = None
    if compare:
        earlier = fetch_meter_curve(scope.conn, meter, scope.periods, window.previous_year())
        previous = compare_points(earlier, meter.unit, meter.timezone)
    return json_response(Curve.model_construct(
        meter_id=meter.meter_id, resolution=resolution, unit=meter.unit, timezone=meter.timezone,
        from_=required_local(window.start, meter.timezone),
        to=required_local(window.end, meter.timezone), points=[],
        next_cursor=window.cursor, previous_year=previous,
    ), raw={"points": points})  # fmt: skip


@router.get("/accounts/{account_id}/curve", response_model=AccountCurve)
def account_curve(
    scope: AccountAccess, resolution: ResolutionQ = Resolution.MONTH, start: FromQ = None,
    to: ToQ = None, compare: CompareQ = None, cursor: CursorQ = None,
    kind: Annotated[MeterKind | None, Query(description="water or gas; needed when both")] = None,
    by: Annotated[Literal["site"] | None, Query(description="site: each site's part too")] = None,
) -> Response:  # fmt: skip
    """The account's meters of one kind summed in m3 (gas also in kWh): a landlord's portfolio."""
    meters, periods = _account_meters(scope, kind)
    chosen = str(next(iter(meters.values())).kind)
    zone = scope.installation.meter_defaults.timezone
    window = curve_window(resolution, zone, scope.installation.clock(), start=start, end=to,
                          cursor=cursor)  # fmt: skip
    curves = {m: fetch_meter_curve(scope.conn, meters[m], periods[m], window) for m in meters}
    previous = None
    if compare:
        earlier = window.previous_year()
        curves_before = [
            fetch_meter_curve(scope.conn, meters[m], periods[m], earlier) for m in meters
        ]
        summed = sum_curves(curves_before, [meters[m].m3_per_unit for m in meters], zone)
        previous = compare_points(summed, "m3", zone)
    return json_response(AccountCurve.model_construct(
        account_id=scope.account_id, kind=MeterKind(chosen), resolution=resolution, unit="m3",
        timezone=zone, from_=required_local(window.start, zone),
        to=required_local(window.end, zone), meters=list(meters),
        points=curve_points(_summed(curves, meters, list(meters), zone), "m3"),
        next_cursor=window.cursor, previous_year=previous,
        sites=_by_site(curves, meters, scope, window) if by else None,
    ))  # fmt: skip


def _summed(
    curves: dict[str, pd.DataFrame], meters: dict[str, Meter], ids: list[str], zone: str
) -> pd.DataFrame:
    return sum_curves([curves[m] for m in ids], [meters[m].m3_per_unit for m in ids], zone)


def _by_site(
    curves: dict[str, pd.DataFrame], meters: dict[str, Meter], scope: AccountScope, window: Window
) -> list[SiteCurve]:
    sites = fetch_account_periods(scope.conn, scope.account_id).drop_duplicates("meter_id")
    site_of = dict(zip(sites["meter_id"], sites["site_id"], strict=True))
    groups: dict[str | None, list[str]] = {}
    for meter_id in meters:
        groups.setdefault(site_of.get(meter_id), []).append(meter_id)
    return [
        SiteCurve.model_construct(
            site_id=site,
            meters=ids,
            points=curve_points(_summed(curves, meters, ids, window.timezone), "m3"),
        )  # fmt: skip
        for site, ids in groups.items()
    ]


def _account_meters(
    scope: AccountScope, kind: MeterKind | None
) -> tuple[dict[str, Meter], dict[str, list[Period]]]:
    """The account's meters of ``kind`` (the only kind it has when None) and their periods."""
    rows = fetch_account_periods(scope.conn, scope.account_id)
    rows["kind"] = rows["kind"].fillna(MeterKind.WATER)
    kinds = sorted(set(rows["kind"]) & {MeterKind.WATER, MeterKind.GAS})
    if kind is None and len(kinds) > 1:
        raise unprocessable("query.kind", f"the account has {' and '.join(kinds)} meters; "
                            "choose one with kind=water or kind=gas")  # fmt: skip
    chosen = kind or (kinds[0] if kinds else None)
    rows = rows[rows["kind"] == chosen]
    if rows.empty:
        raise unprocessable("query.kind", f"the account has no {chosen or 'water or gas'} meter")
    models = fetch_meter_models(scope.conn, list(dict.fromkeys(rows["meter_id"])),
                                scope.installation.meter_defaults)  # fmt: skip
    return models, periods_by_meter(rows)
