"""The MQTT ingestor against a real broker and a real PostgreSQL: nothing lost, nothing doubled."""

from __future__ import annotations

import threading
import time
import urllib.request

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from releve.simulate.gateway import GatewayMessage, publish_messages
from store.events import fetch_meter_events
from tests.fixtures.broker import free_port
from tests.ingest.mqtt_helpers import (
    count,
    messages,
    readings_count,
    running_ingestor,
    settings_for,
    unique_prefix,
    wait_for,
)

pytestmark = pytest.mark.integration

PRODUCT_WMBUS_LINE = (
    b'{"media":"cold water","meter":"multical21","id":"12345678","total_m3":6.388,'
    b'"status":"DRY","time_dry":"22-31 days","timestamp":"2018-02-08T09:07:22Z"}'
)


def stored_keys(db_url: str) -> set[tuple[str, str]]:
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT meter_id, ts FROM readings").fetchall()
    return {(meter_id, ts.isoformat()) for meter_id, ts in rows}


def published_keys(published) -> set[tuple[str, str]]:
    return {(m.meter_id, m.ts.isoformat()) for m in published if m.bad is None}


@pytest.mark.parametrize(
    ("protocol", "writer_processes"),
    [
        pytest.param("auto", 2, id="auto_processes"),
        pytest.param("3.1.1", 0, id="v311_thread"),
    ],
)
def test_all_published_messages_are_stored(mqtt_broker, db_url, protocol, writer_processes):
    prefix, port = unique_prefix(), free_port()
    published = messages(500, prefix)
    settings = settings_for(
        mqtt_broker.url,
        prefix,
        protocol=protocol,
        metrics_port=port,
        writer_processes=writer_processes,
    )
    with running_ingestor(settings, db_url) as outcome:
        publish_messages(mqtt_broker.url, iter(published))
        wait_for(lambda: readings_count(db_url) == 500, 20, "500 readings")
        wait_for(lambda: _metric(port, "releve_mqtt_messages_acked_total") == 500, 5, "500 acks")
        assert _metric(port, "releve_mqtt_readings_stored_total") == 500
        assert _metric(port, "releve_mqtt_queue_depth") == 0
    totals = outcome["totals"]
    assert (totals.received, totals.stored, totals.acked, totals.duplicates) == (500, 500, 500, 0)
    assert stored_keys(db_url) == published_keys(published)


def _metric(port: int, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in the metrics")


def test_duplicates_sent_twice_are_stored_once(mqtt_broker, db_url):
    prefix = unique_prefix()
    published = messages(200, prefix)
    with running_ingestor(settings_for(mqtt_broker.url, prefix), db_url) as outcome:
        publish_messages(mqtt_broker.url, iter(published))
        publish_messages(mqtt_broker.url, iter(published[50:150]))
        wait_for(
            lambda: count(db_url, "SELECT coalesce(sum(rows_read), 0) FROM ingest_batches") >= 300,
            20,
            "300 messages written",
        )
    totals = outcome["totals"]
    # At least once: a broker may redeliver more, but each reading is stored exactly once.
    assert totals.received >= 300 and totals.stored == 200
    assert totals.duplicates == totals.received - 200
    assert stored_keys(db_url) == published_keys(published)
    assert count(db_url, "SELECT count(*) FROM quarantine") == 0


def test_poison_is_quarantined_and_acked_while_good_messages_are_kept(mqtt_broker, db_url):
    prefix = unique_prefix()
    published = messages(400, prefix, bad_fraction=0.2)
    bad = [m for m in published if m.bad]
    huge = GatewayMessage(
        f"{prefix}meters/SIM-000001/readings",
        b'{"pad": "' + b"x" * 300_000 + b'"}',
        "SIM-000001",
        published[0].ts,
        "payload_too_large",
    )
    poison = [*published, huge]
    assert 40 < len(bad) < 120
    settings = settings_for(mqtt_broker.url, prefix)
    with running_ingestor(settings, db_url, forget=False) as outcome:
        publish_messages(mqtt_broker.url, iter(poison))
        wait_for(lambda: readings_count(db_url) == 400 - len(bad), 20, "the good readings")
        # The quarantine keeps one row per distinct bad item (topic, reason, raw).
        distinct = len({(m.topic, m.payload) for m in bad}) + 1
        wait_for(
            lambda: count(db_url, "SELECT count(*) FROM quarantine") == distinct,
            20,
            f"{distinct} quarantined items",
        )
    assert stored_keys(db_url) == published_keys(published)
    assert outcome["totals"].acked == len(poison)
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT location, reason_code, reason, raw FROM quarantine").fetchall()
    codes = {code for _, code, _, _ in rows}
    assert {"not_json", "negative_index", "payload_too_large"} <= codes
    assert all(location.startswith(prefix) for location, _, _, _ in rows)
    assert max(len(raw) for _, _, _, raw in rows) < 5000
    # Acked: a new session under the same client id gets nothing redelivered.
    with running_ingestor(settings, db_url) as again:
        time.sleep(1.0)
    assert again["totals"].received == 0


def test_wmbusmeters_alarms_become_meter_events(mqtt_broker, db_url):
    prefix = unique_prefix()
    published = messages(300, prefix, fmt="wmbusmeters", meters=30)
    example = GatewayMessage(
        f"{prefix}wmbusmeters/MyWater", PRODUCT_WMBUS_LINE, "12345678", published[0].ts
    )
    with running_ingestor(settings_for(mqtt_broker.url, prefix), db_url):
        publish_messages(mqtt_broker.url, iter([*published, example]))
        wait_for(lambda: readings_count(db_url) == 301, 20, "301 readings")
    with psycopg.connect(db_url) as conn:
        events = fetch_meter_events(conn)
        kinds = conn.execute("SELECT count(*) FROM meters").fetchone()
    leaks = sum(b'"status": "LEAK"' in m.payload for m in published)
    assert (events["code"] == "LEAK").sum() == leaks
    dry = events[events["meter_id"] == "12345678"]
    assert list(dry["code"]) == ["DRY"] and "time_dry=22-31 days" in dry["raw"].iloc[0]
    assert kinds == (31,)


@pytest.mark.slow
def test_database_outage_mid_stream_loses_nothing(mqtt_broker, db_url, pg_server_url):
    prefix = unique_prefix()
    published = messages(600, prefix)
    name = conninfo_to_dict(db_url)["dbname"]
    settings = settings_for(mqtt_broker.url, prefix, writer_processes=2)
    with running_ingestor(settings, db_url) as outcome:
        publisher = threading.Thread(
            target=publish_messages, args=(mqtt_broker.url, iter(published)), kwargs={"rate": 200}
        )
        publisher.start()
        wait_for(lambda: readings_count(db_url) > 50, 20, "the first readings")
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,)
            )
            time.sleep(3)
            admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        publisher.join(30)
        wait_for(lambda: readings_count(db_url) == 600, 30, "600 readings after the outage")
    totals = outcome["totals"]
    assert totals.db_errors > 0
    assert stored_keys(db_url) == published_keys(published)
    assert totals.stored == 600


def test_broker_restart_reconnects_and_resumes(restartable_broker, db_url):
    prefix = unique_prefix()
    published = messages(300, prefix)
    settings = settings_for(restartable_broker.url, prefix, reconnect_min_s=0.2, reconnect_max_s=1)
    with running_ingestor(settings, db_url) as outcome:
        publish_messages(restartable_broker.url, iter(published[:150]))
        wait_for(lambda: readings_count(db_url) == 150, 20, "150 readings before the restart")
        ready = outcome["ready"]
        ready.clear()
        restartable_broker.stop()
        time.sleep(1)
        restartable_broker.start()
        assert ready.wait(30), "the ingestor did not subscribe again"
        publish_messages(restartable_broker.url, iter(published[150:]))
        wait_for(lambda: readings_count(db_url) == 300, 20, "300 readings after the restart")
    assert stored_keys(db_url) == published_keys(published)


def test_a_tiny_queue_applies_back_pressure_without_loss(mqtt_broker, db_url):
    prefix = unique_prefix()
    published = messages(300, prefix)
    settings = settings_for(mqtt_broker.url, prefix, queue_size=5, batch_size=7, flush_ms=5)
    with running_ingestor(settings, db_url) as outcome:
        publish_messages(mqtt_broker.url, iter(published))
        wait_for(lambda: readings_count(db_url) == 300, 30, "300 readings")
    assert outcome["totals"].acked == 300
    assert stored_keys(db_url) == published_keys(published)
