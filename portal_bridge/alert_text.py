"""The one place the bridge turns an alert into words for the customer.

The sentence comes from the notification templates (``notify/``, French and
English), so that the portal and the notifications say the same thing.
"""

from __future__ import annotations

from jinja2 import UndefinedError

from core import Alert, Language
from notify.render import render_sentence


def render_alert(alert: Alert, language: Language, timezone: str = "Europe/Paris") -> str | None:
    """The customer-readable sentence of ``alert`` in ``language``, dates in ``timezone``
    (None for an alert whose evidence lacks what its template needs)."""
    try:
        return render_sentence(alert, language, timezone)
    except UndefinedError:
        return None
