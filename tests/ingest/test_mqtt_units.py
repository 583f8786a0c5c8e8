"""Pieces of the MQTT ingestor that need no broker: routing, settings, frames, the socket buffer."""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime

import pytest

from ingest.decoders import DecodeOptions
from ingest.mqtt.batch import Message, batch_frames, decode_messages
from ingest.mqtt.routing import Router, filter_pattern
from ingest.mqtt.settings import IngestSettings, parse_broker_url
from ingest.mqtt.transport import BufferedSocket

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        pytest.param("meters/+/readings", "meters/M1/readings", True, id="plus"),
        pytest.param("meters/+/readings", "meters/M1/status", False, id="plus_other_leaf"),
        pytest.param("meters/+/readings", "meters/a/b/readings", False, id="plus_one_level"),
        pytest.param("meters/+/readings", "meters//readings", True, id="plus_empty_level"),
        pytest.param("wmbusmeters/#", "wmbusmeters", True, id="hash_parent"),
        pytest.param("wmbusmeters/#", "wmbusmeters/a/b", True, id="hash_deep"),
        pytest.param("a.b/+", "aXb/c", False, id="dot_is_literal"),
    ],
)
def test_filter_pattern(topic_filter, topic, matches):
    assert bool(filter_pattern(topic_filter).fullmatch(topic)) is matches


def test_router_rejects_unknown_decoders():
    with pytest.raises(ValueError, match="unknown decoder"):
        Router({"x/+": "csv"})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param("mqtt://broker:1884", ("broker", 1884, False, None, None), id="plain"),
        pytest.param("mqtts://u:p%40ss@broker", ("broker", 8883, True, "u", "p@ss"), id="tls"),
        pytest.param("mqtt://127.0.0.1", ("127.0.0.1", 1883, False, None, None), id="default"),
    ],
)
def test_parse_broker_url(url, expected):
    address = parse_broker_url(url)
    assert (address.host, address.port, address.tls, address.username, address.password) == expected


def test_broker_url_scheme_must_be_mqtt():
    with pytest.raises(ValueError, match="mqtt://"):
        parse_broker_url("http://broker")


def test_shared_group_prefixes_every_subscription():
    settings = IngestSettings(shared_group="g1")
    assert settings.subscriptions() == ["$share/g1/meters/+/readings", "$share/g1/wmbusmeters/+"]
    assert IngestSettings().subscriptions() == ["meters/+/readings", "wmbusmeters/+"]


def test_batch_frames_keep_good_rows_beside_bad_and_unrouted_ones():
    good = json.dumps({"timestamp": "2026-03-01T10:00:00Z", "index": 4.5, "unit": "L"}).encode()
    wmbus = json.dumps(
        {"id": "87654321", "status": "LEAK", "total_m3": 1.5, "timestamp": "2026-03-01T10:00:00Z"}
    ).encode()
    messages = [
        Message("meters/M1/readings", good, 1, 1, NOW, 1),
        Message("meters/M2/readings", b"oops", 2, 1, NOW, 1),
        Message("wmbusmeters/x", wmbus, 3, 1, NOW, 1),
        Message("elsewhere/M3", good, 4, 1, NOW, 1),
    ]
    router = Router({"meters/+/readings": "releve", "wmbusmeters/+": "wmbusmeters"})
    frames = batch_frames(decode_messages(messages, router, DecodeOptions()))
    assert list(frames.readings["meter_id"]) == ["M1", "87654321"]
    assert list(frames.readings["unit"]) == ["L", "m3"]
    assert str(frames.readings["ts"].dt.tz) == "UTC"
    assert list(frames.rejects["reason_code"]) == ["not_json", "unknown_topic"]
    assert list(frames.rejects["location"]) == ["meters/M2/readings", "elsewhere/M3"]
    assert list(frames.events["code"]) == ["LEAK"] and set(frames.events["source"]) == {"mqtt"}


def test_buffered_socket_serves_small_reads_from_one_recv():
    left, right = socket.socketpair()
    with left, right:
        right.sendall(b"\x30\x05hello\x40\x02")
        buffered = BufferedSocket(left)
        assert buffered.recv(1) == b"\x30"
        assert buffered.buffered() == 8 and buffered.pending() == 8
        assert buffered.recv(1) == b"\x05"
        assert buffered.recv(100) == b"hello\x40\x02"
        assert buffered.buffered() == 0
        left.setblocking(False)
        with pytest.raises(BlockingIOError):
            buffered.recv(1)
        right.close()
        assert buffered.recv(1) == b""
        assert buffered.fileno() == left.fileno()
