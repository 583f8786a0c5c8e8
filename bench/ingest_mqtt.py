"""Benchmark: MQTT drain rate of ``releve ingest mqtt`` against a bare paho subscriber.

One run, one Mosquitto started here (``set_tcp_nodelay true``, no queue
limits), one store (``RELEVE_DATABASE_URL``, else an embedded PostgreSQL
under a temporary ``RELEVE_HOME``). N messages are queued in persistent
sessions while every consumer is offline, then each consumer drains them:

  (a)  a bare paho subscriber (MQTT 5, persistent session, QoS 1) that only counts;
  (b)  ``releve ingest mqtt`` storing the same N messages (timed from its
       connection until the N readings are committed);
  (a') the bare subscriber again, on a second session: the reference is the
       mean of (a) and (a'), as the machine's load may drift during (b);
  (c)  two ``releve ingest mqtt`` processes in one shared group, N other messages.

Prints msg/s of each, the ratio (b)/(a) (target >= 0.5) and the readings
stored, lost and doubled. Usage:
``python bench/ingest_mqtt.py [--messages N] [--meters M] [--no-shared] [--smoke] [-- INGEST ARGS]``.

``--smoke`` runs the same path in seconds (a few thousand messages, a drain
timeout of a minute). Exit codes: 0 done, 1 readings lost or doubled (or a
drain timed out), 2 Mosquitto is not installed (the bench needs it: amqtt
has no MQTT 5 persistent sessions).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
import psycopg  # noqa: E402
from paho.mqtt.enums import CallbackAPIVersion  # noqa: E402
from paho.mqtt.packettypes import PacketTypes  # noqa: E402
from paho.mqtt.properties import Properties  # noqa: E402

import store  # noqa: E402
from ingest.mqtt.embedded_broker import choose_kind, started_broker  # noqa: E402
from releve.config import Settings  # noqa: E402
from releve.simulate.gateway import gateway_messages, publish_messages  # noqa: E402

TIMEOUT = 600.0  # [s] for one drain
SMOKE = {"messages": 2_000, "meters": 50, "timeout": 60.0}


def mqtt5_client(client_id: str, on_message=None) -> mqtt.Client:
    """A persistent-session MQTT 5 client with auto-acknowledged QoS 1."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    if on_message is not None:
        client.on_message = on_message
    return client


def connect_persistent(client: mqtt.Client, port: int) -> None:
    properties = Properties(PacketTypes.CONNECT)
    properties.SessionExpiryInterval = 3600
    properties.ReceiveMaximum = 65535
    client.connect("127.0.0.1", port, 60, clean_start=False, properties=properties)


def create_session(port: int, client_id: str, topic: str) -> None:
    """Subscribe ``client_id`` to ``topic`` and leave: the broker now queues for it."""
    client = mqtt5_client(client_id)
    subscribed = threading.Event()
    client.on_subscribe = lambda *args: subscribed.set()
    connect_persistent(client, port)
    client.loop_start()
    client.subscribe(topic, qos=1)
    assert subscribed.wait(10), f"no SUBACK for {client_id}"
    client.disconnect()
    client.loop_stop()


def drain_bare(port: int, client_id: str, n: int, timeout: float = TIMEOUT) -> float:
    """Seconds a counting subscriber takes to receive its ``n`` queued messages."""
    done = threading.Event()
    state = {"count": 0, "t0": 0.0, "t1": 0.0}

    def on_connect(*args) -> None:
        state["t0"] = time.perf_counter()

    def on_message(client, userdata, message) -> None:
        state["count"] += 1
        if state["count"] == n:
            state["t1"] = time.perf_counter()
            done.set()

    client = mqtt5_client(client_id, on_message)
    client.on_connect = on_connect
    connect_persistent(client, port)
    client.loop_start()
    if not done.wait(timeout):
        raise TimeoutError(f"bare subscriber got {state['count']} of {n}")
    client.disconnect()
    client.loop_stop()
    return state["t1"] - state["t0"]


class Ingestor:
    """A ``releve ingest mqtt`` process whose connection time is noted from its log."""

    def __init__(self, env: dict[str, str], args: list[str]) -> None:
        self.connected_at: float | None = None
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "releve.cli", "ingest", "mqtt", *args],
            env=env,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if self.connected_at is None and "connected to" in line:
                self.connected_at = time.perf_counter()
            self.lines.append(line.rstrip())

    def stop(self) -> str:
        """SIGTERM, wait, and return the last summary line."""
        self.process.terminate()
        self.process.wait(60)
        self.reader.join(5)
        return next(
            (x for x in reversed(self.lines) if "stopped:" in x), "\n".join(self.lines[-5:])
        )


def readings_after(url: str, batch_id: int, meter_prefix: str) -> tuple[int, int]:
    """Readings of the bench's meters written after ``batch_id``: (rows, distinct keys)."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*), count(DISTINCT (meter_id, ts)) FROM readings"
            " WHERE batch_id > %s AND meter_id LIKE %s",
            (batch_id, meter_prefix + "%"),
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def stored_since(url: str, batch_id: int) -> int:
    """Readings stored by batches after ``batch_id``, from the small batch table."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(stored), 0) FROM ingest_batches WHERE batch_id > %s", (batch_id,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def last_batch(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT coalesce(max(batch_id), 0) FROM ingest_batches").fetchone()
    assert row is not None
    return int(row[0])


def drain_ingestors(
    env: dict[str, str],
    port: int,
    url: str,
    groups: list[list[str]],
    n: int,
    meter_prefix: str,
    timeout: float = TIMEOUT,
) -> tuple[float, int, int, list[str]]:
    """Start ingestors, time them from the first connection until ``n`` readings are
    stored (or ``timeout`` passes, or every ingestor has exited)."""
    before = last_batch(url)
    ingestors = [Ingestor(env, ["--broker", f"mqtt://127.0.0.1:{port}", *args]) for args in groups]
    deadline = time.monotonic() + timeout
    stored = 0
    while stored < n and time.monotonic() < deadline:
        time.sleep(0.02)
        stored = stored_since(url, before)
        if all(i.process.poll() is not None for i in ingestors):
            break
    t1 = time.perf_counter()
    summaries = [ingestor.stop() for ingestor in ingestors]
    starts = [i.connected_at for i in ingestors if i.connected_at is not None]
    if not starts:
        raise SystemExit("no ingestor connected:\n" + "\n".join(summaries))
    rows, distinct = readings_after(url, before, meter_prefix)
    return t1 - min(starts), rows, distinct, summaries


def publish(port: int, n: int, meters: int, topic_prefix: str, meter_prefix: str) -> float:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=200)
    source = gateway_messages(
        meters, 900, start, topic_prefix=topic_prefix, meter_prefix=meter_prefix
    )
    t0 = time.perf_counter()
    publish_messages(f"mqtt://127.0.0.1:{port}", islice(source, n))
    return n / (time.perf_counter() - t0)


def main() -> int:
    """Run the benchmark and print its figures; see the module's exit codes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--meters", type=int, default=10_000)
    parser.add_argument("--no-shared", action="store_true", help="skip (c)")
    parser.add_argument("--smoke", action="store_true",
                        help=f"{SMOKE['messages']:,} messages on {SMOKE['meters']} meters")  # fmt: skip
    parser.add_argument("ingest_args", nargs="*", help="more `releve ingest mqtt` arguments")
    args = parser.parse_args()
    if choose_kind() != "mosquitto":
        print("ingest_mqtt: mosquitto is not on PATH (nor /usr/sbin/mosquitto); install it "
              "(apt-get install mosquitto): the bench needs MQTT 5 persistent sessions",
              file=sys.stderr)  # fmt: skip
        return 2
    timeout = SMOKE["timeout"] if args.smoke else TIMEOUT
    if args.smoke:
        args.messages, args.meters = SMOKE["messages"], SMOKE["meters"]
    n = args.messages
    with tempfile.TemporaryDirectory(prefix="releve-bench-") as tmp:
        broker = started_broker("mosquitto", Path(tmp))
        home = Path(tmp) / "home"
        settings = Settings(home=home)
        url = store.database_url(settings.database_url, home)
        store.connect(url).close()  # migrated
        env = {
            **os.environ,
            "RELEVE_DATABASE_URL": url,
            "RELEVE_HOME": str(home),
            "PYTHONPATH": str(ROOT),
        }
        try:
            faults = run(
                broker.port, env, url, n, args.meters, not args.no_shared, args.ingest_args, timeout
            )
        finally:
            broker.stop()
            if not os.environ.get("RELEVE_DATABASE_URL"):
                store.embedded_server(home).stop()
    return 1 if faults else 0


def run(
    port: int,
    env: dict[str, str],
    url: str,
    n: int,
    meters: int,
    shared_group: bool,
    extra: list[str],
    timeout: float = TIMEOUT,
) -> int:
    """Queue, drain and print each run; the readings lost or doubled in all."""
    run_id = datetime.now(UTC).strftime("%H%M%S")
    single, shared = f"b{run_id}a/", f"b{run_id}s/"
    single_meters, shared_meters = f"A{run_id}-", f"S{run_id}-"
    # Two bare sessions, drained before and after (b): the machine's load may drift.
    for name in ("bench-bare", "bench-bare-after"):
        create_session(port, name, f"{single}meters/+/readings")
    create_session(port, "bench-ingest", f"{single}meters/+/readings")
    for i in (1, 2):
        create_session(port, f"bench-shared-{i}", f"$share/bench/{shared}meters/+/readings")
    print(
        f"queueing {n} messages for (a) and (b)" + (f", {n} for (c)" if shared_group else ""),
        flush=True,
    )
    rate_pub = publish(port, n, meters, single, single_meters)
    if shared_group:
        publish(port, n, meters, shared, shared_meters)
    print(f"published at {rate_pub:,.0f} msg/s", flush=True)

    bare_s = drain_bare(port, "bench-bare", n, timeout)
    print(
        f"(a) bare paho subscriber, QoS 1:      {n / bare_s:10,.0f} msg/s ({n} in {bare_s:.2f} s)"
    )

    topic = ["--topic", f"{single}meters/+/readings=releve", "--log-interval", "3600", *extra]
    seconds, rows, distinct, summaries = drain_ingestors(
        env, port, url, [[*topic, "--client-id", "bench-ingest"]], n, single_meters, timeout
    )
    faults = n - distinct + rows - distinct
    after_s = drain_bare(port, "bench-bare-after", n, timeout)
    print(
        f"(a') bare paho subscriber, again:     {n / after_s:10,.0f} msg/s ({n} in {after_s:.2f} s)"
    )
    bare_rate = 2 * n / (bare_s + after_s)
    ingest_rate = n / seconds
    print(
        f"(b) releve ingest mqtt -> store:       {ingest_rate:10,.0f} msg/s ({n} in {seconds:.2f} s)"
    )
    print(f"    ratio (b)/(a, a' mean): {ingest_rate / bare_rate:.2f} (target >= 0.5)")
    print(f"    stored {distinct}, lost {n - distinct}, doubled {rows - distinct}")
    print(f"    {summaries[0].split('stopped: ')[-1]}")

    if not shared_group:
        return faults
    shared_topic = [
        "--topic",
        f"{shared}meters/+/readings=releve",
        "--shared",
        "bench",
        "--log-interval",
        "3600",
        *extra,
    ]
    seconds, rows, distinct, summaries = drain_ingestors(
        env,
        port,
        url,
        [[*shared_topic, "--client-id", f"bench-shared-{i}"] for i in (1, 2)],
        n,
        shared_meters,
        timeout,
    )
    faults += n - distinct + rows - distinct
    print(
        f"(c) two ingestors, one shared group:   {n / seconds:10,.0f} msg/s ({n} in {seconds:.2f} s)"
    )
    print(f"    ratio (c)/(a): {n / seconds / bare_rate:.2f}")
    print(f"    stored {distinct}, lost {n - distinct}, doubled {rows - distinct}")
    for summary in summaries:
        print(f"    {summary.split('stopped: ')[-1]}")
    return faults


if __name__ == "__main__":
    sys.exit(main())
