"""Partitions of the meter population: the unit of work of the batch jobs."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass


def partition_of(meter_id: str, count: int) -> int:
    """The partition (0 .. count-1) of a meter: stable across runs, machines and
    Python versions (the store's ``releve_partition`` computes the same)."""
    return int(hashlib.md5(meter_id.encode()).hexdigest()[:8], 16) % count


@dataclass(frozen=True)
class Partition:
    """Partition ``index`` of ``count``: the meters whose ``partition_of`` is ``index``."""

    index: int = 0
    count: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"partition {self} does not exist: use i/N with 0 <= i < N")

    @classmethod
    def parse(cls, text: str) -> Partition:
        """``"i/N"`` as a partition."""
        match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
        if not match:
            raise ValueError(f"{text!r} is not a partition such as 0/4")
        return cls(int(match[1]), int(match[2]))

    @property
    def whole(self) -> bool:
        """Whether this partition holds every meter."""
        return self.count == 1

    def holds(self, meter_id: str) -> bool:
        """Whether the meter belongs to this partition."""
        return partition_of(meter_id, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


ALL_METERS = Partition()  # the one partition of a run over every meter
