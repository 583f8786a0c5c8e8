"""``releve ingest mqtt`` as a process: SIGKILL and restart, SIGTERM, shared subscriptions."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import psycopg
import pytest

from releve.simulate.gateway import publish_messages
from tests.ingest.mqtt_helpers import (
    IngestProcess,
    ingest_args,
    ingest_processes,
    messages,
    readings_count,
    subprocess_env,
    unique_prefix,
    wait_for,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def ingestors(releve_env, tmp_path) -> Iterator[Callable[..., IngestProcess]]:
    """Make ``releve ingest mqtt`` processes; any left running is killed at the end."""
    with ingest_processes(subprocess_env(releve_env), tmp_path) as make:
        yield make


def stored_keys(db_url: str) -> set[tuple[str, str]]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT meter_id, ts FROM readings").fetchall()
    return {(meter_id, ts.isoformat()) for meter_id, ts in rows}


def final_totals(log: str) -> dict[str, int]:
    """The figures of the ingestor's last summary line."""
    line = [x for x in log.splitlines() if "mqtt ingest stopped:" in x][-1]
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def test_sigkill_mid_stream_and_restart_loses_nothing(mqtt_broker, ingestors, db_url):
    if mqtt_broker.kind == "amqtt":
        pytest.skip(
            "amqtt 0.12 keeps no messages for a disconnected persistent session "
            "(clean_session=False), so no client survives a restart on it; Mosquitto does"
        )
    prefix = unique_prefix()
    published = messages(800, prefix)
    ingestor = ingestors(ingest_args(mqtt_broker.url, prefix))
    ingestor.start()
    publisher = threading.Thread(
        target=publish_messages, args=(mqtt_broker.url, iter(published)), kwargs={"rate": 400}
    )
    publisher.start()
    wait_for(lambda: readings_count(db_url) > 150, 30, "the first readings")
    ingestor.kill()
    killed_at = readings_count(db_url)
    assert killed_at < 800, "the stream was over before the kill"
    ingestor.start()
    publisher.join(30)
    wait_for(lambda: readings_count(db_url) == 800, 30, "800 readings after the restart")
    log = ingestor.terminate()
    assert ingestor.process is not None and ingestor.process.returncode == 0, log
    assert stored_keys(db_url) == {(m.meter_id, m.ts.isoformat()) for m in published}
    assert re.search(r"session present: (True|1)", log), log


def test_two_ingestors_in_a_shared_group_split_the_stream(mqtt_broker, ingestors, db_url):
    if mqtt_broker.kind == "amqtt":
        pytest.skip("amqtt has no shared subscriptions ($share/...); Mosquitto 2 has")
    prefix = unique_prefix()
    published = messages(1000, prefix)
    group = [
        ingestors(
            [*ingest_args(mqtt_broker.url, prefix, f"ingest-{prefix[:-1]}-{i}"), "--shared", "g1"],
            f"ingest{i}",
        )
        for i in range(2)
    ]
    for ingestor in group:
        ingestor.start()
    publish_messages(mqtt_broker.url, iter(published))
    wait_for(lambda: readings_count(db_url) == 1000, 30, "1000 readings")
    totals = [final_totals(ingestor.terminate()) for ingestor in group]
    assert all(t["received"] > 100 for t in totals), totals
    assert sum(t["received"] for t in totals) == 1000
    assert sum(t["stored"] for t in totals) == 1000
    assert sum(t["duplicates"] for t in totals) == 0
    assert stored_keys(db_url) == {(m.meter_id, m.ts.isoformat()) for m in published}
