"""Units as sources spell them: the variants, mapped to ``core.units``."""

from __future__ import annotations

__all__ = ["ALIASES", "normalize_unit"]

ALIASES: dict[str, str] = {
    "m3": "m3",
    "m³": "m3",
    "m^3": "m3",
    "m**3": "m3",
    "l": "L",
    "litre": "L",
    "litres": "L",
    "liter": "L",
    "liters": "L",
    "kwh": "kWh",
    "wh": "Wh",
}


def normalize_unit(text: str) -> str | None:
    """The canonical spelling of a unit, or None when it is unknown."""
    return ALIASES.get(text.strip().lower())
