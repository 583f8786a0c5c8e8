"""``releve demo``: the whole story on the embedded default, step by step.

Each step is a function of the demo context that prints what it did; later
capabilities add their step to ``STEPS``.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jwt
import pandas as pd
import psycopg
import uvicorn

import store
from core import Resolution
from core.columns import METER_ID, START
from ingest.csv_load import load_csv_file
from ingest.mqtt.embedded_broker import choose_kind, started_broker
from ingest.mqtt.service import run_service
from ingest.mqtt.settings import IngestSettings
from ingest.readings_csv import ReadingsCsvOptions
from releve.commands.alerts import alert_record, format_table
from releve.commands.ingest.csv import format_outcome
from releve.commands.serve import build_app
from releve.config import Settings
from releve.connect import open_store, store_url
from releve.jobs.detect import run_detect
from releve.jobs.estimate import run_estimate
from releve.simulate.gateway import gateway_messages, publish_messages
from releve.simulate.sample import write_sample
from store.alerts import fetch_alerts
from store.curves import fetch_curve
from store.meters import fetch_account_meters, fetch_meter_models
from store.status import fetch_status, format_status

REPO_SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@dataclass(frozen=True)
class DemoContext:
    """What every step gets: the settings, an open store connection, the sample folder."""

    settings: Settings
    conn: psycopg.Connection
    sample: Path


def sample_folder(settings: Settings) -> Path:
    """The bundled sample, or a freshly written one when the project is installed elsewhere."""
    if (REPO_SAMPLE / "readings.csv").exists():
        return REPO_SAMPLE
    folder = settings.home / "sample"
    write_sample(folder)
    return folder


def step_load_sample(ctx: DemoContext) -> None:
    """Load the sample meters and readings, and show what the quarantine caught."""
    options = ReadingsCsvOptions(timezone=ctx.settings.timezone)
    for name in ("meters.csv", "readings.csv"):
        print(format_outcome(load_csv_file(ctx.conn, ctx.sample / name, options)))


def step_mqtt(ctx: DemoContext) -> None:
    """Publish a day of simulated gateway traffic through an embedded broker, and ingest it."""
    workdir = ctx.settings.home / "mqtt"
    workdir.mkdir(parents=True, exist_ok=True)
    broker = started_broker(choose_kind(), workdir)
    stop, ready, totals = threading.Event(), threading.Event(), []
    settings = IngestSettings(broker_url=broker.url, client_id="releve-demo", writer_processes=0)
    url = store_url(ctx.settings)
    service = threading.Thread(
        target=lambda: totals.append(
            run_service(settings, stop=stop, ready=ready, database_url=url)
        )
    )
    try:
        service.start()
        ready.wait(15)
        # A day of hourly reads ending with the sample's last, so the demo's clock stays put.
        start = (demo_as_of(ctx.conn) - pd.Timedelta(hours=47)).to_pydatetime()
        sent = sum(
            publish_messages(
                broker.url, gateway_messages(4, 3600, start, fmt=fmt, bad_fraction=0.05), count=96
            )
            for fmt in ("releve", "wmbusmeters")
        )
        _wait_for_mqtt_batches(ctx.conn, sent, seconds=30)
    finally:
        stop.set()
        service.join()
        broker.stop()
    line = totals[0].line() if totals else "the ingestor did not stop cleanly"
    print(f"published {sent} messages through {broker.kind} at {broker.url}\ningested: {line}")


def _wait_for_mqtt_batches(conn: psycopg.Connection, sent: int, *, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT coalesce(sum(rows_read), 0) FROM ingest_batches WHERE source = 'mqtt'"
        ).fetchone()
        conn.commit()
        if row and row[0] >= sent:
            return
        time.sleep(0.2)


def step_status(ctx: DemoContext) -> None:
    """Show where the store is and what it holds."""
    location = (
        ctx.settings.database_url
        or f"embedded PostgreSQL in {store.embedded_server(ctx.settings.home).data_dir}"
    )
    print(format_status(fetch_status(ctx.conn, location)))


def demo_as_of(conn: psycopg.Connection) -> pd.Timestamp:
    """A day after the last sample reading: the sample is dated, the demo's clock follows it."""
    row = conn.execute("SELECT max(ts) FROM readings").fetchone()
    last = pd.Timestamp(row[0]) if row and row[0] else pd.Timestamp.now("UTC")
    return last.tz_convert("UTC").floor("h") + pd.Timedelta(days=1)


def step_estimate(ctx: DemoContext) -> None:
    """Estimate consumption, then show curves with real and estimated points told apart."""
    as_of = demo_as_of(ctx.conn)
    summary = run_estimate(ctx.conn, as_of=as_of, settings=ctx.settings).summary
    print(
        f"estimated {summary.meters} meters as of {as_of.isoformat()}: {summary.intervals:,} hourly "
        f"intervals, {100 * summary.estimated_share:.1f}% of the volume estimated"
    )
    for code, count in sorted(summary.findings.items()):
        print(f"  finding {code}: {count}")
    meters = fetch_meter_models(ctx.conn, ["W-1002", "G-2001"], ctx.settings.meter_defaults)
    for meter_id, meter in meters.items():
        curve = fetch_curve(ctx.conn, meter, Resolution.DAY).tail(6)
        curve[START] = curve[START].dt.strftime("%Y-%m-%d")
        print(f"\n{meter_id}, last days (volume in the meter's unit):")
        print(curve.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


def step_detect(ctx: DemoContext) -> None:
    """Run the detectors and show the alerts, each with its evidence."""
    as_of = demo_as_of(ctx.conn)
    summary = run_detect(ctx.conn, as_of=as_of, settings=ctx.settings).summary
    print(f"detectors ran on {summary.meters} meters as of {as_of.isoformat()}")
    alerts = fetch_alerts(ctx.conn, status="unresolved")
    print(format_table([alert_record(a, ctx.settings.timezone) for a in alerts]))
    for alert in alerts:
        numbers = {k: v for k, v in alert.evidence.items() if k != "message"}
        print(f"  alert {alert.id} evidence: {numbers}")


DEMO_ACCOUNT = "A-1"
BRIDGE = "http://127.0.0.1:8000"


def demo_secret(settings: Settings) -> Settings:
    """The settings with a portal secret: the configured one, or one made for this run."""
    if settings.portal_secret:
        return settings
    return settings.model_copy(update={"portal_secret": secrets.token_hex(32)})


def demo_token(settings: Settings, account_id: str = DEMO_ACCOUNT) -> str:
    """A customer token of the account, valid a day, signed as the portal would."""
    now = pd.Timestamp.now(tz="UTC")
    claims = {"sub": account_id, "scope": "customer", "iat": int(now.timestamp()),
              "exp": int((now + pd.Timedelta(days=1)).timestamp())}  # fmt: skip
    return jwt.encode(claims, settings.portal_secret or "", algorithm="HS256")


def step_bridge(ctx: DemoContext) -> None:
    """Say how to read the demo account through the portal bridge."""
    meters = fetch_account_meters(ctx.conn, DEMO_ACCOUNT)[METER_ID].tolist()
    token = demo_token(ctx.settings)
    print(f"customer token of account {DEMO_ACCOUNT} (meters {', '.join(meters)}), valid 24 h:")
    print(f"  TOKEN={token}")
    print("its monthly curve, real and estimated told apart:")
    print(f"  curl -H \"Authorization: Bearer $TOKEN\" "
          f"'{BRIDGE}/v1/meters/{meters[0]}/curve?resolution=month&from=2026-01-01'")  # fmt: skip
    print(f"its meters and contracts: curl -H \"Authorization: Bearer $TOKEN\" "
          f"{BRIDGE}/v1/accounts/{DEMO_ACCOUNT}/meters")  # fmt: skip


STEPS: list[tuple[str, Callable[[DemoContext], None]]] = [
    ("Loading the sample meters and readings", step_load_sample),
    ("Gateways publishing over MQTT", step_mqtt),
    ("The store", step_status),
    ("Estimating consumption and filling gaps", step_estimate),
    ("Detecting abnormal consumption", step_detect),
    ("The portal bridge", step_bridge),
]


def run_demo(settings: Settings | None = None, *, serve: bool = True) -> int:
    """Run every step in order, then serve the bridge on 127.0.0.1:8000 until interrupted."""
    settings = demo_secret(settings or Settings.load())
    with open_store(settings) as conn:
        ctx = DemoContext(settings, conn, sample_folder(settings))
        for number, (title, step) in enumerate(STEPS, start=1):
            print(f"\n== {number}. {title}")
            step(ctx)
    if serve:
        print(f"\nserving the portal bridge on {BRIDGE}/v1 (Ctrl-C stops it)", flush=True)
        uvicorn.run(build_app(settings), host="127.0.0.1", port=8000, log_level="warning")
    return 0
