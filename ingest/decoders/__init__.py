"""Decoders of MQTT payloads: pure functions from (topic, payload, received time) to records.

Each decoder returns a :class:`Decoded` holding the readings, meter events and
rejections found in one message; it never raises in lenient mode (the default).
"""

from ingest.decoders.common import DecodeOptions
from ingest.decoders.records import Decoded, MeterEvent, Reading, Rejection
from ingest.decoders.releve_json import parse_releve_json
from ingest.decoders.wmbusmeters import parse_wmbusmeters

DECODERS = {
    "releve": parse_releve_json,
    "wmbusmeters": parse_wmbusmeters,
}

__all__ = [
    "DECODERS",
    "DecodeOptions",
    "Decoded",
    "MeterEvent",
    "Reading",
    "Rejection",
    "parse_releve_json",
    "parse_wmbusmeters",
]
