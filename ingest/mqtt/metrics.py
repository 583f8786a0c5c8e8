"""Health of the ingestor: Prometheus metrics and the same figures in a log line."""

from __future__ import annotations

import logging
import time
from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

log = logging.getLogger("ingest.mqtt")


@dataclass
class Totals:
    """Running totals since the start, for the log line and the final report."""

    received: int = 0
    stored: int = 0
    duplicates: int = 0
    events: int = 0
    acked: int = 0
    db_errors: int = 0
    quarantined: Tally[str] = field(default_factory=Tally)

    def line(self) -> str:
        """The figures as ``key=value`` pairs."""
        reasons = ",".join(f"{code}:{n}" for code, n in sorted(self.quarantined.items()))
        return (
            f"received={self.received} stored={self.stored} duplicates={self.duplicates} "
            f"quarantined={sum(self.quarantined.values())} [{reasons}] events={self.events} "
            f"acked={self.acked} db_errors={self.db_errors}"
        )


class Metrics:
    """Counters, gauges and the batch-latency histogram of one ingestor."""

    def __init__(self, queue_depth: Callable[[], float], last_message_at: Callable[[], float]):
        self.registry = CollectorRegistry()
        self._server: Any = None
        self.totals = Totals()
        r = self.registry
        self.received = Counter("releve_mqtt_messages_received", "messages taken", registry=r)
        self.stored = Counter("releve_mqtt_readings_stored", "readings newly stored", registry=r)
        self.duplicates = Counter("releve_mqtt_readings_duplicate", "readings seen", registry=r)
        self.events = Counter("releve_mqtt_meter_events_stored", "meter events stored", registry=r)
        self.acked = Counter("releve_mqtt_messages_acked", "messages acknowledged", registry=r)
        self.db_errors = Counter("releve_mqtt_db_errors", "failed store writes", registry=r)
        self.quarantined = Counter(
            "releve_mqtt_quarantined", "items quarantined", ["reason"], registry=r
        )
        self.batch_seconds = Histogram(
            "releve_mqtt_batch_seconds", "decode, write and ack time of a batch [s]", registry=r
        )
        depth = Gauge("releve_mqtt_queue_depth", "messages waiting in memory", registry=r)
        depth.set_function(queue_depth)
        age = Gauge(
            "releve_mqtt_last_message_age_seconds", "since the last message [s]", registry=r
        )
        age.set_function(lambda: time.time() - last_message_at() if last_message_at() else -1.0)
        self.connected = Gauge("releve_mqtt_connected", "1 while connected", registry=r)

    def serve(self, port: int, addr: str = "0.0.0.0") -> int:
        """Serve the metrics over HTTP on ``port`` (0: any free port); return the port."""
        server, _thread = start_http_server(port, addr=addr, registry=self.registry)
        self._server = server
        return int(server.server_port)

    def close(self) -> None:
        """Stop serving the metrics."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def record_batch(
        self,
        messages: int,
        acked: int,
        stored: int,
        duplicates: int,
        events: int,
        quarantined: Tally[str],
        seconds: float,
    ) -> None:
        """Count one written and acknowledged batch."""
        t = self.totals
        t.received += messages
        t.acked += acked
        t.stored += stored
        t.duplicates += duplicates
        t.events += events
        t.quarantined.update(quarantined)
        self.received.inc(messages)
        self.acked.inc(acked)
        self.stored.inc(stored)
        self.duplicates.inc(duplicates)
        self.events.inc(events)
        for reason, n in quarantined.items():
            self.quarantined.labels(reason=reason).inc(n)
        self.batch_seconds.observe(seconds)

    def record_db_error(self) -> None:
        """Count a failed write (it is retried)."""
        self.totals.db_errors += 1
        self.db_errors.inc()
