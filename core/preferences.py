"""How an account wants to be told: a channel, an address, and its rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum

from core.codes import AnomalyType, Severity


class Channel(StrEnum):
    """Where a notification goes."""

    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class Language(StrEnum):
    """The language of an account's messages (French by default)."""

    FR = "fr"
    EN = "en"


@dataclass(frozen=True)
class QuietHours:
    """Local times between which non-critical messages wait (``22:00-07:00`` spans midnight)."""

    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> QuietHours:
        """``"HH:MM-HH:MM"`` as quiet hours."""
        match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
        if not match:
            raise ValueError(f"quiet hours {text[:40]!r} are not like 22:00-07:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
            raise ValueError(f"quiet hours {text[:40]!r} name a time that does not exist")
        return cls(time(h1, m1), time(h2, m2))

    def holds(self, local: time) -> bool:
        """Whether a local time of day falls in the quiet hours."""
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Preference:
    """One account's wishes for one channel.

    min_severity : Severity  Less severe alerts are not sent on this channel.
    opt_out : frozenset  Anomaly types the account does not want (the legally
        required notice is sent whatever it says).
    """

    account_id: str
    channel: Channel
    address: str
    language: Language = Language.FR
    min_severity: Severity = Severity.INFO
    quiet_hours: QuietHours | None = None
    opt_out: frozenset[AnomalyType] = field(default_factory=frozenset)
