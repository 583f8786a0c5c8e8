"""The bridge's routes, one module per resource; ``ROUTERS`` lists them in order."""

from __future__ import annotations

from portal_bridge.routes import (
    alerts,
    curves,
    gdpr,
    health,
    index,
    meters,
    preferences,
    projection,
    readings,
)

ROUTERS = [
    meters.router,
    curves.router,
    alerts.router,
    readings.router,
    index.router,
    projection.router,
    preferences.router,
    gdpr.router,
    health.router,
]
