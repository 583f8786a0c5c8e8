"""The MQTT ingestion service: at-least-once from the broker into the store.

The network thread only queues messages; a writer thread decodes them in
batches, writes each batch in one transaction and acknowledges its messages
to the broker only after the commit.
"""

from ingest.mqtt.service import run_service
from ingest.mqtt.settings import IngestSettings

__all__ = ["IngestSettings", "run_service"]
