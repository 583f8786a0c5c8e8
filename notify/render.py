"""Alerts into words: the Jinja2 templates of ``notify/templates``, French and English.

One template per anomaly type and language, one block per message kind
(``opened``, ``escalated``, ``reminder``, ``resolved``) plus ``subject`` and
``advice`` (what the customer can do). The legally required over-consumption
notice has its own template, ``legal_notice``. A utility edits the texts by
putting templates of the same names in its own folder (``templates_dir``),
which is looked up first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from markupsafe import escape

from core import Alert, AnomalyType, Language, MessageKind
from notify.formatting import Formats

LEGAL_NOTICE = "legal_notice"
_SPACES = re.compile(r"[ \t\r\n]+")
OUTAGE = "outage"


@dataclass(frozen=True)
class Message:
    """One rendered message: a subject, plain text, and the same text as HTML."""

    subject: str
    text: str
    html: str


def template_name(alert: Alert) -> str:
    """The template of an alert: its type's, or the legal notice for a notifiable one."""
    if alert.legally_notifiable and alert.type == AnomalyType.OVERCONSUMPTION:
        return LEGAL_NOTICE
    return str(alert.type)


def render_alert_message(
    alert: Alert,
    kind: MessageKind,
    language: Language = Language.FR,
    timezone: str = "Europe/Paris",
    templates_dir: Path | None = None,
) -> Message:
    """The message of ``kind`` for ``alert``, in ``language``, dates in ``timezone``."""
    context = {"alert": alert, "ev": alert.evidence, **_leak_per_day(alert)}
    return render(template_name(alert), kind, context, language, timezone, templates_dir)


def render_sentence(
    alert: Alert, language: Language, timezone: str, templates_dir: Path | None = None
) -> str:
    """The alert in one paragraph, as the portal and ``releve alerts`` show it."""
    kind = MessageKind.RESOLVED if alert.end is not None else MessageKind.OPENED
    return render_alert_message(alert, kind, language, timezone, templates_dir).text.split("\n")[0]


def render(
    name: str,
    kind: MessageKind,
    context: dict[str, Any],
    language: Language,
    timezone: str,
    templates_dir: Path | None = None,
) -> Message:
    """Template ``name``'s block ``kind``, its subject and (unless resolved) its advice."""
    template = _environment(Language(language), timezone, templates_dir).get_template(
        f"{Language(language)}/{name}.j2"
    )
    blocks = template.blocks
    shared = template.new_context(context)
    for _ in template.root_render_func(shared):  # sets the top-level {% set %} names
        pass

    def block(block_name: str) -> str:
        if block_name not in blocks:
            return ""
        text = "".join(blocks[block_name](shared))
        return _SPACES.sub(" ", text).strip()  # not str.split(): it would eat the NBSPs

    paragraphs = [block(str(kind))]
    if kind != MessageKind.RESOLVED:
        paragraphs.append(block("advice"))
    paragraphs = [p for p in paragraphs if p]
    html = "".join(f"<p>{escape(p)}</p>\n" for p in paragraphs)
    return Message(block("subject"), "\n\n".join(paragraphs), f"<html><body>\n{html}</body></html>")


def _leak_per_day(alert: Alert) -> dict[str, float | None]:
    """A leak's daily volume [m3] and cost [EUR] (at the alert's own price)."""
    rate = alert.evidence.get("leak_rate_lph")
    if rate is None:
        return {}
    daily_m3 = float(rate) * 24 / 1000
    volume, cost = alert.evidence.get("volume_m3"), alert.evidence.get("cost_eur")
    price = cost / volume if cost is not None and volume else None
    return {"daily_m3": daily_m3, "daily_eur": None if price is None else daily_m3 * price}


@lru_cache(maxsize=64)
def _environment(language: Language, timezone: str, templates_dir: Path | None) -> Environment:
    loaders: list[Any] = [PackageLoader("notify", "templates")]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(templates_dir))
    env = Environment(
        loader=ChoiceLoader(loaders),
        undefined=StrictUndefined,
        autoescape=False,  # plain text; the HTML part is escaped paragraph by paragraph
        keep_trailing_newline=False,
    )
    env.filters.update(Formats(language, timezone).filters())
    return env
