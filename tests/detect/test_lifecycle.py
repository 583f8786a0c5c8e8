"""The alert lifecycle, pure: episodes against existing alerts."""

from dataclasses import replace

import pandas as pd
import pytest

from core import Alert, Episode
from detect.lifecycle import LifecycleSettings, plan_alerts

T0 = pd.Timestamp("2026-03-01", tz="UTC")


def hours(h: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=h)


def leak(start_h: float, end_h: float | None, severity: str = "warning", rate: float = 5.0):
    return Episode(
        meter_id="M1",
        type="continuous_flow",
        severity=severity,
        start=hours(start_h),
        end=None if end_h is None else hours(end_h),
        confirmed_at=hours(start_h + 36),
        evidence={"leak_rate_lph": rate},
        estimated_volume_m3=0.1,
        estimated_cost_eur=0.43,
    )


def stored(changes, first_id: int = 1) -> list[Alert]:
    """What the store holds after applying the changes (ids given to new alerts)."""
    return [
        c.alert if c.alert.id is not None else replace(c.alert, id=first_id + k)
        for k, c in enumerate(changes)
    ]


def apply(alerts: list[Alert], changes) -> list[Alert]:
    by_id = {a.id: a for a in alerts}
    next_id = max(by_id, default=0) + 1
    for c in changes:
        if c.alert.id is None:
            by_id[next_id] = replace(c.alert, id=next_id)
            next_id += 1
        else:
            by_id[c.alert.id] = c.alert
    return sorted(by_id.values(), key=lambda a: a.id)


def test_new_episode_opens_an_alert():
    changes = plan_alerts([], [leak(0, None)], as_of=hours(40))
    assert len(changes) == 1
    assert changes[0].events == ("opened",)
    alert = changes[0].alert
    assert (alert.id, alert.status, alert.start, alert.end) == (None, "open", hours(0), None)
    assert alert.detected_at == hours(40)


def test_rerun_is_idempotent():
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40)))
    assert plan_alerts(alerts, [leak(0, None)], as_of=hours(40)) == []


def test_overlapping_episode_extends_without_event():
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40)))
    changes = plan_alerts(alerts, [leak(-5, None, rate=6.0)], as_of=hours(50))
    assert len(changes) == 1 and changes[0].events == ()
    assert changes[0].alert.id == alerts[0].id
    assert changes[0].alert.start == hours(-5)
    assert changes[0].alert.evidence["leak_rate_lph"] == 6.0


def test_escalation_is_a_change_event():
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40)))
    changes = plan_alerts(alerts, [leak(0, None, severity="critical")], as_of=hours(50))
    assert changes[0].events == ("changed",)
    assert changes[0].alert.severity == "critical"


def test_resolves_once_clear_for_the_delay():
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40)))
    early = plan_alerts(alerts, [leak(0, 45)], as_of=hours(50))
    assert early[0].alert.status == "open" and early[0].events == ()
    alerts = apply(alerts, early)
    late = plan_alerts(alerts, [leak(0, 45)], as_of=hours(70))
    assert late[0].events == ("resolved",)
    assert (late[0].alert.status, late[0].alert.end) == ("resolved", hours(45))


def test_resolves_when_the_episode_is_no_longer_detected():
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40)))
    assert plan_alerts(alerts, [], as_of=hours(50)) == []
    changes = plan_alerts(alerts, [], as_of=hours(65))
    assert changes[0].events == ("resolved",) and changes[0].alert.end == hours(40)


def test_acknowledged_stays_acknowledged_until_resolved():
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40)))
    alerts = [replace(alerts[0], status="acknowledged")]
    changes = plan_alerts(alerts, [leak(0, None, rate=9.0)], as_of=hours(60))
    assert changes[0].alert.status == "acknowledged"
    alerts = apply(alerts, changes)
    changes = plan_alerts(alerts, [leak(0, 62)], as_of=hours(90))
    assert changes[0].alert.status == "resolved"


def test_new_episode_after_resolution_is_a_new_alert():
    alerts = apply([], plan_alerts([], [leak(0, 45)], as_of=hours(80)))
    assert alerts[0].status == "resolved"
    assert plan_alerts(alerts, [leak(0, 45)], as_of=hours(90)) == []
    changes = plan_alerts(alerts, [leak(0, 45), leak(200, None)], as_of=hours(240))
    assert len(changes) == 1 and changes[0].alert.id is None
    assert changes[0].events == ("opened",)


def test_episode_within_the_delay_continues_the_alert():
    alerts = apply([], plan_alerts([], [leak(0, 40)], as_of=hours(45)))
    changes = plan_alerts(alerts, [leak(0, 40), leak(50, None)], as_of=hours(90))
    assert len(changes) == 1 and changes[0].alert.id == alerts[0].id
    assert changes[0].alert.end is None


def test_old_episode_first_seen_is_opened_and_resolved():
    changes = plan_alerts([], [leak(0, 10)], as_of=hours(200))
    assert changes[0].events == ("opened", "resolved")


def test_other_meter_type_or_code_is_another_alert():
    alarm = Episode("M1", "meter_alarm", "warning", hours(0), None, hours(0), {"code": "LEAK"})
    dry = replace(alarm, evidence={"code": "DRY"})
    other = replace(alarm, meter_id="M2")
    alerts = apply([], plan_alerts([], [alarm], as_of=hours(1)))
    changes = plan_alerts(alerts, [alarm, dry, other], as_of=hours(1))
    assert len(changes) == 2 and all(c.alert.id is None for c in changes)


@pytest.mark.parametrize("delay", [pytest.param(0.0, id="no_delay"), pytest.param(72.0, id="3d")])
def test_resolution_delay_setting(delay):
    settings = LifecycleSettings(resolve_after_h=delay)
    alerts = apply([], plan_alerts([], [leak(0, None)], as_of=hours(40), settings=settings))
    changes = plan_alerts(alerts, [leak(0, 45)], as_of=hours(60), settings=settings)
    assert (changes[0].alert.status == "resolved") is (delay <= 15)


def test_stored_helper_assigns_ids():
    assert [a.id for a in stored(plan_alerts([], [leak(0, None)], as_of=hours(40)))] == [1]


def test_a_notice_covered_by_an_ongoing_episode_keeps_its_flag_and_evidence():
    ongoing = replace(leak(0, None), type="overconsumption", evidence={"period": "rolling"})
    notice = replace(
        leak(100, 200), type="overconsumption", legally_notifiable=True,
        evidence={"period": "2026-03", "reference_kind": "same_month_previous_years"},
    )  # fmt: skip
    alert = plan_alerts([], [ongoing, notice], as_of=hours(300))[0].alert
    assert alert.legally_notifiable and alert.evidence["period"] == "2026-03"
    assert alert.start == hours(0) and alert.end is None
