"""A meter and the tariff that prices what it counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from core.codes import MeterKind
from core.columns import KIND, METER_ID, UNIT
from core.exceptions import UnitError
from core.units import LITRES_PER_M3, UNIT_SCALE, UNITS, VOLUME_UNITS

METER_ID_PATTERN = r"[A-Za-z0-9._:\-]{1,64}"  # PRODUCT.md: 1-64 chars of [A-Za-z0-9._:-]
DEFAULT_TIMEZONE = "Europe/Paris"


@dataclass(frozen=True)
class MeterDefaults:
    """What an installation assumes of a meter whose row leaves it out.

    timezone : str  IANA zone of meters without one.
    gas_conversion_kwh_per_m3 : float  Conversion of gas meters without their own [kWh/m3].
    """

    timezone: str = DEFAULT_TIMEZONE
    gas_conversion_kwh_per_m3: float | None = None


@dataclass(frozen=True)
class Meter:
    """What every package knows about a meter (a row of the meters table).

    unit : str  Unit of its register (``m3``, ``L``, ``kWh``, ``Wh``).
    digits : int | None  Register size: it rolls over at ``10**digits`` [meter unit].
    timezone : str  IANA zone of its local days and months.
    q3_m3h : float | None  Permanent flow rate Q3 [m3/h], when known.
    conversion_kwh_per_m3 : float | None  Gas calorific conversion [kWh/m3]; a gas
        meter counting volume needs it for energy and costs (see ``from_record``).
    resolution : float | None  Register step [meter unit]; inferred when None.
    """

    meter_id: str
    kind: MeterKind = MeterKind.WATER
    unit: str = "m3"
    digits: int | None = None
    timezone: str = DEFAULT_TIMEZONE
    q3_m3h: float | None = None
    conversion_kwh_per_m3: float | None = None
    resolution: float | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise UnitError(self.meter_id, self.kind, self.unit, f"use one of {', '.join(UNITS)}")

    @classmethod
    def from_record(
        cls, record: Mapping[str, Any], defaults: MeterDefaults = MeterDefaults()
    ) -> Meter:
        """A meter from a meters-table row, what it leaves out taken from ``defaults``.

        The one rule for what a row leaves out: a meter without a kind (seen
        only in readings) is water; without a timezone it is in the
        installation's; a gas meter without its own conversion coefficient
        takes the installation's, for its energy, costs and projections alike.
        """

        def value(name: str) -> Any:
            item = record.get(name)
            return None if item is None or pd.isna(item) else item

        kind = MeterKind(value(KIND) or MeterKind.WATER)
        conversion = value("conversion_kwh_per_m3")
        if conversion is None and kind == MeterKind.GAS:
            conversion = defaults.gas_conversion_kwh_per_m3
        digits, q3 = value("digits"), value("q3_m3h")
        return cls(
            meter_id=str(record[METER_ID]),
            kind=kind,
            unit=str(record[UNIT]),
            digits=None if digits is None else int(digits),
            timezone=str(value("timezone") or defaults.timezone),
            q3_m3h=None if q3 is None else float(q3),
            conversion_kwh_per_m3=None if conversion is None else float(conversion),
        )

    @property
    def counts_volume(self) -> bool:
        """Whether the register counts m3 or litres (else kWh or Wh)."""
        return self.unit in VOLUME_UNITS

    @property
    def m3_per_unit(self) -> float:
        """Water or gas volume in one unit of the register [m3/unit]."""
        if self.counts_volume:
            return UNIT_SCALE[self.unit][1]
        if self.kind == MeterKind.GAS:
            return self.kwh_per_unit / self._conversion()
        raise UnitError(self.meter_id, self.kind, self.unit, "an energy register has no volume")

    @property
    def litres_per_unit(self) -> float:
        """Water or gas volume in one unit of the register [L/unit]."""
        return LITRES_PER_M3 * self.m3_per_unit

    @property
    def kwh_per_unit(self) -> float:
        """Energy in one unit of the register [kWh/unit] (gas and electricity)."""
        if not self.counts_volume:
            return UNIT_SCALE[self.unit][1]
        if self.kind == MeterKind.GAS:
            return UNIT_SCALE[self.unit][1] * self._conversion()
        raise UnitError(self.meter_id, self.kind, self.unit, "a water register has no energy")

    @property
    def max_rate_per_h(self) -> float | None:
        """Q3 in the meter's unit per hour, when known and the meter counts volume."""
        if self.q3_m3h is None or not self.counts_volume:
            return None
        return self.q3_m3h / UNIT_SCALE[self.unit][1]

    def _conversion(self) -> float:
        if self.conversion_kwh_per_m3 is None:
            raise UnitError(
                self.meter_id, self.kind, self.unit,
                "its gas conversion coefficient is unknown; set conversion_kwh_per_m3 in the "
                "meters CSV or RELEVE_GAS_CONVERSION_KWH_PER_M3",
            )  # fmt: skip
        return self.conversion_kwh_per_m3


@dataclass(frozen=True)
class Tariff:
    """Prices that turn what a meter counts into euros (from the installation's settings).

    water_eur_per_m3 : float  Water price [EUR/m3].
    gas_eur_per_kwh : float  Gas price [EUR/kWh].
    """

    water_eur_per_m3: float
    gas_eur_per_kwh: float

    def price_per_unit(self, meter: Meter) -> float:
        """Price of one unit of the meter's register [EUR/unit]."""
        if meter.kind == MeterKind.GAS:
            return self.gas_eur_per_kwh * meter.kwh_per_unit
        if meter.kind == MeterKind.WATER:
            return self.water_eur_per_m3 * meter.m3_per_unit
        raise UnitError(meter.meter_id, meter.kind, meter.unit, "Relevé prices water and gas only")

    def cost_eur(self, meter: Meter, volume_m3: float) -> float:
        """Cost of ``volume_m3`` [m3] of water or gas on this meter [EUR], to the cent."""
        return round(volume_m3 / meter.m3_per_unit * self.price_per_unit(meter), 2)
