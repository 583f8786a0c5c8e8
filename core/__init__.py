"""The domain core: names, units, codes and the shared records of Relevé.

It sits at the bottom of the import graph: it imports nothing else of the
project, and every other package may import it. A column name, a unit, a
code or a record defined here is defined nowhere else.
"""

from core.alerts import Alert, AlertChange, Episode
from core.answers import AnswerKind, CustomerAnswer
from core.codes import (
    CURVE_QUALITIES,
    CUSTOMER_FACING,
    READ_QUALITIES,
    AlertEvent,
    AlertStatus,
    AnomalyType,
    FindingCode,
    MeterKind,
    Method,
    Quality,
    Resolution,
    Severity,
)
from core.exceptions import CoreError, UnitError
from core.meter import DEFAULT_TIMEZONE, METER_ID_PATTERN, Meter, MeterDefaults, Tariff
from core.notifications import DeliveryStatus, MessageKind, NotSentReason
from core.partition import Partition, partition_of
from core.preferences import Channel, Language, Preference, QuietHours
from core.units import UNITS, Unit

__all__ = [
    "CURVE_QUALITIES",
    "CUSTOMER_FACING",
    "DEFAULT_TIMEZONE",
    "METER_ID_PATTERN",
    "READ_QUALITIES",
    "UNITS",
    "Alert",
    "AlertChange",
    "AlertEvent",
    "AlertStatus",
    "AnomalyType",
    "AnswerKind",
    "Channel",
    "CoreError",
    "CustomerAnswer",
    "DeliveryStatus",
    "Episode",
    "FindingCode",
    "Language",
    "MessageKind",
    "NotSentReason",
    "Meter",
    "MeterDefaults",
    "MeterKind",
    "Method",
    "Partition",
    "Preference",
    "Quality",
    "QuietHours",
    "Resolution",
    "Severity",
    "Tariff",
    "Unit",
    "UnitError",
    "partition_of",
]
