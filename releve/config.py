"""Application settings from ``RELEVE_*`` environment variables and ``releve.toml``.

Environment variables win over the file; the file is looked up in the working
directory (or at ``RELEVE_CONFIG``).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Settings of one Relevé installation."""

    database_url: str | None = None
    home: Path = Path(".releve")
    mqtt_url: str | None = None
    timezone: str = "Europe/Paris"
    portal_secret: str | None = None
    water_price_eur_per_m3: float = 4.3
    gas_price_eur_per_kwh: float = 0.12
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, environ: dict[str, str] | None = None) -> Settings:
        """Read settings from ``releve.toml`` then the ``RELEVE_*`` variables."""
        env = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        toml_path = Path(env.get("RELEVE_CONFIG", "releve.toml"))
        if toml_path.is_file():
            values.update(tomllib.loads(toml_path.read_text(encoding="utf-8")))
        names = {f.name for f in fields(cls)} - {"extra"}
        for key, value in env.items():
            if key.startswith("RELEVE_"):
                name = key.removeprefix("RELEVE_").lower()
                if name in names:
                    values[name] = value
        extra = {k: str(v) for k, v in values.items() if k not in names}
        known = {k: v for k, v in values.items() if k in names}
        if "home" in known:
            known["home"] = Path(str(known["home"]))
        for name in ("water_price_eur_per_m3", "gas_price_eur_per_kwh"):
            if name in known:
                known[name] = float(str(known[name]))
        return cls(**known, extra=extra)  # type: ignore[arg-type]
