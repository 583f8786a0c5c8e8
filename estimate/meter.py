"""One meter end to end: validation, hourly consumption, energy and calendar rollups."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from estimate.consumption import estimate_hourly
from estimate.curves import add_energy
from estimate.settings import EstimationSettings, ValidationSettings
from estimate.validate import ValidatedReads, validate_reads
from releve.glossary import UNIT_FACTORS


@dataclass(frozen=True)
class MeterInfo:
    """What estimation needs to know about a meter (a row of the meters table)."""

    kind: str = "water"
    unit: str = "m3"
    digits: int | None = None
    timezone: str = "Europe/Paris"
    q3_m3h: float | None = None
    conversion_kwh_per_m3: float | None = None

    @property
    def max_rate_per_h(self) -> float | None:
        """Q3 in the meter's unit per hour, when the meter counts volume."""
        if self.q3_m3h is None or self.unit not in ("m3", "L"):
            return None
        return self.q3_m3h / UNIT_FACTORS["water"][self.unit]


@dataclass(frozen=True)
class MeterEstimate:
    """Validated reads and the hourly curve (with ``energy_kwh`` for gas)."""

    validated: ValidatedReads
    hourly: pd.DataFrame


def estimate_meter(
    reads: pd.DataFrame,
    meter: MeterInfo,
    *,
    as_of: pd.Timestamp,
    validation: ValidationSettings | None = None,
    settings: EstimationSettings | None = None,
) -> MeterEstimate:
    """Validate one meter's reads and derive its hourly curve.

    Rollups come from ``resample_curve``, for many meters at once with ``by``.
    """
    validated = validate_reads(
        reads,
        digits=meter.digits,
        max_rate_per_h=meter.max_rate_per_h,
        settings=validation,
    )
    hourly = estimate_hourly(
        validated, as_of=as_of, timezone=meter.timezone, kind=meter.kind, settings=settings
    )
    return MeterEstimate(validated, with_energy(hourly, meter))


def with_energy(curve: pd.DataFrame, meter: MeterInfo) -> pd.DataFrame:
    """The curve with ``energy_kwh`` when the meter is gas and its energy is known."""
    if meter.kind != "gas" or (meter.unit in ("m3", "L") and not meter.conversion_kwh_per_m3):
        return curve
    return add_energy(
        curve, kind=meter.kind, unit=meter.unit, conversion_kwh_per_m3=meter.conversion_kwh_per_m3
    )
