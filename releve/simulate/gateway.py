"""A simulated gateway: meters publishing realistic index readings over MQTT.

Each meter's index grows by a household consumption with a daily profile;
on request a fraction of the messages is bad in one of the ways real
gateways get it wrong, for the ingestor's quarantine to catch.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ingest.mqtt.settings import parse_broker_url

FORMATS = ("releve", "wmbusmeters")
DAILY_M3 = 0.15  # mean household water use [m3/day]
ALARM_PROBABILITY = 0.002  # share of wmbusmeters telegrams carrying a LEAK flag
BAD_KINDS = (
    "not_json",
    "negative_index",
    "unknown_unit",
    "missing_field",
    "future_timestamp",
    "no_meter_in_topic",
    "wrong_type",
)


@dataclass(frozen=True)
class GatewayMessage:
    """One published message; ``bad`` names how it is wrong, None when it is good."""

    topic: str
    payload: bytes
    meter_id: str
    ts: datetime
    bad: str | None = None


def meter_ids(meters: int, fmt: str, meter_prefix: str = "SIM-") -> list[str]:
    """Ids of the simulated meters: ``SIM-000001`` or 8-digit wM-Bus ids."""
    if fmt == "wmbusmeters":
        return [f"{10_000_001 + i}" for i in range(meters)]
    return [f"{meter_prefix}{i + 1:06d}" for i in range(meters)]


def gateway_messages(
    meters: int,
    interval_s: float,
    start: datetime,
    *,
    fmt: str = "releve",
    bad_fraction: float = 0.0,
    seed: int = 42,
    topic_prefix: str = "",
    meter_prefix: str = "SIM-",
) -> Iterator[GatewayMessage]:
    """Readings of every meter every ``interval_s`` seconds of data time from ``start``, forever.

    ``topic_prefix`` (e.g. ``site1/``) goes in front of every topic; ``meter_prefix``
    in front of the Relevé meter ids.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r}: use one of {', '.join(FORMATS)}")
    rng = np.random.default_rng(seed)
    ids = meter_ids(meters, fmt, meter_prefix)
    index = rng.uniform(10, 2000, meters).round(3)
    scale = rng.lognormal(0, 0.5, meters)
    for step in range(1_000_000_000):
        ts = start + timedelta(seconds=step * interval_s)
        hour = ts.hour + ts.minute / 60
        profile = 1 + 0.8 * math.sin((hour - 9) / 24 * 2 * math.pi)
        mean = DAILY_M3 * interval_s / 86400 * profile
        index = (index + rng.gamma(0.5, 2 * mean, meters) * scale).round(3)
        bad = rng.random(meters) < bad_fraction
        for i, meter_id in enumerate(ids):
            if bad[i]:
                message = bad_message(
                    meter_id, ts, fmt, BAD_KINDS[int(rng.integers(len(BAD_KINDS)))]
                )
            elif fmt == "wmbusmeters":
                alarm = bool(rng.random() < ALARM_PROBABILITY)
                message = _wmbus_message(meter_id, ts, float(index[i]), alarm)
            else:
                message = _releve_message(meter_id, ts, float(index[i]))
            if topic_prefix:
                message = replace(message, topic=topic_prefix + message.topic)
            yield message


def _iso(ts: datetime) -> str:
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _releve_message(meter_id: str, ts: datetime, index: float) -> GatewayMessage:
    payload = json.dumps({"timestamp": _iso(ts), "index": index, "unit": "m3"})
    return GatewayMessage(f"meters/{meter_id}/readings", payload.encode(), meter_id, ts)


def _wmbus_message(meter_id: str, ts: datetime, index: float, alarm: bool) -> GatewayMessage:
    document = {
        "media": "cold water",
        "meter": "multical21",
        "name": f"flat{meter_id[-4:]}",
        "id": meter_id,
        "total_m3": index,
        "target_m3": round(index * 0.98, 3),
        "status": "LEAK" if alarm else "OK",
        "time_leaking": "1-8 hours" if alarm else "",
        "timestamp": _iso(ts),
    }
    return GatewayMessage(f"wmbusmeters/{meter_id}", json.dumps(document).encode(), meter_id, ts)


def bad_message(meter_id: str, ts: datetime, fmt: str, kind: str) -> GatewayMessage:
    """A message wrong in the way ``kind`` says (one of ``BAD_KINDS``)."""
    good = {"timestamp": _iso(ts), "index": 12.5, "unit": "m3"}
    topic = f"meters/{meter_id}/readings"
    if fmt == "wmbusmeters":
        good = {"media": "water", "id": meter_id, "total_m3": 12.5, "timestamp": _iso(ts)}
        topic = f"wmbusmeters/{meter_id}"
    index_field = "total_m3" if fmt == "wmbusmeters" else "index"
    variants: dict[str, tuple[str, object]] = {
        "not_json": (topic, "<html>502 Bad Gateway</html>"),
        "negative_index": (topic, {**good, index_field: -4.2}),
        "unknown_unit": (
            topic,
            {**good, "unit": "gallons"} if fmt == "releve" else {**good, "media": "heat"},
        ),
        "missing_field": (topic, {k: v for k, v in good.items() if k != "timestamp"}),
        "future_timestamp": (topic, {**good, "timestamp": _iso(ts + timedelta(days=400))}),
        "no_meter_in_topic": (
            "meters//readings" if fmt == "releve" else topic,
            good if fmt == "releve" else {**good, "id": "no id!"},
        ),
        "wrong_type": (topic, {**good, index_field: "12,5"}),
    }
    topic, body = variants[kind]
    payload = body if isinstance(body, str) else json.dumps(body)
    return GatewayMessage(topic, payload.encode(), meter_id, ts, bad=kind)


def publish_messages(
    broker_url: str,
    messages: Iterator[GatewayMessage],
    *,
    rate: float | None = None,
    duration_s: float | None = None,
    count: int | None = None,
    qos: int = 1,
    client_id: str = "",
) -> int:
    """Publish until ``count`` messages or ``duration_s`` seconds; return how many were sent.

    ``rate`` caps messages per second; every QoS 1 message is acknowledged by
    the broker before this returns.
    """
    address = parse_broker_url(broker_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
    if address.username:
        client.username_pw_set(address.username, address.password)
    if address.tls:
        client.tls_set()
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    done = threading.Condition()
    state = {"acked": 0, "sent": 0}

    def on_publish(client, userdata, mid, reason_code, properties) -> None:
        with done:
            state["acked"] += 1
            done.notify_all()

    client.on_publish = on_publish
    client.connect(address.host, address.port, 60)
    client.loop_start()
    sent, started = 0, time.monotonic()
    try:
        for message in messages:
            if count is not None and sent >= count:
                break
            elapsed = time.monotonic() - started
            if duration_s is not None and elapsed >= duration_s:
                break
            if rate is not None and sent > rate * elapsed:
                time.sleep(min(1.0, (sent - rate * elapsed) / rate))
            client.publish(message.topic, message.payload, qos=qos)
            sent += 1
            state["sent"] = sent
            if qos and sent - state["acked"] > 50_000:
                with done:  # keep the client's memory bounded
                    done.wait_for(lambda: state["sent"] - state["acked"] <= 10_000, timeout=30)
        if qos:
            with done:
                if not done.wait_for(lambda: state["acked"] >= sent, timeout=120):
                    raise TimeoutError(f"broker acknowledged {state['acked']} of {sent} messages")
    finally:
        client.disconnect()
        client.loop_stop()
    return sent


def default_start(meters: int, interval_s: float, messages: int | None, now: datetime) -> datetime:
    """Data time of the first round, so that the last reading is not after ``now``."""
    rounds = math.ceil(messages / meters) if messages else 1
    start = now - timedelta(seconds=interval_s * rounds)
    return start.replace(microsecond=0)
