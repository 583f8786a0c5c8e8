"""``GET /v1/health``: the store answers and its schema is current (no token needed)."""

from __future__ import annotations

from fastapi import Request, Response

from portal_bridge.access import services
from portal_bridge.models import Health
from portal_bridge.responses import json_response
from portal_bridge.routing import v1_router
from store.migrate import fetch_applied, read_migrations

router = v1_router("health", secured=False)


@router.get("/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request) -> Response:
    """200 when the store answers and has every migration, else 503 saying what is missing."""
    expected = {m.version for m in read_migrations()}
    try:
        with services(request).pool.connection(timeout=5) as conn:
            missing = sorted(expected - fetch_applied(conn))
    except Exception:  # the store is down or unreachable: that is the answer, not an error
        missing, reachable = sorted(expected), False
    else:
        reachable = True
    ok = reachable and not missing
    body = Health(status="ok" if ok else "unavailable", store=reachable,
                  migrations_current=reachable and not missing, missing_migrations=missing)  # fmt: skip
    return json_response(body, status_code=200 if ok else 503)
