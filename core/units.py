"""Units of meter registers, their dimensions and their scales."""

from __future__ import annotations

from typing import Literal, get_args

from core.codes import MeterKind

Unit = Literal["m3", "L", "kWh", "Wh"]
UNITS: tuple[str, ...] = get_args(Unit)
VOLUME_UNITS = ("m3", "L")

# unit -> (dimension, factor to the dimension's base unit: m3 or kWh)
UNIT_SCALE: dict[str, tuple[str, float]] = {
    "m3": ("volume", 1.0),
    "L": ("volume", 0.001),
    "kWh": ("energy", 1.0),
    "Wh": ("energy", 0.001),
}

# The dimensions a meter kind may count in.
KIND_DIMENSIONS: dict[str, tuple[str, ...]] = {
    MeterKind.WATER: ("volume",),
    MeterKind.GAS: ("volume", "energy"),
    MeterKind.ELECTRICITY: ("energy",),
}

# Units a meter kind may report, and the factor to the kind's base unit.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    kind: {unit: factor for unit, (dim, factor) in UNIT_SCALE.items() if dim in dims}
    for kind, dims in KIND_DIMENSIONS.items()
}

LITRES_PER_M3 = 1000.0


def conversion_factor(from_unit: str, to_unit: str) -> float | None:
    """Factor turning a value in ``from_unit`` into ``to_unit``; None if incompatible."""
    from_dim, from_scale = UNIT_SCALE[from_unit]
    to_dim, to_scale = UNIT_SCALE[to_unit]
    if from_dim != to_dim:
        return None
    return from_scale / to_scale
