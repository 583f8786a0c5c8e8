"""The ingestor's life: start the writer, connect, run until told to stop, then stop cleanly.

Stopping (SIGTERM, SIGINT or ``stop``): new messages are left with the broker,
the queued ones are written and acknowledged, then the client disconnects
with its session kept.
"""

from __future__ import annotations

import logging
import queue
import signal
import threading

from ingest.mqtt.batch import Message
from ingest.mqtt.client import MqttConnection
from ingest.mqtt.metrics import Metrics, Totals
from ingest.mqtt.settings import IngestSettings
from ingest.mqtt.writer import Writer, make_sink

log = logging.getLogger("ingest.mqtt")


def run_service(
    settings: IngestSettings,
    *,
    database_url: str,
    stop: threading.Event | None = None,
    handle_signals: bool = False,
    ready: threading.Event | None = None,
) -> Totals:
    """Ingest until ``stop`` is set (or a signal arrives); return the totals.

    ``database_url`` names the store; ``ready`` is set
    whenever the broker acknowledges the subscriptions (at every connection).
    """
    stop = stop or threading.Event()
    if handle_signals:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
    inbox: queue.Queue[Message] = queue.Queue(maxsize=settings.queue_size)
    mqtt = MqttConnection(settings, inbox, ready)
    metrics = Metrics(inbox.qsize, lambda: mqtt.last_message_at)
    if settings.metrics_port is not None:
        port = metrics.serve(settings.metrics_port)
        log.info("metrics on http://0.0.0.0:%d/metrics", port)
    writer = Writer(settings, inbox, mqtt, make_sink(settings, database_url), metrics)
    writer.start()
    try:
        mqtt.start(stop)
        while not stop.wait(0.2) and writer.is_alive():
            metrics.connected.set(1 if mqtt.connected.is_set() else 0)
    finally:
        _stop(settings, mqtt, writer)
        metrics.close()
    log.info("mqtt ingest stopped: %s", metrics.totals.line())
    if writer.error is not None:
        raise RuntimeError("the MQTT writer failed") from writer.error
    return metrics.totals


def _stop(settings: IngestSettings, mqtt: MqttConnection, writer: Writer) -> None:
    mqtt.stop_taking()
    writer.stop(settings.stop_grace_s)
    writer.join(settings.stop_grace_s + 15)
    mqtt.close()
