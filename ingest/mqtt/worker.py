"""Writer processes: decoding and store writes off the network process's GIL.

paho's network loop and the decoding and writing of batches are both
Python; in one process they take turns on one core. Writer processes run
``BatchWriter`` on other cores; the network process sends them batches
through pipes and acks a batch when its writer answers that it committed.
If any process dies, nothing uncommitted was acked.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import signal
from multiprocessing.connection import Connection
from typing import Any

from ingest.mqtt.batch import Message
from ingest.mqtt.settings import IngestSettings
from ingest.mqtt.store_writer import BatchOutcome, BatchWriter, Deadline, GaveUp

log = logging.getLogger("ingest.mqtt")
STARTUP_TIMEOUT = 120.0  # [s]


class WorkerFailed(RuntimeError):
    """The writer process died or failed; its batch is left unacknowledged."""


def serve_batches(
    pipe: Connection,
    settings_json: str,
    database_url: str,
    deadline: Deadline,
    log_level: int,
) -> None:
    """The worker's loop: a batch in, its outcome (or failure) out, until told to end."""
    # The parent handles SIGTERM/SIGINT and tells the worker when to end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    writer = BatchWriter(IngestSettings.model_validate_json(settings_json), database_url, deadline)
    pipe.send(("ready", None))
    try:
        while True:
            try:
                batch = pipe.recv()
            except EOFError:
                return  # the parent is gone
            if batch is None:
                return
            try:
                reply: tuple[str, Any] = ("ok", writer.write([Message(*m) for m in batch]))
            except GaveUp as exc:
                reply = ("gave_up", str(exc))
            except Exception as exc:  # reported to the parent, which stops
                log.exception("the writer process failed")
                reply = ("error", repr(exc))
            try:
                pipe.send(reply)
            except (BrokenPipeError, OSError):
                return
            if reply[0] != "ok":
                return
    finally:
        writer.close()


class WorkerPool:
    """The parent's handle on the writer processes; batches go round-robin, results in order.

    Each process has its own store connection, so one batch can be written
    while the next is decoded; the caller acks batches in the order it
    submitted them, as MQTT wants.
    """

    def __init__(self, settings: IngestSettings, database_url: str) -> None:
        context = multiprocessing.get_context("spawn")
        self.deadline = context.Value("d", float("inf"), lock=False)
        self.capacity = settings.writer_processes
        self._pipes: list[Connection] = []
        self._processes: list[multiprocessing.process.BaseProcess] = []
        for i in range(self.capacity):
            pipe, child = context.Pipe()
            process = context.Process(
                target=serve_batches,
                args=(
                    child,
                    settings.model_dump_json(),
                    database_url,
                    self.deadline,
                    logging.getLogger().getEffectiveLevel(),
                ),
                name=f"releve-mqtt-writer-{i}",
                daemon=True,
            )
            process.start()
            child.close()
            self._pipes.append(pipe)
            self._processes.append(process)
        self._next = 0
        # Take no message before something can write it.
        for pipe in self._pipes:
            if not pipe.poll(STARTUP_TIMEOUT):
                self.close()
                raise WorkerFailed(f"a writer process did not start in {STARTUP_TIMEOUT} s")
            pipe.recv()

    def submit(self, messages: list[Message]) -> int:
        """Send a batch to the next process; returns the ticket for :meth:`result`."""
        ticket = self._next
        self._next = (self._next + 1) % self.capacity
        try:
            self._pipes[ticket].send([tuple(m) for m in messages])
        except (BrokenPipeError, OSError) as exc:
            raise self._died(ticket) from exc
        return ticket

    def done(self, ticket: int) -> bool:
        """Whether the batch of ``ticket`` has an answer waiting."""
        return self._pipes[ticket].poll(0)

    def result(self, ticket: int) -> BatchOutcome:
        """The outcome of a submitted batch; raises when its process gave up or failed."""
        try:
            status, value = self._pipes[ticket].recv()
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise self._died(ticket) from exc
        if status == "gave_up":
            raise GaveUp(value)
        if status != "ok":
            raise WorkerFailed(f"a writer process failed: {value}")
        return value

    def _died(self, ticket: int) -> WorkerFailed:
        code = self._processes[ticket].exitcode
        return WorkerFailed(f"a writer process died (exit code {code})")

    def close(self) -> None:
        """Tell the processes to end and wait for them."""
        for pipe in self._pipes:
            with contextlib.suppress(BrokenPipeError, OSError):
                pipe.send(None)
        for process in self._processes:
            process.join(10)
            if process.is_alive():
                process.kill()
                process.join()
        for pipe in self._pipes:
            pipe.close()
