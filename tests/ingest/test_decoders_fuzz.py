"""Fuzzing: whatever arrives on a topic, a decoder returns; it never raises."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.decoders import DECODERS, Decoded

RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
decoders = st.sampled_from(sorted(DECODERS))
topics = st.one_of(
    st.sampled_from(["meters/M1/readings", "wmbusmeters/x", "meters//readings", ""]),
    st.text(max_size=40),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(max_size=30),
    st.sampled_from(["2026-03-01T10:00:00Z", "m3", "LEAK", "OK", "12345678", "cold water"]),
)
keys = st.sampled_from(
    [
        "timestamp",
        "index",
        "unit",
        "quality",
        "id",
        "media",
        "total_m3",
        "total_kwh",
        "status",
        "current_alarms",
        "time_dry",
        "meter_datetime",
    ]
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.one_of(keys, st.text(max_size=5)), inner)
    ),
    max_leaves=12,
)


def assert_decoded(decoded: Decoded) -> None:
    assert isinstance(decoded, Decoded)
    for reading in decoded.readings:
        assert reading.index >= 0 and reading.ts.tzinfo is not None
    for rejection in decoded.rejections:
        assert rejection.reason and rejection.reason_code


@settings(max_examples=300, deadline=None)
@given(name=decoders, topic=topics, payload=st.binary(max_size=200))
def test_random_bytes_never_raise(name, topic, payload):
    assert_decoded(DECODERS[name](topic, payload, RECEIVED))


@settings(max_examples=300, deadline=None)
@given(name=decoders, topic=topics, document=documents)
def test_random_json_never_raises(name, topic, document):
    payload = json.dumps(document).encode()
    decoded = DECODERS[name](topic, payload, RECEIVED)
    assert_decoded(decoded)
    assert decoded.readings or decoded.events or decoded.rejections
