"""The portal bridge application: ``create_app(config, installation)``.

The command line (``releve serve``) builds it from the installation's settings; tests
build it with their own. Routes live in ``portal_bridge.routes``; every ``/v1`` route
but health reaches its object through ``portal_bridge.access``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from psycopg_pool import ConnectionPool

from portal_bridge.access import Services
from portal_bridge.auth import RateLimit, TokenVerifier
from portal_bridge.config import BridgeConfig, Installation
from portal_bridge.middleware import BodyLimit, RequestMetrics, SecurityHeaders
from portal_bridge.problems import install_problem_handlers
from portal_bridge.routes import ROUTERS

API_VERSION = "1.0.0"
POOL_SIZE = 16  # connections per worker: about the thread pool's requests at once


def create_app(config: BridgeConfig, installation: Installation) -> FastAPI:
    """The bridge, verifying tokens as ``config`` says, on the installation's store."""
    verifier = TokenVerifier(config, installation.secret)  # refuses to start without a key
    zone = installation.meter_defaults.timezone

    def configure(conn: psycopg.Connection) -> None:
        # audit entries commit without waiting for the disk (store.audit.durable for data);
        # curves are written by the server in the installation's zone
        conn.execute("SET synchronous_commit TO off")
        conn.execute("SELECT set_config('TimeZone', %s, false)", (zone,))

    pool = ConnectionPool(installation.store_url, min_size=1, max_size=POOL_SIZE, open=False,
                          kwargs={"autocommit": True}, configure=configure)  # fmt: skip

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool.open()
        try:
            yield
        finally:
            pool.close()

    app = FastAPI(title="Relevé portal bridge", version=API_VERSION, lifespan=lifespan,
                  openapi_url="/v1/openapi.json", docs_url=None, redoc_url=None,
                  description="The customer account's data: meters, curves with real and "
                  "estimated told apart, alerts, manual reads, GDPR rights.")  # fmt: skip
    app.state.services = Services(installation, verifier, RateLimit(config.rate_limit), pool)
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    registry = CollectorRegistry()
    app.add_api_route("/metrics", _metrics_endpoint(registry), include_in_schema=False)
    _add_middleware(app, config, registry)
    return app


def _add_middleware(app: FastAPI, config: BridgeConfig, registry: CollectorRegistry) -> None:
    app.add_middleware(BodyLimit, limit=config.max_body_bytes)  # type: ignore[arg-type]
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=config.cors_origins,  # type: ignore[arg-type]
                           allow_methods=["GET", "PUT", "POST"],
                           allow_headers=["Authorization", "Content-Type"], max_age=600)  # fmt: skip
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    app.add_middleware(RequestMetrics, registry=registry)  # type: ignore[arg-type]


def _metrics_endpoint(registry: CollectorRegistry):  # type: ignore[no-untyped-def]
    def metrics() -> Response:
        """Prometheus metrics: of every worker when they share PROMETHEUS_MULTIPROC_DIR."""
        source = registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            source = CollectorRegistry()
            MultiProcessCollector(source)
        return Response(generate_latest(source), media_type=CONTENT_TYPE_LATEST)

    return metrics
