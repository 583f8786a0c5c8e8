"""Decode a batch of messages and write it in one transaction, waiting out store outages.

Used by the writer process (or thread); it never acknowledges anything: its
caller acks a batch once ``write`` has returned, that is once it committed.
"""

from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Protocol

import psycopg

import store
from ingest.decoders import Decoded, DecodeOptions, Rejection
from ingest.decoders.common import raw_text
from ingest.load import LoadResult, store_readings
from ingest.mqtt.batch import BatchFrames, Message, batch_frames, decode_messages
from ingest.mqtt.routing import Router
from ingest.mqtt.settings import IngestSettings
from store.events import upsert_meter_events

log = logging.getLogger("ingest.mqtt")


class Deadline(Protocol):
    """A shared clock value: ``time.monotonic()`` after which retries give up."""

    value: float


class GaveUp(Exception):
    """The store stayed down through the stop grace period; the batch stays unacknowledged."""


@dataclass(frozen=True)
class BatchOutcome:
    """What became of one batch, once committed."""

    stored: int = 0
    duplicates: int = 0
    events: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    db_errors: int = 0  # failed attempts before the commit


def write_frames(
    conn: psycopg.Connection, frames: BatchFrames, location: str
) -> tuple[LoadResult, int]:
    """Meter events, then readings and rejects, each set in its own transaction.

    Both writes are idempotent, so a crash between them is repaired by the
    redelivery of the unacknowledged batch. (Nesting ``store_readings`` in our
    transaction would run it in a savepoint, where its test for rows written
    by its own transaction, on ``xmin``, counts new rows as duplicates.)
    """
    events = 0
    if not frames.events.empty:
        with conn.transaction():
            events = upsert_meter_events(conn, frames.events)
    result = store_readings(conn, frames.readings, frames.rejects, source="mqtt", location=location)
    return result, events


class BatchWriter:
    """Decodes batches and writes them through one store connection, reopened as needed."""

    def __init__(self, settings: IngestSettings, database_url: str, deadline: Deadline) -> None:
        self.settings = settings
        self.database_url = database_url
        self.deadline = deadline
        self.router = Router(settings.topics)
        self.options = DecodeOptions(
            timezone=settings.timezone, max_payload_bytes=settings.max_payload_bytes
        )
        self.location = f"{settings.broker_url} {settings.client_id}"
        self.conn: psycopg.Connection | None = None
        self.db_errors = 0

    def write(self, messages: list[Message]) -> BatchOutcome:
        """Decode and commit ``messages``; raises :class:`GaveUp` if the store stays down."""
        errors_before = self.db_errors
        frames = batch_frames(decode_messages(messages, self.router, self.options))
        try:
            result, events = self._write_with_retry(frames)
        except psycopg.Error as exc:
            # Not an outage but an item the store refuses: find it rather than block the stream.
            log.warning("store refused a batch (%s); writing its messages one by one", exc)
            result, events = self._write_one_by_one(messages)
        return BatchOutcome(
            result.stored,
            result.duplicates,
            events,
            dict(result.quarantined),
            self.db_errors - errors_before,
        )

    def close(self) -> None:
        """Close the store connection."""
        self._drop_connection()

    def _write_one_by_one(self, messages: list[Message]) -> tuple[LoadResult, int]:
        total, events = LoadResult(), 0
        for message in messages:
            frames = batch_frames(decode_messages([message], self.router, self.options))
            try:
                result, n = self._write_with_retry(frames)
            except psycopg.Error as exc:
                result, n = self._write_with_retry(refused_frames(message, exc))[0], 0
            total += result
            events += n
        return total, events

    def _write_with_retry(self, frames: BatchFrames) -> tuple[LoadResult, int]:
        """Write until it commits; the store being down is waited out with backoff."""
        delay = self.settings.db_retry_min_s
        while True:
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = self._connect()
                return write_frames(self.conn, frames, self.location)
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                self.db_errors += 1
                log.warning("store unavailable (%s); retrying in %.1f s", first_line(exc), delay)
                self._drop_connection()
            if time.monotonic() + delay > self.deadline.value:
                raise GaveUp("stopping with the store down: the last batch is left unacknowledged")
            time.sleep(delay)
            delay = min(delay * 2, self.settings.db_retry_max_s)

    def _connect(self) -> psycopg.Connection:
        return store.connect(self.database_url, autocommit=True, connect_timeout=10)

    def _drop_connection(self) -> None:
        if self.conn is not None:
            with contextlib.suppress(psycopg.Error):
                self.conn.close()
        self.conn = None


def refused_frames(message: Message, exc: psycopg.Error) -> BatchFrames:
    """A message the store refused, as a reject for the quarantine."""
    reason = f"the store refused this message ({first_line(exc)}); report it as a bug"
    rejection = Rejection(message.topic, raw_text(message.payload), reason, "store_refused")
    return batch_frames([Decoded(rejections=(rejection,))])


def first_line(exc: BaseException) -> str:
    """The first line of an error message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
