"""A meter's valid reads prepared once for every detector.

``detect_all`` builds one ``MeterSeries`` per meter and hands it to each
detector, so the register, the cadence, the resolution and the daily volumes
are computed once instead of once per detector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from core import Meter
from detect.flows import (
    daily_volumes,
    infer_resolution_l,
    median_interval_h,
    register_litres,
)


@dataclass(frozen=True)
class MeterSeries:
    """The valid register of one meter up to ``as_of``.

    register : Series  Cumulative register [L], indexed by read time [UTC].
    """

    register: pd.Series
    meter: Meter

    @cached_property
    def cadence_h(self) -> float:
        """Usual time between valid reads [h]."""
        return median_interval_h(self.register)

    @cached_property
    def resolution_l(self) -> float:
        """Register step [L], from the meter when known, else the smallest seen."""
        if self.meter.resolution is not None:
            return self.meter.resolution * self.meter.litres_per_unit
        return infer_resolution_l(self.register)

    @cached_property
    def daily_l(self) -> pd.Series:
        """Volume per local calendar day [L], NaN inside silences of 48 h or
        2.5 reads (whichever is longer)."""
        if self.register.size < 3:
            return pd.Series(dtype=float)
        gap = max(48.0, 2.5 * self.cadence_h) if not math.isnan(self.cadence_h) else 48.0
        return daily_volumes(self.register, self.meter.timezone, gap)


def meter_series(
    reads: pd.DataFrame, meter: Meter, as_of: pd.Timestamp, series: MeterSeries | None = None
) -> MeterSeries:
    """``series`` when given (prepared by ``detect_all``), else built from ``reads``."""
    if series is not None:
        return series
    return MeterSeries(register_litres(reads, meter, as_of), meter)
