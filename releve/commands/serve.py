"""``releve serve [--host --port --workers]``: the portal bridge under uvicorn."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile

import pandas as pd
import psycopg
import uvicorn
from fastapi import FastAPI

from portal_bridge import Installation, create_app
from portal_bridge.auth import BridgeSetupError
from releve.config import Settings
from releve.connect import open_store, store_url
from releve.jobs.estimate import run_estimate
from releve.jobs.runner import JobLocked


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve serve``."""
    parser = subparsers.add_parser("serve", help="serve the portal bridge API (/v1)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1,
        help="worker processes (default: one per CPU)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def installation(settings: Settings) -> Installation:
    """What the bridge needs of this installation, from its settings."""

    def reestimate(conn: psycopg.Connection, meter_id: str, as_of: pd.Timestamp) -> bool:
        try:
            run_estimate(conn, as_of=as_of, settings=settings, meter_ids=[meter_id])
        except JobLocked:  # a batch run holds the meters; it or the next one takes the read
            return False
        return True

    return Installation(
        store_url=store_url(settings), secret=settings.portal_secret,
        meter_defaults=settings.meter_defaults, tariff=settings.tariff,
        validation=settings.validation, reestimate=reestimate,
    )  # fmt: skip


def build_app(settings: Settings | None = None) -> FastAPI:
    """The bridge of this installation (uvicorn's factory in each worker)."""
    settings = settings or Settings.load()
    return create_app(settings.bridge, installation(settings))


def run(args: argparse.Namespace) -> int:
    """Migrate the store, check the keys, then serve until interrupted."""
    settings = Settings.load()
    try:
        build_app(settings)  # refuses to start without a key, before forking workers
    except BridgeSetupError as exc:
        print(f"releve serve: {exc}", file=sys.stderr)
        return 2
    open_store(settings).close()  # migrated once, before the workers open their pools
    with tempfile.TemporaryDirectory(prefix="releve-metrics-") as metrics:
        if args.workers > 1:
            # the workers' metrics add up in one folder that /metrics reads
            os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", metrics)
        print(f"releve serve: portal bridge on http://{args.host}:{args.port}/v1 "
              f"({args.workers} workers)", file=sys.stderr)  # fmt: skip
        uvicorn.run("releve.commands.serve:build_app", factory=True, host=args.host,
                    port=args.port, workers=args.workers, proxy_headers=False,
                    log_level="warning")  # fmt: skip
    return 0
