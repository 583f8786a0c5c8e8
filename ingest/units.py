"""Units: spelling variants, dimensions and conversion factors."""

from __future__ import annotations

from releve.glossary import KIND_DIMENSIONS, UNIT_SCALE

__all__ = ["ALIASES", "KIND_DIMENSIONS", "UNIT_SCALE", "conversion_factor", "normalize_unit"]

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


def conversion_factor(from_unit: str, to_unit: str) -> float | None:
    """Factor turning a value in ``from_unit`` into ``to_unit``; None if incompatible."""
    from_dim, from_scale = UNIT_SCALE[from_unit]
    to_dim, to_scale = UNIT_SCALE[to_unit]
    if from_dim != to_dim:
        return None
    return from_scale / to_scale
