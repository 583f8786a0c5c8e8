"""An MQTT broker started by Relevé for the demo, the tests and the benchmarks.

Mosquitto when it is on PATH, else the pure-Python amqtt broker (MQTT 3.1.1
only, no shared subscriptions, no messages kept for offline sessions). It
listens on a free port of 127.0.0.1 and keeps its state in ``workdir``.
Production points ``RELEVE_MQTT_URL`` at its own broker instead.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 15.0  # [s]


@dataclass
class MqttBroker:
    """A broker the tests talk to; ``stop``/``start`` only for brokers started here."""

    host: str
    port: int
    kind: str  # mosquitto | amqtt | external
    command: list[str] = field(default_factory=list)
    workdir: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        """``mqtt://host:port``."""
        return f"mqtt://{self.host}:{self.port}"

    @property
    def restartable(self) -> bool:
        """Whether the tests may stop and start this broker."""
        return self.kind != "external"

    def start(self) -> None:
        """Start the broker process and wait until it accepts connections."""
        if not self.restartable:
            raise RuntimeError("an external broker is not started by the tests")
        if self.process is not None and self.process.poll() is None:
            return
        assert self.workdir is not None
        log = open(self.workdir / "broker.log", "ab")  # noqa: SIM115 - owned by the process
        self.process = subprocess.Popen(
            self.command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not _accepts(self.host, self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                text = (self.workdir / "broker.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.kind} broker did not start on {self.port}:\n{text}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the broker (SIGTERM: Mosquitto saves its persistent sessions)."""
        if not self.restartable:
            raise RuntimeError("an external broker is not stopped by the tests")
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        while _accepts(self.host, self.port):
            time.sleep(0.05)


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def mosquitto_config(port: int, workdir: Path) -> str:
    """A Mosquitto configuration for tests and benchmarks: local, anonymous, persistent."""
    return "\n".join(
        [
            f"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {workdir}/",
            "autosave_interval 1",
            "max_queued_messages 0",
            "max_queued_bytes 0",
            "max_inflight_messages 0",
            "set_tcp_nodelay true",
            "log_type error",
            "log_type warning",
            "",
        ]
    )


def amqtt_config(port: int) -> str:
    """An amqtt configuration: local and anonymous."""
    return "\n".join(
        [
            "listeners:",
            "  default:",
            "    type: tcp",
            f"    bind: 127.0.0.1:{port}",
            "sys_interval: 0",
            "auth:",
            "  allow-anonymous: true",
            "topic-check:",
            "  enabled: false",
            "",
        ]
    )


def started_broker(kind: str, workdir: Path) -> MqttBroker:
    """A Mosquitto or amqtt broker started on a free port, its state under ``workdir``."""
    workdir = (
        workdir.resolve()
    )  # the broker runs in workdir: a relative path would not resolve there
    port = free_port()
    if kind == "mosquitto":
        executable = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        (workdir / "mosquitto.conf").write_text(mosquitto_config(port, workdir))
        command = [executable, "-c", str(workdir / "mosquitto.conf")]
    elif kind == "amqtt":
        (workdir / "amqtt.yaml").write_text(amqtt_config(port))
        command = [sys.executable, "-m", "amqtt.scripts.broker_script", "-c", "amqtt.yaml"]
    else:
        raise ValueError(f"unknown broker kind {kind!r}; use mosquitto or amqtt")
    broker = MqttBroker("127.0.0.1", port, kind, command, workdir)
    broker.start()
    return broker


def choose_kind(forced: str | None = None) -> str:
    """The broker to start: ``forced``, else Mosquitto when installed, else amqtt."""
    if forced:
        return forced
    has_mosquitto = shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists()
    return "mosquitto" if has_mosquitto else "amqtt"
