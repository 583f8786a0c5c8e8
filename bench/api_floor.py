"""The floor under the bridge's monthly curve: the same framework, server and query with
nothing else (no token, no access check, no audit entry, no windows), for
``bench/api.py``. What a request costs here, any bridge built on FastAPI and uvicorn
pays on this machine before doing its own work.

    uvicorn api_floor:create_app --factory --app-dir bench   # RELEVE_FLOOR_DATABASE_URL
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Response
from fastapi.concurrency import run_in_threadpool
from psycopg_pool import ConnectionPool

MONTHLY_SQL = (
    "SELECT json_agg(json_build_object('start', start, 'volume', volume, 'quality', quality,"
    " 'estimated_share', estimated_share, 'method', method) ORDER BY start)::text"
    " FROM consumption_rollups WHERE meter_id = %s AND resolution = 'month'"
    " AND start >= %s AND start < %s"
)


def create_app() -> FastAPI:
    """One route: a meter's monthly rollups between two dates, as JSON written by the server."""
    pool = ConnectionPool(os.environ["RELEVE_FLOOR_DATABASE_URL"], min_size=2, max_size=8,
                          kwargs={"autocommit": True}, open=True)  # fmt: skip
    app = FastAPI()

    def query(meter_id: str, start: str, end: str) -> str:
        with pool.connection() as conn:
            row = conn.execute(MONTHLY_SQL, (meter_id, start, end)).fetchone()
        return str(row[0]) if row and row[0] else "[]"

    @app.get("/floor/{meter_id}")
    async def monthly(meter_id: str, start: str, end: str) -> Response:
        points = await run_in_threadpool(query, meter_id, start, end)
        return Response('{"points":' + points + "}", media_type="application/json")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
