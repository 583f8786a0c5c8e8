"""One meter end to end: validation, hourly consumption, energy."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core import Meter
from estimate.consumption import estimate_hourly
from estimate.curves import add_energy
from estimate.settings import EstimationSettings, ValidationSettings
from estimate.validate import ValidatedReads, validate_reads


@dataclass(frozen=True)
class MeterEstimate:
    """Validated reads and the hourly curve (with ``energy_kwh`` for gas)."""

    validated: ValidatedReads
    hourly: pd.DataFrame


def validate_meter(
    reads: pd.DataFrame, meter: Meter, *, settings: ValidationSettings | None = None
) -> ValidatedReads:
    """One meter's reads validated with what is known of the meter (register size, Q3).

    The one validation call of every job, so that estimation and detection
    agree on what is a glitch, a rollover or a decrease.
    """
    return validate_reads(
        reads, digits=meter.digits, max_rate_per_h=meter.max_rate_per_h, settings=settings
    )


def estimate_meter(
    reads: pd.DataFrame,
    meter: Meter,
    *,
    as_of: pd.Timestamp,
    validation: ValidationSettings | None = None,
    settings: EstimationSettings | None = None,
) -> MeterEstimate:
    """Validate one meter's reads and derive its hourly curve.

    Rollups come from ``resample_curve``, for many meters at once with ``by``.
    """
    validated = validate_meter(reads, meter, settings=validation)
    hourly = estimate_hourly(
        validated, as_of=as_of, timezone=meter.timezone, kind=meter.kind, settings=settings
    )
    return MeterEstimate(validated, add_energy(hourly, meter))
