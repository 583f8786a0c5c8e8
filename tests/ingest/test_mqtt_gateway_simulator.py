"""The gateway simulator: realistic readings, bad payloads the decoders catch, the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import UTC, datetime
from itertools import islice

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.decoders import DECODERS
from releve.simulate.gateway import gateway_messages
from tests.ingest.mqtt_helpers import START, subprocess_env, unique_prefix, wait_for

RECEIVED = datetime.now(UTC)


@pytest.mark.parametrize(
    "fmt", [pytest.param("releve", id="releve"), pytest.param("wmbusmeters", id="wmbus")]
)
def test_simulated_readings_decode_and_grow(fmt):
    published = list(islice(gateway_messages(10, 900, START, fmt=fmt, bad_fraction=0.0), 300))
    decoder = DECODERS[fmt]
    readings = [r for m in published for r in decoder(m.topic, m.payload, RECEIVED).readings]
    assert len(readings) == 300
    assert len({(r.meter_id, r.ts) for r in readings}) == 300
    for meter in {r.meter_id for r in readings}:
        series = [r.index for r in readings if r.meter_id == meter]
        assert series == sorted(series) and series[-1] > series[0]


@pytest.mark.parametrize(
    "fmt", [pytest.param("releve", id="releve"), pytest.param("wmbusmeters", id="wmbus")]
)
def test_bad_payloads_are_rejected_by_the_decoders(fmt):
    published = list(islice(gateway_messages(50, 900, START, fmt=fmt, bad_fraction=0.3), 1000))
    bad = [m for m in published if m.bad]
    assert 200 < len(bad) < 400
    decoder = DECODERS[fmt]
    for message in published:
        decoded = decoder(message.topic, message.payload, RECEIVED)
        if message.bad:
            assert decoded.rejections and not decoded.readings, message
        else:
            assert decoded.readings and not decoded.rejections, message


@pytest.mark.integration
def test_simulate_gateway_command_publishes(mqtt_broker, tmp_path):
    prefix = unique_prefix()
    got: list[mqtt.MQTTMessage] = []
    subscribed = threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv311)
    client.on_message = lambda c, u, m: got.append(m)
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(mqtt_broker.host, mqtt_broker.port)
    client.loop_start()
    try:
        client.subscribe(f"{prefix}#", qos=1)
        assert subscribed.wait(10)
        env = subprocess_env({k: v for k, v in os.environ.items() if not k.startswith("RELEVE_")})
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "releve.cli",
                "simulate",
                "gateway",
                "--broker",
                mqtt_broker.url,
                "--meters",
                "5",
                "--interval",
                "900",
                "--rate",
                "500",
                "--count",
                "40",
                "--topic-prefix",
                prefix,
                "--format",
                "wmbusmeters",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "published 40 messages" in result.stdout
        wait_for(lambda: len(got) == 40, 10, "40 messages")
    finally:
        client.disconnect()
        client.loop_stop()
    assert all(m.topic.startswith(f"{prefix}wmbusmeters/") for m in got)
    decoded = [DECODERS["wmbusmeters"](m.topic, m.payload, datetime.now(UTC)) for m in got]
    assert all(d.readings and not d.rejections for d in decoded)
