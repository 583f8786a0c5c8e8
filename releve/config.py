"""Application settings from ``RELEVE_*`` environment variables and ``releve.toml``.

Loaded once, by the command line, and passed down: no other package reads
them. Environment variables win over the file; the file is looked up in the
working directory, or at ``RELEVE_CONFIG``. Nested thresholds are tables of
the file (``[detection.burst]``) or variables with ``__`` between the names
(``RELEVE_DETECTION__BURST__USUAL_MULTIPLE=2.0``).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from core import DEFAULT_TIMEZONE, MeterDefaults, Tariff
from detect import DetectSettings, LifecycleSettings
from estimate import EstimationSettings, ValidationSettings
from portal_bridge.config import BridgeConfig


class Settings(BaseSettings):
    """Settings of one Relevé installation."""

    model_config = SettingsConfigDict(
        env_prefix="RELEVE_", env_nested_delimiter="__", frozen=True, extra="forbid"
    )

    database_url: str | None = Field(
        None, description="PostgreSQL 15+ / TimescaleDB URL; unset: the embedded store"
    )
    home: Path = Field(Path(".releve"), description="Folder of the embedded store's files")
    mqtt_url: str | None = Field(None, description="Broker URL, mqtt://user:pass@host:1883")
    timezone: str = Field(DEFAULT_TIMEZONE, description="Zone of times given without an offset")
    portal_secret: str | None = Field(None, description="Secret shared with the customer portal")
    water_price_eur_per_m3: float = Field(4.3, gt=0, description="Water tariff [EUR/m3]")
    gas_price_eur_per_kwh: float = Field(0.12, gt=0, description="Gas tariff [EUR/kWh]")
    gas_conversion_kwh_per_m3: float = Field(
        11.0, gt=0, description="Gas conversion of meters without their own [kWh/m3]"
    )
    validation: ValidationSettings = Field(
        default_factory=ValidationSettings, description="How index series are checked"
    )
    estimation: EstimationSettings = Field(
        default_factory=EstimationSettings, description="How gaps are filled"
    )
    detection: DetectSettings = Field(
        default_factory=DetectSettings, description="Detector thresholds"
    )
    lifecycle: LifecycleSettings = Field(
        default_factory=LifecycleSettings, description="How episodes become alerts"
    )
    bridge: BridgeConfig = Field(
        default_factory=BridgeConfig, description="Token checks and limits of the portal bridge"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then ``RELEVE_*`` variables, then the TOML file."""
        toml_file = Path(os.environ.get("RELEVE_CONFIG", "releve.toml"))
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file)

    @property
    def tariff(self) -> Tariff:
        """The prices alerts and projections are costed at."""
        return Tariff(self.water_price_eur_per_m3, self.gas_price_eur_per_kwh)

    @property
    def meter_defaults(self) -> MeterDefaults:
        """What a meter's row leaves out: its timezone and gas conversion."""
        return MeterDefaults(self.timezone, self.gas_conversion_kwh_per_m3)

    @classmethod
    def load(cls) -> Settings:
        """The settings of this process's environment and configuration file."""
        return cls()
