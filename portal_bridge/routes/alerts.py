"""``GET /v1/meters/{meter_id}/alerts`` and ``POST /v1/alerts/{alert_id}/ack``."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import Query

from core import Alert, Language
from portal_bridge.access import AlertAccess, MeterAccess, visible
from portal_bridge.alert_text import render_alert
from portal_bridge.models import Acknowledged, AlertOut, Alerts
from portal_bridge.routing import v1_router
from portal_bridge.times import local, required_local
from store.alerts import acknowledge_alert, fetch_alerts
from store.audit import durable

router = v1_router("alerts")
# open: open and acknowledged (what still needs attention), as `releve alerts` has it
STATUSES = {"open": "unresolved", "acknowledged": "acknowledged", "resolved": "resolved",
            "all": None}  # fmt: skip


@router.get("/meters/{meter_id}/alerts", response_model=Alerts)
def meter_alerts(
    scope: MeterAccess,
    status: Annotated[
        Literal["open", "acknowledged", "resolved", "all"],
        Query(description="open (open and acknowledged), acknowledged, resolved or all"),
    ] = "all",
) -> Alerts:
    """The meter's alerts inside the token's periods, told in the account's language."""
    meter = scope.grant.meter
    language = scope.language()
    alerts = fetch_alerts(scope.conn, meter_ids=[meter.meter_id], status=STATUSES[status])
    shown = [a for a in alerts if visible(a, scope.periods, scope.claims)]
    return Alerts(meter_id=meter.meter_id,
                  alerts=[alert_out(a, language, meter.timezone) for a in shown])  # fmt: skip


@router.post("/alerts/{alert_id}/ack", response_model=Acknowledged)
def acknowledge(scope: AlertAccess) -> Acknowledged:
    """Acknowledge an open alert; an acknowledged or resolved one is left as it is."""
    alert = scope.alert
    assert alert.id is not None
    with durable(scope.conn):
        before = acknowledge_alert(scope.conn, alert.id, at=scope.installation.clock())
    after = next(
        a for a in fetch_alerts(scope.conn, meter_ids=[alert.meter_id]) if a.id == alert.id
    )
    return Acknowledged(
        alert=alert_out(after, scope.language(), scope.grant.meter.timezone),
        previous_status=before or alert.status,
    )


def finite(value: Any) -> Any:
    """The evidence with NaN and infinities as null: JSON has no such numbers."""
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def alert_out(alert: Alert, language: Language, timezone: str) -> AlertOut:
    """An alert as the API answers it, its times in the meter's zone."""
    assert alert.id is not None
    return AlertOut(
        id=alert.id, meter_id=alert.meter_id, type=alert.type, severity=alert.severity,
        status=alert.status, start=required_local(alert.start, timezone),
        end=local(alert.end, timezone), detected_at=required_local(alert.detected_at, timezone),
        evidence=finite(alert.evidence), message=render_alert(alert, language, timezone), language=language,
        estimated_volume_m3=alert.estimated_volume_m3,
        estimated_cost_eur=alert.estimated_cost_eur,
        legally_notifiable=alert.legally_notifiable,
    )  # fmt: skip
