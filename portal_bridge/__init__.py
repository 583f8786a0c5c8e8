"""The portal bridge: the customer account's data behind a versioned, secure HTTP API.

``create_app(config, installation)`` builds the FastAPI application; ``releve serve``
runs it under uvicorn. It never reads the settings itself (the command line passes
them down) and imports nothing of the command line.
"""

from portal_bridge.app import create_app
from portal_bridge.config import BridgeConfig, Installation

__all__ = ["BridgeConfig", "Installation", "create_app"]
