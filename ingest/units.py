"""Units: spelling variants, dimensions and conversion factors."""

from __future__ import annotations

# unit -> (dimension, factor to the dimension's base unit: m3 or kWh)
UNIT_SCALE: dict[str, tuple[str, float]] = {
    "m3": ("volume", 1.0),
    "L": ("volume", 0.001),
    "kWh": ("energy", 1.0),
    "Wh": ("energy", 0.001),
}

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

# The dimensions a meter kind may count in.
KIND_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "water": ("volume",),
    "gas": ("volume", "energy"),
    "electricity": ("energy",),
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
