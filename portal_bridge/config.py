"""What the bridge is configured with: its security settings and the installation's parts.

``BridgeConfig`` is a settings model the command line nests in its own settings
(``RELEVE_BRIDGE__*``); ``Installation`` carries what the rest of Relevé provides (the
store, tariffs, validation thresholds, the re-estimation of one meter). The bridge
reads no environment itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import psycopg
from pydantic import BaseModel, ConfigDict, Field

from core import MeterDefaults, Tariff
from estimate import ValidationSettings


class BridgeConfig(BaseModel):
    """Security and limits of the portal bridge."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    public_key_path: Path | None = Field(
        None, description="PEM file of the portal's RS256 or ES256 public key"
    )
    audience: str | None = Field(None, description="Required token audience (aud), if set")
    issuer: str | None = Field(None, description="Required token issuer (iss), if set")
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Portal origins allowed by CORS, e.g. https://portal.example",
    )
    rate_limit: str = Field(
        "600/minute", description="Requests allowed per token subject, e.g. 600/minute"
    )
    max_body_bytes: int = Field(16_384, gt=0, description="Largest request body accepted [bytes]")
    leeway_s: float = Field(
        10.0, ge=0, le=300, description="Clock skew tolerated on exp and nbf [s]"
    )


def now_utc() -> pd.Timestamp:
    """The server's clock [UTC]."""
    return pd.Timestamp.now(tz="UTC")


# Re-estimate one meter at once after a manual read (connection, meter id, as of); False
# when it could not run now (another run holds the meters: the next run takes the read).
Reestimate = Callable[[psycopg.Connection, str, pd.Timestamp], bool]


@dataclass(frozen=True)
class Installation:
    """What the rest of Relevé gives the bridge.

    secret : str | None  The HS256 secret shared with the portal (``RELEVE_PORTAL_SECRET``).
    reestimate : the estimation job on one meter (``releve.jobs.estimate``).
    clock : the time of "now" (tests pass a fixed one).
    """

    store_url: str
    secret: str | None
    meter_defaults: MeterDefaults
    tariff: Tariff
    validation: ValidationSettings
    reestimate: Reestimate
    clock: Callable[[], pd.Timestamp] = field(default=now_utc)
