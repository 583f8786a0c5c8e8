"""``GET /v1/meters/{meter_id}/index?at=``: the register at any instant, for a move."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from core import Quality
from portal_bridge.access import MeterAccess
from portal_bridge.models import IndexOut
from portal_bridge.problems import unprocessable
from portal_bridge.routing import v1_router
from portal_bridge.times import local, required_local
from portal_bridge.windows import parse_instant
from store.curves import fetch_index_at

router = v1_router("readings")


@router.get("/meters/{meter_id}/index", response_model=IndexOut)
def index_at(
    scope: MeterAccess,
    at: Annotated[
        str, Query(max_length=40, description="The instant, ISO 8601 (no offset: local)")
    ],
) -> IndexOut:
    """The index at ``at``: as read when a read was taken then, else estimated from the
    curve since the read before (``quality`` says which). A contract's holder may ask
    for any instant of its period, its end included (the move-out index)."""
    meter = scope.grant.meter
    instant = parse_instant("query.at", at, meter.timezone)
    if instant > scope.installation.clock():
        raise unprocessable("query.at", "is in the future; the index is known up to now")
    if not any(p.holds(instant, end_inclusive=True) for p in scope.periods):
        raise unprocessable("query.at", "is outside your contract period for this meter")
    try:
        found = fetch_index_at(scope.conn, meter, instant)
    except LookupError:
        raise unprocessable("query.at", f"is before meter {meter.meter_id}'s first read") from None
    zone = meter.timezone
    return IndexOut(
        meter_id=meter.meter_id, at=required_local(instant, zone), index=found.index,
        unit=found.unit, quality=Quality.ACTUAL if found.quality == Quality.ACTUAL else Quality.ESTIMATED,
        method=found.method, read_before=local(found.read_before, zone),
        read_after=local(found.read_after, zone),
    )  # fmt: skip
