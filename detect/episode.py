"""The records detectors return: an anomaly episode and the meter it concerns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import pandas as pd

AnomalyType = Literal[
    "continuous_flow",
    "burst",
    "overconsumption",
    "zero_consumption",
    "reverse_flow",
    "no_data",
    "meter_alarm",
]
Severity = Literal["info", "warning", "critical"]

ANOMALY_TYPES: tuple[str, ...] = get_args(AnomalyType)
# no_data goes to operations, not to the customer.
CUSTOMER_FACING: frozenset[str] = frozenset(ANOMALY_TYPES) - {"no_data"}


@dataclass(frozen=True)
class Meter:
    """What a detector needs to know about a meter.

    unit : str  Unit of its index (``m3``, ``L``, ``kWh``, ``Wh``).
    q3_m3h : float | None  Permanent flow rate Q3 [m3/h], when known.
    conversion_kwh_per_m3 : float  Gas calorific conversion [kWh/m3].
    resolution : float | None  Register resolution [meter unit]; inferred when None.
    """

    meter_id: str
    kind: str = "water"
    unit: str = "m3"
    q3_m3h: float | None = None
    conversion_kwh_per_m3: float = 11.0
    resolution: float | None = None
    timezone: str = "Europe/Paris"


@dataclass(frozen=True)
class Tariff:
    """Prices used to turn a volume into euros."""

    water_eur_per_m3: float = 4.3
    gas_eur_per_kwh: float = 0.12

    def cost_eur(self, meter: Meter, volume_m3: float) -> float:
        """Cost of ``volume_m3`` [m3] on this meter [EUR]."""
        if meter.kind == "gas":
            return round(volume_m3 * meter.conversion_kwh_per_m3 * self.gas_eur_per_kwh, 2)
        return round(volume_m3 * self.water_eur_per_m3, 2)


@dataclass(frozen=True)
class Episode:
    """One anomaly episode on one meter.

    start, end : Timestamp  When the condition began and ended [UTC]; ``end`` is
        None while it goes on at ``as_of``.
    confirmed_at : Timestamp  Earliest time at which the data then available met
        the rule [UTC]: the detection time of a detector run at that moment.
    evidence : dict  The numbers behind the alert and ``message``, a sentence a
        customer understands.
    estimated_volume_m3 : float | None  Water or gas lost so far [m3].
    estimated_cost_eur : float | None  Its cost [EUR].
    """

    meter_id: str
    type: str
    severity: str
    start: pd.Timestamp
    end: pd.Timestamp | None
    confirmed_at: pd.Timestamp
    evidence: dict[str, Any] = field(default_factory=dict)
    estimated_volume_m3: float | None = None
    estimated_cost_eur: float | None = None
    legally_notifiable: bool = False

    @property
    def customer_facing(self) -> bool:
        """Whether the customer is told (``no_data`` goes to operations)."""
        return self.type in CUSTOMER_FACING

    @property
    def message(self) -> str:
        """The customer-readable sentence of the evidence."""
        return str(self.evidence.get("message", ""))

    def overlaps(self, other: Episode, as_of: pd.Timestamp) -> bool:
        """Whether the two episodes share a moment (an open one lasts to ``as_of``)."""
        return self.start <= (other.end or as_of) and other.start <= (self.end or as_of)
