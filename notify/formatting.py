"""Numbers, money and dates for a locale (Babel), the filters the templates use.

French writes a decimal comma and separates the unit and the thousands with
non-breaking spaces («12,0 L/h», «1 234,5 m³», «23,53 €»); dates are shown in
the account's timezone.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pandas as pd
from babel.dates import format_date, format_datetime
from babel.lists import format_list
from babel.numbers import format_currency, format_decimal

from core import Language

NBSP = "\u00a0"  # between a number and its unit
LOCALES = {Language.FR: "fr_FR", Language.EN: "en_GB"}


class Formats:
    """The formatting filters of one language and timezone."""

    def __init__(self, language: Language, timezone: str) -> None:
        self.language = Language(language)
        self.locale = LOCALES[self.language]
        self.zone = ZoneInfo(timezone)

    def number(self, value: float | None, digits: int = 1) -> str:
        """``value`` with ``digits`` decimals: «12,0» in French, «12.0» in English."""
        if value is None:
            return "?"
        pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
        return format_decimal(value, pattern, locale=self.locale)

    def unit(self, value: float | None, unit: str, digits: int = 1) -> str:
        """A quantity and its unit, joined by a non-breaking space: «0,29 m³»."""
        return f"{self.number(value, digits)}{NBSP}{unit}"

    def euros(self, value: float | None) -> str:
        """An amount in euros: «23,53 €», «€23.53»."""
        return "?" if value is None else format_currency(value, "EUR", locale=self.locale)

    def local(self, ts: object) -> datetime:
        """A timestamp (or ISO 8601 text) in the account's timezone."""
        stamp = pd.Timestamp(ts)  # type: ignore[arg-type]
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize("UTC")
        return stamp.tz_convert(self.zone).to_pydatetime()

    def when(self, ts: object) -> str:
        """A day and hour: «10 janvier à 23 h», «10 January at 23:00»."""
        pattern = "d MMMM 'à' H 'h'" if self.language == Language.FR else "d MMMM 'at' HH:mm"
        return format_datetime(self.local(ts), pattern, locale=self.locale)

    def day(self, ts: object) -> str:
        """A day: «10 janvier 2026», «10 January 2026»."""
        return format_date(self.local(ts), "d MMMM y", locale=self.locale)

    def month(self, period: str) -> str:
        """A ``YYYY-MM`` period as a month and year: «mars 2026», «March 2026»."""
        first = datetime.strptime(period, "%Y-%m")
        return format_date(first, "MMMM y", locale=self.locale)

    def month_name(self, period: str) -> str:
        """The month of a ``YYYY-MM`` period: «mars», «March»."""
        first = datetime.strptime(period, "%Y-%m")
        return format_date(first, "MMMM", locale=self.locale)

    def listing(self, items: list[object]) -> str:
        """Items joined as the language lists them: «2026, 2027 et 2028»."""
        return format_list([str(i) for i in items], locale=self.locale)

    def filters(self) -> dict[str, object]:
        """The filters by the names the templates use."""
        return {
            "number": self.number, "unit": self.unit, "euros": self.euros, "when": self.when,
            "day": self.day, "month": self.month, "month_name": self.month_name,
            "listing": self.listing,
        }  # fmt: skip
