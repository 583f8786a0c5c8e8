"""The one place the bridge turns an alert into words for the customer.

Today the sentence is the stored evidence's ``message`` (English, written by the
detectors); the notification templates (``notify/``, French and English) will take
over here, so that the portal and the notifications say the same thing.
"""

from __future__ import annotations

from core import Alert, Language


def render_alert(alert: Alert, language: Language) -> str | None:
    """The customer-readable sentence of ``alert`` in ``language`` (None without one)."""
    message = alert.evidence.get("message")
    return str(message) if message else None
