"""Episodes into the sentences the customer reads, for the detectors' tests."""

from __future__ import annotations

from core import Alert, AlertStatus, Episode, Language, MessageKind
from notify.render import render_alert_message


def alert_of(episode: Episode, alert_id: int | None = 1) -> Alert:
    """The alert an episode opens."""
    return Alert(
        id=alert_id, meter_id=episode.meter_id, type=episode.type, severity=episode.severity,
        status=AlertStatus.OPEN, start=episode.start, end=episode.end,
        detected_at=episode.confirmed_at, last_seen=episode.confirmed_at,
        evidence=episode.evidence, estimated_volume_m3=episode.estimated_volume_m3,
        estimated_cost_eur=episode.estimated_cost_eur,
        legally_notifiable=episode.legally_notifiable,
    )  # fmt: skip


def sentence(episode: Episode, language: str = "en", timezone: str = "Europe/Paris") -> str:
    """The opening message's text of ``episode``."""
    return render_alert_message(
        alert_of(episode), MessageKind.OPENED, Language(language), timezone
    ).text
