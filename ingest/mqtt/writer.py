"""The writer thread: batch the inbox, have each batch committed, then acknowledge it.

A message is acknowledged only after the transaction holding its readings,
events and rejects has committed. When the store is down the batch is
retried with backoff and nothing is acknowledged; the inbox fills up and
the network thread stops reading, so the broker keeps the rest.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter, deque
from typing import Protocol

from ingest.mqtt.batch import Message
from ingest.mqtt.client import MqttConnection
from ingest.mqtt.metrics import Metrics
from ingest.mqtt.settings import IngestSettings
from ingest.mqtt.store_writer import BatchOutcome, BatchWriter, Deadline, GaveUp
from ingest.mqtt.worker import WorkerPool

log = logging.getLogger("ingest.mqtt")


class Sink(Protocol):
    """Where batches are committed: writer processes, or a writer in this thread."""

    deadline: Deadline
    capacity: int  # batches that may be in flight at once

    def submit(self, messages: list[Message]) -> int: ...

    def done(self, ticket: int) -> bool: ...

    def result(self, ticket: int) -> BatchOutcome: ...

    def close(self) -> None: ...


class _Clock:
    value = float("inf")


class LocalSink:
    """A :class:`BatchWriter` in the writer thread itself (``writer_processes=0``)."""

    capacity = 1

    def __init__(self, settings: IngestSettings, database_url: str) -> None:
        self.deadline: Deadline = _Clock()
        self._writer = BatchWriter(settings, database_url, self.deadline)
        self._outcome: BatchOutcome | None = None

    def submit(self, messages: list[Message]) -> int:
        self._outcome = self._writer.write(messages)
        return 0

    def done(self, ticket: int) -> bool:
        return True

    def result(self, ticket: int) -> BatchOutcome:
        assert self._outcome is not None
        outcome, self._outcome = self._outcome, None
        return outcome

    def close(self) -> None:
        self._writer.close()


def make_sink(settings: IngestSettings, database_url: str) -> Sink:
    """Writer processes, or a local writer when ``settings.writer_processes`` is 0."""
    if settings.writer_processes:
        return WorkerPool(settings, database_url)
    return LocalSink(settings, database_url)


class Writer(threading.Thread):
    """Takes messages from the inbox and has them committed in batches until told to stop."""

    def __init__(
        self,
        settings: IngestSettings,
        inbox: queue.Queue[Message],
        mqtt: MqttConnection,
        sink: Sink,
        metrics: Metrics,
    ) -> None:
        super().__init__(name="releve-mqtt-writer", daemon=True)
        self.settings = settings
        self.inbox = inbox
        self.mqtt = mqtt
        self.sink = sink
        self.metrics = metrics
        self.stopping = threading.Event()  # drain what is queued, then end
        self.error: BaseException | None = None
        self._inflight: deque[tuple[list[Message], float, int]] = deque()
        self._next_log = time.monotonic() + settings.log_interval_s

    def stop(self, grace_s: float) -> None:
        """Drain the inbox, giving up on a down store after ``grace_s`` seconds."""
        self.sink.deadline.value = time.monotonic() + grace_s
        self.stopping.set()

    def run(self) -> None:
        try:
            while True:
                batch = self._collect()
                if batch:
                    if len(self._inflight) >= self.sink.capacity:
                        self._finish_oldest()
                    self._inflight.append((batch, time.perf_counter(), self.sink.submit(batch)))
                    while self._inflight and self.sink.done(self._inflight[0][2]):
                        self._finish_oldest()
                elif self._inflight:
                    self._finish_oldest()
                elif self.stopping.is_set():
                    return
                self._maybe_log()
        except GaveUp as exc:
            log.error("%s", exc)
        except BaseException as exc:  # reported by the service, which then stops
            self.error = exc
            log.exception("the writer failed")
        finally:
            self.sink.close()

    def _collect(self) -> list[Message]:
        """Up to ``batch_size`` messages, waiting at most ``flush_ms`` after the first."""
        try:
            first = self.inbox.get(timeout=0.1)
        except queue.Empty:
            return []
        batch = [first]
        limit = self.settings.batch_size
        deadline = time.monotonic() + self.settings.flush_ms / 1000
        get = self.inbox.get
        while len(batch) < limit:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _finish_oldest(self) -> None:
        """Wait for the oldest batch in flight to commit, then ack it: acks go in order."""
        batch, started, ticket = self._inflight.popleft()
        outcome = self.sink.result(ticket)
        acked = self.mqtt.ack(batch)
        for _ in range(outcome.db_errors):
            self.metrics.record_db_error()
        self.metrics.record_batch(
            len(batch),
            acked,
            outcome.stored,
            outcome.duplicates,
            outcome.events,
            Counter(outcome.quarantined),
            time.perf_counter() - started,
        )

    def _maybe_log(self) -> None:
        now = time.monotonic()
        if now >= self._next_log:
            self._next_log = now + self.settings.log_interval_s
            log.info("mqtt ingest: %s queue=%d", self.metrics.totals.line(), self.inbox.qsize())
