"""The codes of the domain: meter kinds, qualities, methods, findings, anomalies, alerts.

Each is a ``StrEnum``: its members are plain strings to pandas, JSON and the
store, so ``frame["code"] == FindingCode.DECREASE`` works and nothing else
spells ``"decrease"``.
"""

from __future__ import annotations

from enum import StrEnum


class MeterKind(StrEnum):
    """What a meter measures."""

    WATER = "water"
    GAS = "gas"
    ELECTRICITY = "electricity"


class Quality(StrEnum):
    """Where a value comes from: a read's origin, or a curve interval's."""

    ACTUAL = "actual"  # read from the meter / measured between real reads
    CUSTOMER = "customer"  # an index the customer submitted
    ESTIMATED = "estimated"  # an estimate (made elsewhere, for a read; by Relevé, for a curve)


# A read is actual, customer or estimated; a curve interval is actual or estimated.
READ_QUALITIES: tuple[Quality, ...] = (Quality.ACTUAL, Quality.CUSTOMER, Quality.ESTIMATED)
CURVE_QUALITIES: tuple[Quality, ...] = (Quality.ACTUAL, Quality.ESTIMATED)


class Method(StrEnum):
    """How a curve interval's volume was measured or estimated (in this order in the store)."""

    MEASURED = "measured"  # between real reads at most an interval apart
    LINEAR = "linear"  # a short gap, linear in the index
    PROFILE = "profile"  # a long gap shaped by the meter's own like-day profile
    PROFILE_SEASONAL = "profile_seasonal"  # a long gap without history: the seasonal profile
    EXTERNAL_ESTIMATE = "external_estimate"  # ending on a read that was itself an estimate
    PROSPECTIVE_LIKE_DAY = "prospective_like_day"  # after the last read: the average like-day
    PROSPECTIVE_ADL = "prospective_adl"  # after the last read, no hourly history: daily load
    INTERPOLATED = "interpolated"  # between real reads an interval apart, split off the hour


class FindingCode(StrEnum):
    """What validation found in an index series."""

    DUPLICATE = "duplicate"
    CONFLICTING_DUPLICATE = "conflicting_duplicate"
    OUT_OF_ORDER = "out_of_order"
    ROLLOVER = "rollover"
    REPLACEMENT = "replacement"
    GLITCH = "glitch"  # excluded
    DECREASE = "decrease"  # kept: reverse flow or an error
    IMPLAUSIBLE_RATE = "implausible_rate"
    OFF_CADENCE = "off_cadence"


class AnomalyType(StrEnum):
    """The anomalies detectors report (PRODUCT.md alert contract)."""

    CONTINUOUS_FLOW = "continuous_flow"
    BURST = "burst"
    OVERCONSUMPTION = "overconsumption"
    ZERO_CONSUMPTION = "zero_consumption"
    REVERSE_FLOW = "reverse_flow"
    NO_DATA = "no_data"
    METER_ALARM = "meter_alarm"


# no_data goes to operations, not to the customer.
CUSTOMER_FACING: frozenset[AnomalyType] = frozenset(AnomalyType) - {AnomalyType.NO_DATA}


class Severity(StrEnum):
    """How urgent an alert is, in increasing order."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for critical."""
        return list(Severity).index(self)


class AlertStatus(StrEnum):
    """Where an alert is in its lifecycle."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


class AlertEvent(StrEnum):
    """What happened to an alert, for the notification step."""

    OPENED = "opened"
    CHANGED = "changed"  # its severity changed
    RESOLVED = "resolved"


class Resolution(StrEnum):
    """The periods of a curve: local calendar ones in the meter's timezone."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
