"""Anomaly episodes, the alerts they become, and the changes the lifecycle plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.codes import CUSTOMER_FACING, AlertEvent, AlertStatus, AnomalyType, Severity


@dataclass(frozen=True)
class Episode:
    """One anomaly episode on one meter, as a detector returns it.

    start, end : Timestamp  When the condition began and ended [UTC]; ``end`` is
        None while it goes on at ``as_of``.
    confirmed_at : Timestamp  Earliest time at which the data then available met
        the rule [UTC]: the detection time of a detector run at that moment.
    evidence : dict  The numbers behind the alert, units in their names; the
        sentences a customer reads are rendered from them by ``notify``.
    estimated_volume_m3 : float | None  Water or gas lost so far [m3].
    estimated_cost_eur : float | None  Its cost [EUR]; None without a tariff.
    legally_notifiable : bool  Whether the law says the customer must be told.
    """

    meter_id: str
    type: AnomalyType
    severity: Severity
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

    def overlaps(self, other: Episode, as_of: pd.Timestamp) -> bool:
        """Whether the two episodes share a moment (an open one lasts to ``as_of``)."""
        return self.start <= (other.end or as_of) and other.start <= (self.end or as_of)


@dataclass(frozen=True)
class Alert:
    """An alert as stored: one per (meter, type, episode).

    end : Timestamp | None  When the episode ended; None while it goes on.
    last_seen : Timestamp  Last time the condition was seen [UTC].
    """

    id: int | None
    meter_id: str
    type: AnomalyType
    severity: Severity
    status: AlertStatus
    start: pd.Timestamp
    end: pd.Timestamp | None
    detected_at: pd.Timestamp
    last_seen: pd.Timestamp
    evidence: dict[str, Any] = field(default_factory=dict)
    estimated_volume_m3: float | None = None
    estimated_cost_eur: float | None = None
    legally_notifiable: bool = False

    @property
    def customer_facing(self) -> bool:
        """Whether the customer is told (``no_data`` goes to operations)."""
        return self.type in CUSTOMER_FACING


@dataclass(frozen=True)
class AlertChange:
    """An alert to insert (``id`` None) or update, and the events it raises.

    events : empty for silent updates (new numbers in the evidence).
    """

    alert: Alert
    events: tuple[AlertEvent, ...] = ()
