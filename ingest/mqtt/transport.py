"""A paho client tuned for draining: buffered socket reads and one write per batch of acks.

paho reads each packet with three or more ``recv`` calls and writes each
PUBACK with its own ``send``; each call releases and retakes the GIL, which
the writer thread holds while it decodes. Reading the socket in large chunks
and acknowledging a committed batch in one packet write keeps the network
thread from queueing behind the writer (measured in bench/ingest_mqtt.py).
These hooks use paho 2.x internals (``_create_socket``, ``_packet_queue``);
when they are missing the client behaves as a plain paho client.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import paho.mqtt.client as mqtt

CHUNK = 256 * 1024  # bytes read from the socket at once [bytes]
MAX_PACKETS_PER_READ = 1000  # buffered packets handled before paho's loop turns to writes
PUBACK = 0x40
_puback = struct.Struct("!BBH").pack


class BufferedSocket:
    """A socket whose reads are served from one large ``recv``; all else is the socket's."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._buffer = b""
        self._pos = 0

    def recv(self, size: int) -> bytes:
        """Up to ``size`` bytes; raises like the socket when nothing is there."""
        if self._pos >= len(self._buffer):
            self._buffer = self._sock.recv(CHUNK)
            self._pos = 0
        start = self._pos
        self._pos = min(start + size, len(self._buffer))
        return self._buffer[start : self._pos]

    def buffered(self) -> int:
        """Bytes read from the socket and not yet handed out."""
        return len(self._buffer) - self._pos

    def pending(self) -> int:
        """Bytes readable without waiting (paho then skips its ``select`` wait)."""
        inner = getattr(self._sock, "pending", None)
        return self.buffered() + (inner() if inner is not None else 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class DrainingClient(mqtt.Client):
    """paho's client, reading in chunks and acknowledging many messages at once."""

    def _create_socket(self):  # type: ignore[no-untyped-def]
        return BufferedSocket(super()._create_socket())

    def loop_read(self, max_packets: int = 1) -> mqtt.MQTTErrorCode:
        """Handle every packet already buffered, not only the first."""
        rc = super().loop_read(max_packets)
        for _ in range(MAX_PACKETS_PER_READ):
            sock = self._sock
            if rc != mqtt.MQTT_ERR_SUCCESS or not isinstance(sock, BufferedSocket):
                break
            if not sock.buffered():
                break
            rc = super().loop_read(1)
        return rc

    def ack_many(self, mids: Sequence[int]) -> None:
        """PUBACK every QoS 1 message id of ``mids``, in order, in one queued write."""
        if not mids:
            return
        if not hasattr(self, "_packet_queue"):
            for mid in mids:
                self.ack(mid, 1)
            return
        packet = b"".join([_puback(PUBACK, 2, mid) for mid in mids])
        self._packet_queue(PUBACK, packet, 0, 1)
