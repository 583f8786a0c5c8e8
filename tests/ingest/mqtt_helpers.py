"""Helpers of the MQTT ingestion tests: run an ingestor, publish, wait, count."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from ingest.mqtt import IngestSettings, run_service
from ingest.mqtt.metrics import Totals
from ingest.mqtt.settings import parse_broker_url
from releve.simulate.gateway import GatewayMessage, gateway_messages

START = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def unique_prefix() -> str:
    """A topic prefix of this test alone: the broker is shared by the session."""
    return f"t{uuid.uuid4().hex[:10]}/"


def settings_for(broker_url: str, prefix: str, **overrides: object) -> IngestSettings:
    """Ingestor settings for a test: its own topics and client id, small fast batches."""
    values: dict[str, object] = {
        "broker_url": broker_url,
        "topics": {f"{prefix}meters/+/readings": "releve", f"{prefix}wmbusmeters/+": "wmbusmeters"},
        "client_id": f"ingest-{prefix.rstrip('/')}",
        "batch_size": 100,
        "flush_ms": 50,
        # A thread starts faster than a process; the process is tested where it matters.
        "writer_processes": 0,
        "db_retry_min_s": 0.2,
        "db_retry_max_s": 1.0,
        "log_interval_s": 1.0,
    }
    values.update(overrides)
    return IngestSettings(**values)  # type: ignore[arg-type]


def messages(
    n: int,
    prefix: str,
    *,
    meters: int = 20,
    fmt: str = "releve",
    bad_fraction: float = 0.0,
    seed: int = 42,
) -> list[GatewayMessage]:
    """``n`` simulated messages, one reading of a meter each, unique (meter, time)."""
    source = gateway_messages(
        meters, 900, START, fmt=fmt, bad_fraction=bad_fraction, seed=seed, topic_prefix=prefix
    )
    return list(islice(source, n))


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``predicate`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def forget_session(broker_url: str, client_id: str) -> None:
    """Drop the broker's persistent session of ``client_id`` (a clean 3.1.1 connection)."""
    address = parse_broker_url(broker_url)
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv311,
        clean_session=True,
    )
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    client.connect(address.host, address.port)
    client.loop_start()
    connected.wait(5)
    client.disconnect()
    client.loop_stop()


def count(db_url: str, sql: str, *params: object) -> int:
    """One integer from the database, on a connection of its own."""
    with psycopg.connect(db_url, connect_timeout=3) as conn:
        row = conn.execute(sql, params).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return int(row[0])


def readings_count(db_url: str) -> int:
    return count(db_url, "SELECT count(*) FROM readings")


@contextmanager
def running_ingestor(
    settings: IngestSettings, db_url: str, *, forget: bool = True
) -> Iterator[dict[str, object]]:
    """An in-process ingestor on its own thread; stopped (gracefully) on exit.

    Yields a dict whose ``totals`` is filled when it has stopped. Its broker
    session is dropped afterwards unless ``forget`` is false.
    """
    stop, ready = threading.Event(), threading.Event()
    outcome: dict[str, object] = {"ready": ready}

    def run() -> None:
        try:
            outcome["totals"] = run_service(settings, stop=stop, database_url=db_url, ready=ready)
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert ready.wait(20), f"the ingestor did not subscribe: {outcome}"
        yield outcome
    finally:
        stop.set()
        thread.join(30)
        if forget:
            forget_session(settings.broker_url, settings.client_id)
    assert "error" not in outcome, outcome.get("error")
    assert isinstance(outcome.get("totals"), Totals)


class IngestProcess:
    """``releve ingest mqtt`` as a subprocess, its log in a file."""

    def __init__(self, env: dict[str, str], log_path: Path, args: list[str]) -> None:
        self.env, self.log_path, self.args = env, log_path, args
        self.process: subprocess.Popen | None = None
        self._log_start = 0

    def start(self) -> None:
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.process = subprocess.Popen(
            [sys.executable, "-m", "releve.cli", "ingest", "mqtt", *self.args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_for(lambda: "subscribed to" in self.log() or not self.alive(), 30, "subscription")
        assert self.alive(), self.log()

    def log(self) -> str:
        """This run's log."""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_start)
            return f.read().decode(errors="replace")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL: no flush, no ack, no goodbye."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def terminate(self, timeout: float = 30) -> str:
        """SIGTERM and wait; returns this run's log."""
        assert self.process is not None
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout)
        return self.log()


@contextmanager
def ingest_processes(env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., IngestProcess]]:
    """A factory of ingest processes, all killed on exit whatever happened."""
    made: list[IngestProcess] = []

    def make(args: list[str], name: str = "ingest") -> IngestProcess:
        process = IngestProcess(env, tmp_path / f"{name}.log", args)
        made.append(process)
        return process

    try:
        yield make
    finally:
        for process in made:
            if process.alive():
                process.kill()
        for process in made:
            broker = process.args[process.args.index("--broker") + 1]
            forget_session(broker, process.args[process.args.index("--client-id") + 1])


def ingest_args(broker_url: str, prefix: str, client_id: str | None = None) -> list[str]:
    """Command-line arguments of a test ingestor."""
    return [
        "--broker",
        broker_url,
        "--topic",
        f"{prefix}meters/+/readings=releve",
        "--topic",
        f"{prefix}wmbusmeters/+=wmbusmeters",
        "--client-id",
        client_id or f"ingest-{prefix.rstrip('/')}",
        "--batch-size",
        "100",
        "--flush-ms",
        "50",
        "--log-interval",
        "1",
    ]


def subprocess_env(releve_env: dict[str, str]) -> dict[str, str]:
    """The fixture's environment, with this repository importable."""
    env = dict(releve_env)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env["PGAPPNAME"] = "releve-ingest-test"
    return env
