"""What a customer answered about an alert: the detectors take it into account next time."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import pandas as pd


class AnswerKind(StrEnum):
    """The answers a customer can give."""

    NOT_A_LEAK = "not_a_leak"  # a pool being filled, garden watering: expected use until ``end``
    AWAY = "away"  # nobody home until ``end``: any use meanwhile is itself worth an alert


@dataclass(frozen=True)
class CustomerAnswer:
    """One answer, for one meter, over a period.

    start, end : Timestamp  The period it covers [UTC]; ``end`` None: until further notice.
    alert_id : int | None  The alert it answered, when it answered one.
    """

    meter_id: str
    kind: AnswerKind
    start: pd.Timestamp
    end: pd.Timestamp | None
    alert_id: int | None = None
    comment: str = ""

    def covers(self, at: pd.Timestamp) -> bool:
        """Whether the answer holds at ``at``."""
        return self.start <= at and (self.end is None or at < self.end)
