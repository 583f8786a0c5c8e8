"""GDPR data rights: ``GET /v1/accounts/{account_id}/export`` (everything held about the
account, JSON with its readings as CSV, in a zip) and ``POST .../erase``."""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd
from fastapi import Response

from portal_bridge.access import AccountAccess, AccountScope, ErasableAccount, visible
from portal_bridge.models import ErasureOut
from portal_bridge.responses import json_response
from portal_bridge.routes.alerts import alert_out
from portal_bridge.routes.meters import account_meters
from portal_bridge.routes.preferences import read_preferences
from portal_bridge.routing import v1_router
from store.alerts import fetch_alerts
from store.audit import durable
from store.bridge import fetch_account_periods, fetch_language, periods_by_meter
from store.gdpr import Erasure, fetch_erasure, fetch_period_readings, write_erasure

router = v1_router("gdpr")
ZIP = "application/zip"


@router.get("/accounts/{account_id}/export", response_class=Response,
            responses={200: {"content": {ZIP: {}}, "description": "account.json and readings.csv"}})  # fmt: skip
def export(scope: AccountAccess) -> Response:
    """Everything Relevé holds about the account, inside its contract periods: its sites,
    contracts, meters, preferences and alerts (``account.json``) and every reading
    (``readings.csv``)."""
    document = {
        "account": account_meters(scope).model_dump(mode="json"),
        "notification_preferences": read_preferences(scope).model_dump(mode="json")["preferences"],
        "alerts": _alerts(scope),
        "exported_at": scope.installation.clock().isoformat(),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("account.json", json.dumps(document, ensure_ascii=False, indent=2))
        archive.writestr("readings.csv", _readings_csv(scope))
    name = f"releve-{scope.account_id}.zip"
    return Response(buffer.getvalue(), media_type=ZIP,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip


def _alerts(scope: AccountScope) -> list[dict[str, object]]:
    periods = periods_by_meter(fetch_account_periods(scope.conn, scope.account_id))
    language = fetch_language(scope.conn, [scope.account_id])
    zone = scope.installation.meter_defaults.timezone
    alerts = fetch_alerts(scope.conn, meter_ids=list(periods)) if periods else []
    return [alert_out(a, language, zone).model_dump(mode="json") for a in alerts
            if visible(a, periods[a.meter_id], scope.claims)]  # fmt: skip


def _readings_csv(scope: AccountScope) -> str:
    """Each meter's readings inside each period, in time order."""
    periods = periods_by_meter(fetch_account_periods(scope.conn, scope.account_id))
    frames = [fetch_period_readings(scope.conn, meter_id, p)
              for meter_id, ps in periods.items() for p in ps]  # fmt: skip
    readings = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["meter_id", "ts", "index", "quality", "source"])  # fmt: skip
    readings["timestamp"] = readings["ts"].map(lambda ts: ts.isoformat())
    return readings[["meter_id", "timestamp", "index", "quality", "source"]].to_csv(index=False)


@router.post("/accounts/{account_id}/erase", response_model=ErasureOut)
def erase(scope: ErasableAccount) -> Response:
    """Erase the account's personal data: preferences deleted, meters unlinked, contracts
    anonymised (consumption stays, no longer tied to anyone, for network statistics);
    the erasure itself is recorded. Asking again answers the same record."""
    done = fetch_erasure(scope.conn, scope.account_id)
    if done is not None:
        return json_response(_out(done, already=True))
    with durable(scope.conn):
        erasure = write_erasure(scope.conn, scope.account_id, requested_by=scope.claims.subject,
                                scope=scope.claims.scope, at=scope.installation.clock())  # fmt: skip
    return json_response(_out(erasure, already=False))


def _out(erasure: Erasure, *, already: bool) -> ErasureOut:
    return ErasureOut(account_id=erasure.account_id, erased_at=erasure.erased_at.to_pydatetime(),
                      requested_by=erasure.requested_by, meters_unlinked=erasure.meters_unlinked,
                      contracts_anonymised=erasure.contracts_anonymised,
                      preferences_deleted=erasure.preferences_deleted, already_erased=already)  # fmt: skip
