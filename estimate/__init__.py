"""Pure estimation: validated index series, hourly consumption, gap filling, curves, projections.

No database, network or clock: time comes in as ``as_of``.
"""

from estimate.consumption import METHODS, estimate_hourly
from estimate.curves import RESOLUTIONS, add_energy, resample_curve
from estimate.meter import MeterEstimate, estimate_meter, validate_meter
from estimate.projection import Projection, project_meters, project_year
from estimate.settings import EstimationSettings, ValidationSettings
from estimate.validate import ValidatedReads, validate_reads

__all__ = [
    "METHODS",
    "RESOLUTIONS",
    "EstimationSettings",
    "MeterEstimate",
    "Projection",
    "ValidatedReads",
    "ValidationSettings",
    "add_energy",
    "estimate_hourly",
    "estimate_meter",
    "project_meters",
    "project_year",
    "resample_curve",
    "validate_meter",
    "validate_reads",
]
