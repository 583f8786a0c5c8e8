"""The alert lifecycle: freshly detected episodes against the alerts already open.

One alert per (meter, type, episode): an episode that overlaps an alert, or
follows it closer than the resolution delay, extends it; an alert resolves when
its condition has been clear for that delay; an acknowledged alert stays
acknowledged while its episode lasts; an episode after a resolution is a new
alert. Every opening, change (severity) and resolution is an event for the
notification step.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core import Alert, AlertChange, AlertEvent, AlertStatus, Episode, Severity


class LifecycleSettings(BaseModel):
    """How episodes become alerts."""

    model_config = ConfigDict(frozen=True)

    resolve_after_h: float = Field(
        default=24.0, description="Time the condition must stay clear before the alert resolves [h]"
    )
    resolve_after_h_by_type: dict[str, float] = Field(
        default_factory=lambda: {"no_data": 0.0, "reverse_flow": 24.0},
        description="Per-type resolution delay overriding resolve_after_h [h]",
    )

    def delay(self, kind: str) -> pd.Timedelta:
        """The resolution delay of an anomaly type."""
        return pd.Timedelta(hours=self.resolve_after_h_by_type.get(kind, self.resolve_after_h))


def plan_alerts(
    existing: list[Alert],
    episodes: list[Episode],
    *,
    as_of: pd.Timestamp,
    settings: LifecycleSettings | None = None,
) -> list[AlertChange]:
    """The inserts and updates that bring the alerts in line with the episodes."""
    s = settings or LifecycleSettings()
    alerts = list(existing)
    for episode in _merged(episodes, s):
        k = _match(alerts, episode, as_of, s)
        if k is None:
            alerts.append(_new_alert(episode, as_of, s))
        elif alerts[k].status != AlertStatus.RESOLVED:
            alerts[k] = _extend(alerts[k], episode, as_of, s)
        # else: the episode a resolved alert recorded, seen again by a rerun
    for k, alert in enumerate(alerts):
        seen_now = k >= len(existing) or alert is not existing[k]
        if (
            alert.status != AlertStatus.RESOLVED
            and not seen_now
            and as_of - alert.last_seen >= s.delay(alert.type)
        ):
            alerts[k] = replace(alert, status=AlertStatus.RESOLVED, end=alert.last_seen)
    changes = []
    for k, alert in enumerate(alerts):
        before = existing[k] if k < len(existing) else None
        if before is None or alert != before:
            changes.append(AlertChange(alert, _events(before, alert)))
    return changes


def _merged(episodes: list[Episode], s: LifecycleSettings) -> list[Episode]:
    """Episodes of one meter, type and code closer than the resolution delay, as one."""
    out: list[Episode] = []
    for episode in sorted(episodes, key=lambda e: (e.meter_id, e.type, _code(e), e.start)):
        prev = out[-1] if out and _key(out[-1]) == _key(episode) else None
        if prev is None:
            out.append(episode)
        elif prev.end is not None and episode.start <= prev.end + s.delay(episode.type):
            out[-1] = replace(
                episode,
                start=prev.start,
                end=None if episode.end is None else max(prev.end, episode.end),
                severity=max(prev.severity, episode.severity, key=_rank),
                confirmed_at=prev.confirmed_at,
                legally_notifiable=prev.legally_notifiable or episode.legally_notifiable,
            )
        elif prev.end is not None:
            out.append(episode)
        elif episode.legally_notifiable and not prev.legally_notifiable:
            # the previous episode goes on and covers this one, but not the notice it carries
            out[-1] = replace(prev, legally_notifiable=True, evidence=dict(episode.evidence))
    return out


def _key(e: Episode) -> tuple[str, str, str]:
    return (e.meter_id, e.type, _code(e))


def _code(e: Episode) -> str:
    return str(e.evidence.get("code", ""))


def _rank(severity: str) -> int:
    return Severity(severity).rank


def _events(before: Alert | None, after: Alert) -> tuple[AlertEvent, ...]:
    """What a notification should say about this change."""
    events: tuple[AlertEvent, ...] = (AlertEvent.OPENED,) if before is None else ()
    if before is not None and before.severity != after.severity:
        events += (AlertEvent.CHANGED,)
    resolved = AlertStatus.RESOLVED
    if after.status == resolved and (before is None or before.status != resolved):
        events += (AlertEvent.RESOLVED,)
    return events


def _match(
    alerts: list[Alert], episode: Episode, as_of: pd.Timestamp, s: LifecycleSettings
) -> int | None:
    """The alert this episode belongs to: same meter, type and code, overlapping
    its span extended by the resolution delay. Unresolved alerts come first."""
    delay = s.delay(episode.type)
    ep_end = episode.end or as_of
    best = None
    for k, alert in enumerate(alerts):
        if (alert.meter_id, alert.type) != (episode.meter_id, episode.type):
            continue
        if alert.evidence.get("code") != episode.evidence.get("code"):
            continue
        reach = (alert.end or alert.last_seen) + delay
        if alert.status == AlertStatus.RESOLVED:
            reach = alert.end or alert.last_seen
        overlaps = episode.start <= reach and alert.start <= ep_end
        if overlaps and (best is None or alerts[best].status == AlertStatus.RESOLVED):
            best = k
    return best


def _new_alert(episode: Episode, as_of: pd.Timestamp, s: LifecycleSettings) -> Alert:
    cleared = episode.end is not None and as_of - episode.end >= s.delay(episode.type)
    return Alert(
        id=None,
        meter_id=episode.meter_id,
        type=episode.type,
        severity=episode.severity,
        status=AlertStatus.RESOLVED if cleared else AlertStatus.OPEN,
        start=episode.start,
        end=episode.end if cleared else None,
        detected_at=as_of,
        last_seen=episode.end or as_of,
        evidence=dict(episode.evidence),
        estimated_volume_m3=episode.estimated_volume_m3,
        estimated_cost_eur=episode.estimated_cost_eur,
        legally_notifiable=episode.legally_notifiable,
    )


def _extend(alert: Alert, episode: Episode, as_of: pd.Timestamp, s: LifecycleSettings) -> Alert:
    """The alert extended by a matching episode."""
    severity = max(alert.severity, episode.severity, key=_rank)
    last_seen = max(alert.last_seen, episode.end or as_of)
    cleared = episode.end is not None and as_of - last_seen >= s.delay(alert.type)
    return replace(
        alert,
        severity=severity,
        start=min(alert.start, episode.start),
        end=last_seen if cleared else None,
        status=AlertStatus.RESOLVED if cleared else alert.status,
        last_seen=last_seen,
        evidence=dict(episode.evidence),
        estimated_volume_m3=episode.estimated_volume_m3,
        estimated_cost_eur=episode.estimated_cost_eur,
        legally_notifiable=alert.legally_notifiable or episode.legally_notifiable,
    )
