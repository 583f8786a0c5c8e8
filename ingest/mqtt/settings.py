"""Settings of the MQTT ingestor, each with its default and meaning."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field

from core import DEFAULT_TIMEZONE

DEFAULT_TOPICS = {"meters/+/readings": "releve", "wmbusmeters/+": "wmbusmeters"}


class IngestSettings(BaseModel):
    """How the ingestor connects, batches, retries and reports."""

    broker_url: str = Field("mqtt://127.0.0.1:1883", description="mqtt:// or mqtts:// broker URL")
    topics: dict[str, str] = Field(
        default_factory=lambda: dict(DEFAULT_TOPICS),
        description="topic filter -> decoder name (releve, wmbusmeters)",
    )
    client_id: str = Field(
        default_factory=lambda: f"releve-ingest-{socket.gethostname()}",
        description="fixed client id that keeps the persistent session",
    )
    shared_group: str | None = Field(None, description="share the stream via $share/GROUP/...")
    protocol: str = Field("auto", description="MQTT protocol: auto (5, else 3.1.1), 5 or 3.1.1")
    session_expiry_s: int = Field(7 * 86400, gt=0, description="MQTT 5 session expiry [s]")
    keepalive_s: int = Field(30, gt=0, description="MQTT keep-alive interval [s]")
    connect_timeout_s: float = Field(3.0, gt=0, description="wait for a CONNACK [s]")
    writer_processes: int = Field(
        2,
        ge=0,
        le=16,
        description="processes that decode and write batches (0: a thread of this process)",
    )
    receive_maximum: int = Field(
        8000,
        ge=1,
        le=65535,
        description="MQTT 5: unacknowledged messages the broker may send (a few batches)",
    )
    batch_size: int = Field(2000, gt=0, description="flush after this many messages")
    flush_ms: int = Field(200, gt=0, description="flush at the latest this long after the first")
    queue_size: int = Field(20000, gt=0, description="messages held in memory before back-pressure")
    max_payload_bytes: int = Field(256 * 1024, gt=0, description="larger payloads are quarantined")
    timezone: str = Field(DEFAULT_TIMEZONE, description="zone of timestamps without an offset")
    reconnect_min_s: float = Field(0.5, gt=0, description="first broker reconnect delay [s]")
    reconnect_max_s: float = Field(30.0, gt=0, description="longest broker reconnect delay [s]")
    db_retry_min_s: float = Field(0.5, gt=0, description="first database retry delay [s]")
    db_retry_max_s: float = Field(15.0, gt=0, description="longest database retry delay [s]")
    stop_grace_s: float = Field(10.0, ge=0, description="time to flush on SIGTERM/SIGINT [s]")
    metrics_port: int | None = Field(None, description="HTTP port of Prometheus metrics")
    log_interval_s: float = Field(60.0, gt=0, description="period of the summary log line [s]")
    ca_file: str | None = Field(None, description="CA bundle for mqtts://")
    cert_file: str | None = Field(None, description="client certificate for mqtts://")
    key_file: str | None = Field(None, description="client key for mqtts://")

    def subscriptions(self) -> list[str]:
        """The filters to subscribe to, shared when a group is set."""
        if self.shared_group:
            return [f"$share/{self.shared_group}/{topic}" for topic in self.topics]
        return list(self.topics)


@dataclass(frozen=True)
class BrokerAddress:
    """Where the broker is and how to log in."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None


def parse_broker_url(url: str) -> BrokerAddress:
    """``mqtt://user:pass@host:1883`` or ``mqtts://host:8883`` as a :class:`BrokerAddress`."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl"):
        raise ValueError(f"broker URL {url!r} must start with mqtt:// or mqtts://")
    tls = parts.scheme in ("mqtts", "ssl")
    return BrokerAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (8883 if tls else 1883),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
