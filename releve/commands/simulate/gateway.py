"""``releve simulate gateway``: publish simulated meter readings to an MQTT broker."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from releve.config import Settings
from releve.simulate.gateway import FORMATS, default_start, gateway_messages, publish_messages


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve simulate gateway``."""
    p = subparsers.add_parser(
        "gateway",
        help="publish simulated meter readings over MQTT",
        description="Each meter publishes its index every --interval seconds of data time.",
    )
    p.add_argument("--broker", help="broker URL (default: RELEVE_MQTT_URL)")
    p.add_argument("--meters", type=int, default=100, help="number of meters")
    p.add_argument("--interval", type=float, default=3600, help="seconds of data time per read")
    p.add_argument("--format", choices=FORMATS, default="releve", help="payload format")
    p.add_argument("--rate", type=float, help="messages per second (default: real time)")
    p.add_argument("--duration", type=float, help="stop after this many seconds")
    p.add_argument("--count", type=int, help="stop after this many messages")
    p.add_argument("--bad-fraction", type=float, default=0.0, help="share of bad payloads [0-1]")
    p.add_argument("--start", help="data time of the first reading (ISO 8601)")
    p.add_argument("--topic-prefix", default="", help="put in front of every topic, e.g. site1/")
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Publish, then print how many messages went out."""
    broker = args.broker or Settings.load().mqtt_url or "mqtt://127.0.0.1:1883"
    rate = args.rate if args.rate else args.meters / args.interval
    planned = args.count or (int(rate * args.duration) if args.duration else None)
    now = datetime.now(UTC)
    if args.start:
        start = datetime.fromisoformat(args.start)
    elif planned:
        start = default_start(args.meters, args.interval, planned, now)
    else:
        start = now
    messages = gateway_messages(
        args.meters,
        args.interval,
        start,
        fmt=args.format,
        bad_fraction=args.bad_fraction,
        seed=args.seed,
        topic_prefix=args.topic_prefix,
    )
    sent = publish_messages(broker, messages, rate=rate, duration_s=args.duration, count=args.count)
    print(f"published {sent} messages to {broker}")
    return 0
