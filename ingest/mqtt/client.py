"""The broker side: connect (MQTT 5, else 3.1.1), subscribe, queue messages, acknowledge.

paho's network thread runs the callbacks here; they only put messages in the
bounded inbox. When the inbox is full the callback waits, so paho stops
reading from the socket and the broker keeps the rest: back-pressure, no drop.
"""

from __future__ import annotations

import logging
import queue
import ssl
import threading
import time
from collections.abc import Sequence
from typing import cast

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from ingest.mqtt.batch import Message
from ingest.mqtt.settings import IngestSettings, parse_broker_url
from ingest.mqtt.transport import DrainingClient

log = logging.getLogger("ingest.mqtt")
UNSUPPORTED_PROTOCOL = (1, 132)  # CONNACK codes of MQTT 3.1.1 and 5 for a protocol refused


class BrokerRefused(ConnectionError):
    """The broker answered the connection with a refusal (credentials, client id, ...)."""


class MqttConnection:
    """One persistent-session connection feeding ``inbox``; reconnects on its own."""

    def __init__(
        self,
        settings: IngestSettings,
        inbox: queue.Queue[Message],
        ready: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.inbox = inbox
        self.address = parse_broker_url(settings.broker_url)
        self.client: DrainingClient | None = None
        self.protocol: str | None = None
        self.generation = 0
        self.accepting = True
        self.last_message_at = 0.0
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        self.ready = ready or threading.Event()  # set whenever the subscriptions are acknowledged
        self.closing = False
        self._connack: threading.Event = threading.Event()
        self._connack_code: int | None = None
        self._disconnected = threading.Event()
        # Held while acking and while a connection comes or goes, so that no ack of a
        # message taken on one connection is sent on the next.
        self._ack_lock = threading.Lock()

    # -- connecting ---------------------------------------------------------------------------

    def start(self, stop: threading.Event) -> None:
        """Connect, falling back to MQTT 3.1.1 when the broker refuses or ignores MQTT 5.

        Waits (with backoff) while the broker is unreachable; returns once
        connected, or when ``stop`` is set. Later losses reconnect on their own.
        """
        protocols = {"auto": ["5", "3.1.1"], "5": ["5"], "3.1.1": ["3.1.1"]}[self.settings.protocol]
        delay = self.settings.reconnect_min_s
        while not stop.is_set():
            for protocol in protocols:
                outcome = self._attempt(protocol)
                if outcome == "connected":
                    return
                if outcome == "unreachable":
                    break
            stop.wait(delay)
            delay = min(delay * 2, self.settings.reconnect_max_s)

    def _attempt(self, protocol: str) -> str:
        """One connection with ``protocol``: connected, protocol (refused) or unreachable."""
        client = self._make_client(protocol)
        # Set before connecting: the writer may ack the first messages at once.
        self.client = client
        self._connack.clear()
        self._connack_code = None
        try:
            if protocol == "5":
                client.connect(
                    self.address.host,
                    self.address.port,
                    self.settings.keepalive_s,
                    clean_start=False,
                    properties=self._connect_properties(),
                )
            else:
                client.connect(self.address.host, self.address.port, self.settings.keepalive_s)
        except OSError as exc:
            self.client = None
            log.warning("broker %s unreachable: %s", self.settings.broker_url, exc)
            return "unreachable"
        client.loop_start()
        got = self._connack.wait(self.settings.connect_timeout_s)
        if got and self._connack_code == 0:
            self.protocol = protocol
            return "connected"
        self.client = None
        client.disconnect()
        client.loop_stop()
        if got and self._connack_code not in UNSUPPORTED_PROTOCOL:
            raise BrokerRefused(f"broker refused the connection: CONNACK {self._connack_code}")
        log.info("broker does not answer MQTT %s; trying the next protocol", protocol)
        return "protocol"

    def _make_client(self, protocol: str) -> DrainingClient:
        settings = self.settings
        if protocol == "5":
            client = DrainingClient(
                CallbackAPIVersion.VERSION2,
                client_id=settings.client_id,
                protocol=mqtt.MQTTv5,
                manual_ack=True,
            )
        else:
            client = DrainingClient(
                CallbackAPIVersion.VERSION2,
                client_id=settings.client_id,
                protocol=mqtt.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        if self.address.username:
            client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            client.tls_set(
                ca_certs=settings.ca_file,
                certfile=settings.cert_file,
                keyfile=settings.key_file,
                tls_version=ssl.PROTOCOL_TLS_CLIENT,
            )
        client.reconnect_delay_set(
            max(1, int(settings.reconnect_min_s)), max(1, int(settings.reconnect_max_s))
        )
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _connect_properties(self) -> Properties:
        properties = Properties(PacketTypes.CONNECT)
        properties.SessionExpiryInterval = self.settings.session_expiry_s
        properties.ReceiveMaximum = self.settings.receive_maximum
        return properties

    # -- callbacks (paho's network thread) ----------------------------------------------------

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connack_code = int(reason_code.value)
        self._connack.set()
        if reason_code.is_failure:
            log.warning("broker refused the connection: %s", reason_code)
            return
        with self._ack_lock:
            self.generation += 1
        self._disconnected.clear()
        self.connected.set()
        subscriptions: Sequence[tuple[str, object]]
        if client.protocol == mqtt.MQTTv5:
            subscriptions = [(t, SubscribeOptions(qos=1)) for t in self.settings.subscriptions()]
        else:
            subscriptions = [(t, 1) for t in self.settings.subscriptions()]
        client.subscribe(list(subscriptions))
        log.info(
            "connected to %s (MQTT %s, session present: %s) as %s",
            self.settings.broker_url,
            "5" if client.protocol == mqtt.MQTTv5 else "3.1.1",
            flags.session_present,
            self.settings.client_id,
        )

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        with self._ack_lock:
            self.generation += 1
        self.connected.clear()
        self.subscribed.clear()
        self._disconnected.set()
        if self.closing:
            log.info("disconnected from the broker; the session keeps what was not acknowledged")
        elif self._connack.is_set():
            log.warning("disconnected from the broker (%s); reconnecting", reason_code)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        failed = [str(code) for code in reason_codes if code.is_failure]
        if failed:
            log.error("subscription refused: %s", ", ".join(failed))
            return
        log.info("subscribed to %s with QoS 1", ", ".join(self.settings.subscriptions()))
        self.subscribed.set()
        self.ready.set()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        if not self.accepting:
            return  # not acknowledged: the broker keeps it for the next session
        now = time.time()
        self.last_message_at = now
        payload = cast(bytes, message.payload)
        item = Message(message.topic, payload, message.mid, message.qos, now, self.generation)
        while True:
            try:
                self.inbox.put(item, timeout=0.5)
                return
            except queue.Full:
                if not self.accepting:
                    return

    # -- acknowledging and stopping -----------------------------------------------------------

    def ack(self, messages: Sequence[Message]) -> int:
        """Acknowledge committed messages that came on the current connection; return how many.

        Messages of an earlier connection are not acknowledged: the broker
        redelivers them on this one, and the copy is acknowledged instead.
        """
        client = self.client
        if client is None:
            return 0
        with self._ack_lock:
            generation = self.generation
            # Subscriptions are QoS 1, so a message is QoS 0 (no ack) or 1.
            mids = [m.mid for m in messages if m.qos and m.generation == generation]
            client.ack_many(mids)
        return len(mids)

    def stop_taking(self) -> None:
        """Leave new messages with the broker (unacknowledged, kept in the session)."""
        self.accepting = False

    def close(self, timeout: float = 5.0) -> None:
        """Send the queued acks, disconnect (the session stays) and stop the network thread."""
        if self.client is None:
            return
        self.closing = True
        self.client.disconnect()
        self._disconnected.wait(timeout)
        self.client.loop_stop()
