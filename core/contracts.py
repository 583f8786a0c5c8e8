"""Contract periods: when an account may read a meter (a move closes one, opens another)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Period:
    """A span of time ``[start, end)`` [UTC]; a None bound is open (since ever, still running).

    contract_id : str | None  The contract the span belongs to, when there is one.
    """

    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    contract_id: str | None = None

    def holds(self, at: pd.Timestamp, *, end_inclusive: bool = False) -> bool:
        """Whether the instant falls in the period (at its end too, with ``end_inclusive``:
        the index at a move-out instant belongs to the outgoing occupant)."""
        after_start = self.start is None or at >= self.start
        if self.end is None:
            return after_start
        return after_start and (at <= self.end if end_inclusive else at < self.end)

    def clip(self, start: pd.Timestamp, end: pd.Timestamp) -> Period | None:
        """The part of ``[start, end)`` inside this period, or None when they do not meet."""
        lo = start if self.start is None else max(start, self.start)
        hi = end if self.end is None else min(end, self.end)
        return Period(lo, hi, self.contract_id) if lo < hi else None

    @property
    def bounded(self) -> bool:
        """Whether either bound is set (an unbounded period needs no clipping)."""
        return self.start is not None or self.end is not None


WHOLE = Period()  # what a service token reads: everything


def clip_periods(periods: Iterable[Period], start: pd.Timestamp, end: pd.Timestamp) -> list[Period]:
    """The parts of ``[start, end)`` inside each period, in time order (bounds set)."""
    parts = [p for p in (period.clip(start, end) for period in periods) if p is not None]
    return sorted(parts, key=lambda p: p.start)  # type: ignore[arg-type, return-value]
