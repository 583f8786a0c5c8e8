"""``releve ingest mqtt``: the long-running MQTT ingestion service."""

from __future__ import annotations

import argparse
import sys

from ingest.mqtt import IngestSettings, run_service
from ingest.mqtt.settings import DEFAULT_TOPICS
from releve.config import Settings
from releve.connect import store_url


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve ingest mqtt``."""
    p = subparsers.add_parser(
        "mqtt",
        help="ingest readings from an MQTT broker until stopped",
        description="Subscribe (QoS 1, persistent session) and store readings; "
        "a message is acknowledged only once stored. SIGTERM/SIGINT stop cleanly.",
    )
    p.add_argument(
        "--broker", help="broker URL (default: RELEVE_MQTT_URL or mqtt://127.0.0.1:1883)"
    )
    p.add_argument(
        "--topic",
        action="append",
        metavar="FILTER=DECODER",
        help="topic filter and decoder (releve or wmbusmeters); repeatable; default "
        + ", ".join(f"{t}={d}" for t, d in DEFAULT_TOPICS.items()),
    )
    p.add_argument("--client-id", help="fixed client id of the persistent session")
    p.add_argument(
        "--shared",
        metavar="GROUP",
        help="split the stream with $share/GROUP/...; give each process its own --client-id",
    )
    p.add_argument("--protocol", choices=["auto", "5", "3.1.1"], default="auto")
    p.add_argument(
        "--writers",
        type=int,
        help="processes that decode and write batches (default 2; 0: a thread)",
    )
    p.add_argument("--batch-size", type=int, help="flush after this many messages")
    p.add_argument("--flush-ms", type=int, help="flush at the latest this long after the first")
    p.add_argument("--receive-maximum", type=int, help="MQTT 5: unacknowledged messages in flight")
    p.add_argument("--queue-size", type=int, help="messages held in memory before back-pressure")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    p.add_argument("--log-interval", type=float, help="seconds between summary log lines")
    p.add_argument("--ca-file", help="CA bundle for mqtts://")
    p.add_argument("--cert-file", help="client certificate for mqtts://")
    p.add_argument("--key-file", help="client key for mqtts://")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the ingestor until a signal stops it."""
    app = Settings.load()
    values: dict[str, object] = {
        "broker_url": args.broker or app.mqtt_url or "mqtt://127.0.0.1:1883",
        "timezone": app.timezone,
        "client_id": args.client_id,
        "shared_group": args.shared,
        "protocol": args.protocol,
        "writer_processes": args.writers,
        "batch_size": args.batch_size,
        "flush_ms": args.flush_ms,
        "queue_size": args.queue_size,
        "receive_maximum": args.receive_maximum,
        "metrics_port": args.metrics_port,
        "log_interval_s": args.log_interval,
        "ca_file": args.ca_file,
        "cert_file": args.cert_file,
        "key_file": args.key_file,
    }
    if args.topic:
        values["topics"] = dict(_topic(spec) for spec in args.topic)
    settings = IngestSettings.model_validate({k: v for k, v in values.items() if v is not None})
    try:
        totals = run_service(settings, database_url=store_url(app), handle_signals=True)
    except (RuntimeError, ConnectionError) as exc:
        print(
            f"releve ingest mqtt: {exc}; unacknowledged messages stay with the broker",
            file=sys.stderr,
        )
        return 1
    print(totals.line())
    return 0


def _topic(spec: str) -> tuple[str, str]:
    topic, sep, decoder = spec.partition("=")
    if not sep:
        raise SystemExit(f"--topic {spec!r}: write FILTER=DECODER, e.g. meters/+/readings=releve")
    return topic, decoder
