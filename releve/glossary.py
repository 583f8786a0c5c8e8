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

# Units a meter kind may report, and the factor to the kind's base unit.
UNIT_FACTORS: dict[str, dict[str, float]] = {
    "water": {"m3": 1.0, "L": 0.001},
    "gas": {"m3": 1.0, "L": 0.001, "kWh": 1.0, "Wh": 0.001},
    "electricity": {"kWh": 1.0, "Wh": 0.001},
}
