"""Errors of the domain core, with what to do about them."""

from __future__ import annotations


class CoreError(ValueError):
    """A domain value that cannot be used as given."""


class UnitError(CoreError):
    """A unit a meter kind cannot count in, or a conversion that is not known."""

    def __init__(self, meter_id: str, kind: str, unit: str, hint: str) -> None:
        self.meter_id, self.kind, self.unit = meter_id, kind, unit
        super().__init__(f"meter {meter_id} ({kind}) counts in {unit!r}: {hint}")
