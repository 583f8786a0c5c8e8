"""Column names shared by every package: defined once, used everywhere.

Volumes and indexes are in the meter's own unit (``m3``, ``L``, ``kWh`` or
``Wh``), recorded in the meters table; a column name therefore does not carry
the unit, the meter does. Energy for gas is always in kWh.
"""

METER_ID = "meter_id"
TS = "ts"  # timestamp with time zone, UTC in frames
INDEX = "index"  # cumulative register value [meter unit]
UNIT = "unit"
QUALITY = "quality"  # actual | customer | estimated
SOURCE = "source"
VOLUME = "volume"  # consumption over an interval [meter unit]
ENERGY_KWH = "energy_kwh"  # gas energy over an interval [kWh]
ESTIMATED_SHARE = "estimated_share"  # part of the volume that is estimated [0-1]
METHOD = "method"  # how an estimated volume was made

QUALITIES = ("actual", "customer", "estimated")
UNITS = ("m3", "L", "kWh", "Wh")
KINDS = ("water", "gas", "electricity")

# unit -> (dimension, factor to the dimension's base unit: m3 or kWh)
UNIT_SCALE: dict[str, tuple[str, float]] = {
    "m3": ("volume", 1.0),
    "L": ("volume", 0.001),
    "kWh": ("energy", 1.0),
    "Wh": ("energy", 0.001),
}

# The dimensions a meter kind may count in.
KIND_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "water": ("volume",),
    "gas": ("volume", "energy"),
    "electricity": ("energy",),
}

# Units a meter kind may report, and the factor to the kind's base unit.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    kind: {unit: factor for unit, (dim, factor) in UNIT_SCALE.items() if dim in dims}
    for kind, dims in KIND_DIMENSIONS.items()
}
