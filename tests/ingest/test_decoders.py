"""Decoders of MQTT payloads: valid messages, each rejection reason, alarm mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from ingest.decoders import DecodeOptions, parse_releve_json, parse_wmbusmeters
from ingest.decoders.exceptions import DecodeError

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# The example line of PRODUCT.md, as wmbusmeters publishes it.
PRODUCT_WMBUS_LINE = (
    b'{"media":"cold water","meter":"multical21","id":"12345678","total_m3":6.388,'
    b'"status":"DRY","time_dry":"22-31 days","timestamp":"2018-02-08T09:07:22Z"}'
)


def releve(payload: object, topic: str = "meters/M-1/readings"):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_releve_json(topic, data, RECEIVED)


def wmbus(payload: object, topic: str = "wmbusmeters/kitchen"):
    data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return parse_wmbusmeters(topic, data, RECEIVED)


def test_releve_single_object():
    decoded = releve({"timestamp": "2026-03-01T10:00:00+01:00", "index": 1203.4, "unit": "m3"})
    (reading,) = decoded.readings
    assert reading.meter_id == "M-1"
    assert reading.ts == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert reading.index == 1203.4
    assert (reading.unit, reading.quality, reading.location) == (
        "m3",
        "actual",
        "meters/M-1/readings",
    )
    assert decoded.rejections == () and decoded.events == ()


def test_releve_local_time_is_in_the_configured_zone():
    payload = json.dumps({"timestamp": "2026-07-01T12:00:00", "index": 5, "unit": "L"}).encode()
    paris = parse_releve_json("meters/M/readings", payload, RECEIVED + timedelta(days=200))
    utc = parse_releve_json(
        "meters/M/readings", payload, RECEIVED + timedelta(days=200), DecodeOptions(timezone="UTC")
    )
    assert paris.readings[0].ts == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert utc.readings[0].ts == datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def test_releve_array_keeps_good_items_beside_bad_ones():
    items = [
        {"timestamp": "2026-03-01T00:00:00Z", "index": 10, "unit": "m3"},
        {"timestamp": "2026-03-01T01:00:00Z", "index": -1, "unit": "m3"},
        {"timestamp": "2026-03-01T02:00:00Z", "index": 11, "unit": "litres", "quality": "customer"},
    ]
    decoded = releve(items)
    assert [r.index for r in decoded.readings] == [10.0, 11.0]
    assert decoded.readings[1].unit == "L" and decoded.readings[1].quality == "customer"
    (rejected,) = decoded.rejections
    assert rejected.reason_code == "negative_index"
    assert rejected.location == "meters/M-1/readings[1]"
    assert json.loads(rejected.raw) == items[1]


def test_releve_epoch_seconds_timestamp():
    decoded = releve({"timestamp": 1772323200, "index": 1, "unit": "m3"})
    assert decoded.readings[0].ts == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)


GOOD = {"timestamp": "2026-03-01T10:00:00Z", "index": 1.0, "unit": "m3"}


@pytest.mark.parametrize(
    ("topic", "payload", "code"),
    [
        pytest.param("meters/M/readings", b"{not json", "not_json", id="not_json"),
        pytest.param("meters/M/readings", b"\xff\xfe\x00garbage", "not_json", id="not_utf8"),
        pytest.param("meters/M/readings", {**GOOD, "index": "12"}, "wrong_type", id="index_text"),
        pytest.param("meters/M/readings", {**GOOD, "index": True}, "wrong_type", id="index_bool"),
        pytest.param("meters/M/readings", {**GOOD, "unit": 3}, "wrong_type", id="unit_number"),
        pytest.param("meters/M/readings", {**GOOD, "timestamp": []}, "wrong_type", id="ts_list"),
        pytest.param("meters/M/readings", "a string", "wrong_type", id="json_string"),
        pytest.param("meters/M/readings", {"index": 1, "unit": "m3"}, "missing_field", id="no_ts"),
        pytest.param(
            "meters/M/readings", {**GOOD, "index": None}, "missing_field", id="null_index"
        ),
        pytest.param(
            "meters/M/readings",
            b'{"timestamp":"2026-03-01T10:00:00Z","index":NaN,"unit":"m3"}',
            "non_finite_index",
            id="nan_index",
        ),
        pytest.param(
            "meters/M/readings",
            b'{"timestamp":"2026-03-01T10:00:00Z","index":1e999,"unit":"m3"}',
            "non_finite_index",
            id="infinite_index",
        ),
        pytest.param("meters/M/readings", {**GOOD, "index": -0.5}, "negative_index", id="negative"),
        pytest.param(
            "meters/M/readings", {**GOOD, "unit": "gallons"}, "unknown_unit", id="gallons"
        ),
        pytest.param(
            "meters/M/readings",
            {**GOOD, "timestamp": "2026-03-02T12:00:01Z"},
            "future_timestamp",
            id="future",
        ),
        pytest.param(
            "meters/M/readings",
            {**GOOD, "timestamp": "1999-12-31T23:59:59Z"},
            "timestamp_before_2000",
            id="before_2000",
        ),
        pytest.param(
            "meters/M/readings", {**GOOD, "timestamp": "yesterday"}, "bad_timestamp", id="bad_ts"
        ),
        pytest.param(
            "meters/M/readings",
            {**GOOD, "timestamp": "0001-01-01T00:00:00+05:00"},
            "bad_timestamp",
            id="ts_overflow",
        ),
        pytest.param(
            "meters/M/readings", {**GOOD, "quality": "guess"}, "bad_quality", id="quality"
        ),
        pytest.param("meters/M/readings", [], "empty_payload", id="empty_array"),
        pytest.param("meters/readings", GOOD, "no_meter_in_topic", id="topic_without_meter"),
        pytest.param("meters/M/status", GOOD, "no_meter_in_topic", id="topic_not_readings"),
        pytest.param("meters//readings", GOOD, "no_meter_in_topic", id="empty_meter_level"),
        pytest.param("meters/b@d id/readings", GOOD, "bad_meter_id", id="bad_meter_id"),
    ],
)
def test_releve_rejections(topic, payload, code):
    decoded = releve(payload, topic)
    assert decoded.readings == ()
    (rejected,) = decoded.rejections
    assert rejected.reason_code == code
    assert rejected.location.startswith(topic)
    assert len(rejected.reason) > 20


def test_oversized_payload_is_rejected_and_its_raw_truncated():
    payload = json.dumps({**GOOD, "pad": "x" * 300_000}).encode()
    decoded = parse_releve_json("meters/M/readings", payload, RECEIVED)
    (rejected,) = decoded.rejections
    assert rejected.reason_code == "payload_too_large"
    assert str(len(payload)) in rejected.reason
    assert len(rejected.raw) < 5000 and "truncated" in rejected.raw


def test_size_limit_is_configurable():
    payload = json.dumps(GOOD).encode()
    small = DecodeOptions(max_payload_bytes=len(payload) - 1)
    assert parse_releve_json("meters/M/readings", payload, RECEIVED, small).rejections
    assert parse_releve_json("meters/M/readings", payload, RECEIVED).readings


def test_strict_mode_raises_with_the_reason():
    with pytest.raises(DecodeError) as info:
        parse_releve_json("meters/M/readings", b"[1]", RECEIVED, DecodeOptions(strict=True))
    assert info.value.reason_code == "wrong_type"


def test_wmbusmeters_product_example_line():
    decoded = parse_wmbusmeters("wmbusmeters/MyWater", PRODUCT_WMBUS_LINE, RECEIVED)
    (reading,) = decoded.readings
    assert reading.meter_id == "12345678"
    assert reading.ts == datetime(2018, 2, 8, 9, 7, 22, tzinfo=UTC)
    assert (reading.index, reading.unit, reading.kind) == (6.388, "m3", "water")
    (event,) = decoded.events
    assert (event.meter_id, event.ts, event.code) == ("12345678", reading.ts, "DRY")
    assert "status=DRY" in event.raw and "time_dry=22-31 days" in event.raw
    assert decoded.rejections == ()


WMBUS = {"media": "water", "id": "87654321", "total_m3": 12.5, "timestamp": "2026-03-01T10:00:00Z"}


@pytest.mark.parametrize(
    ("extra", "codes"),
    [
        pytest.param({"status": "OK"}, set(), id="ok"),
        pytest.param({"current_alarms": "no_alarm"}, set(), id="no_alarm"),
        pytest.param({"status": "LEAK BURST"}, {"LEAK", "BURST"}, id="two_flags"),
        pytest.param({"current_status": "REVERSE TAMPER"}, {"REVERSE", "TAMPER"}, id="current"),
        pytest.param(
            {"current_alarms": "leakage,meter_blocked"}, {"LEAK", "METER_BLOCKED"}, id="izar_alarms"
        ),
        pytest.param({"current_alarms": "PREV_LEAKAGE"}, {"PREV_LEAKAGE"}, id="previous"),
        pytest.param({"time_leaking": "1-8 hours", "time_bursting": ""}, {"LEAK"}, id="time"),
        pytest.param({"time_reversed": "no", "time_dry": "0 hours"}, set(), id="time_none"),
    ],
)
def test_wmbusmeters_alarms_become_events(extra, codes):
    decoded = wmbus({**WMBUS, **extra})
    assert {e.code for e in decoded.events} == codes
    assert len(decoded.readings) == 1


def test_wmbusmeters_alarm_without_index_still_stores_events():
    decoded = wmbus({"id": "87654321", "status": "LEAK", "timestamp": "2026-03-01T10:00:00Z"})
    assert decoded.readings == () and decoded.rejections == ()
    assert [e.code for e in decoded.events] == ["LEAK"]


def test_wmbusmeters_bad_index_keeps_the_events():
    decoded = wmbus({**WMBUS, "total_m3": -3, "status": "BURST"})
    assert [e.code for e in decoded.events] == ["BURST"]
    assert [r.reason_code for r in decoded.rejections] == ["negative_index"]


@pytest.mark.parametrize(
    ("payload", "unit", "kind"),
    [
        pytest.param({**WMBUS, "media": "gas"}, "m3", "gas", id="gas"),
        pytest.param({**WMBUS, "media": "warm water"}, "m3", "water", id="warm_water"),
        pytest.param(
            {
                "id": "1",
                "media": "electricity",
                "total_energy_consumption_kwh": 7,
                "timestamp": "2026-03-01T10:00:00Z",
            },
            "kWh",
            "electricity",
            id="energy",
        ),
        pytest.param(
            {"id": "1", "total_kwh": 7, "meter_datetime": "2026-03-01 11:00"},
            "kWh",
            None,
            id="meter_datetime",
        ),
    ],
)
def test_wmbusmeters_kinds_and_units(payload, unit, kind):
    (reading,) = wmbus(payload).readings
    assert (reading.unit, reading.kind) == (unit, kind)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        pytest.param(b"[]", "wrong_type", id="array"),
        pytest.param(b"\x00\x01", "not_json", id="binary"),
        pytest.param({k: v for k, v in WMBUS.items() if k != "id"}, "missing_field", id="no_id"),
        pytest.param({**WMBUS, "id": 12345678}, "bad_meter_id", id="id_number"),
        pytest.param({**WMBUS, "timestamp": None}, "missing_field", id="no_timestamp"),
        pytest.param({**WMBUS, "total_m3": None}, "missing_field", id="no_index_no_alarm"),
        pytest.param({**WMBUS, "total_m3": "6.3"}, "wrong_type", id="index_text"),
        pytest.param({**WMBUS, "media": "heat"}, "unknown_media", id="heat"),
        pytest.param(
            {**WMBUS, "timestamp": "2030-01-01T00:00:00Z"}, "future_timestamp", id="future"
        ),
        pytest.param(
            {**WMBUS, "timestamp": "1970-01-02T00:00:00Z"},
            "timestamp_before_2000",
            id="epoch_clock",
        ),
    ],
)
def test_wmbusmeters_rejections(payload, code):
    decoded = wmbus(payload)
    assert decoded.readings == () and decoded.events == ()
    assert [r.reason_code for r in decoded.rejections] == [code]
