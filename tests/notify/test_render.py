"""The notification templates: every type, event and language renders, numbers and
dates read as the locale writes them, and a utility's own template wins."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core import Alert, AlertStatus, AnomalyType, Language, MessageKind, Severity
from notify.formatting import Formats
from notify.render import render, render_alert_message

START = pd.Timestamp("2026-01-10 22:00", tz="UTC")  # 23 h in Paris
EVIDENCE = {
    AnomalyType.CONTINUOUS_FLOW: {"leak_rate_lph": 12.0, "volume_m3": 2.0, "cost_eur": 8.6},
    AnomalyType.BURST: {"peak_flow_lph": 900.0, "duration_h": 2.5, "volume_m3": 1.2,
                        "cost_eur": 5.16, "threshold_lph": 400.0},
    AnomalyType.OVERCONSUMPTION: {"volume_m3": 9.0, "period_days": 30, "ratio": 2.4,
                                  "reference_m3": 3.75, "reference_kind": "recent_weeks",
                                  "excess_m3": 5.25, "cost_eur": 22.58},
    AnomalyType.ZERO_CONSUMPTION: {"days": 9, "usual_daily_l": 180.0},
    AnomalyType.REVERSE_FLOW: {"decrease_l": 60.0, "meter_alarm": False},
    AnomalyType.NO_DATA: {"silence_h": 49.0, "usual_interval_h": 1.0},
    AnomalyType.METER_ALARM: {"code": "LEAK", "raw": '{"status":"LEAK"}'},
}  # fmt: skip
NOTICE = {"period": "2026-03", "month_over": True, "volume_m3": 30.0, "reference_m3": 12.0,
          "reference_years": [2024, 2025], "legal_years": 3, "excess_m3": 18.0,
          "cost_eur": 77.4}  # fmt: skip


def alert(kind: AnomalyType, evidence: dict, notifiable: bool = False) -> Alert:
    return Alert(
        id=7, meter_id="W-1", type=kind, severity=Severity.WARNING, status=AlertStatus.OPEN,
        start=START, end=None, detected_at=START, last_seen=START, evidence=evidence,
        legally_notifiable=notifiable,
    )  # fmt: skip


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("kind", [k for k in MessageKind if k != MessageKind.OUTAGE])
@pytest.mark.parametrize("anomaly", list(EVIDENCE))
def test_every_type_event_and_language_renders(anomaly, kind, language):
    message = render_alert_message(alert(anomaly, EVIDENCE[anomaly]), kind, language)
    assert message.subject and message.text
    assert "{" not in message.text and "  " not in message.text
    assert message.html.count("<p>") == message.text.count("\n\n") + 1


def test_the_leak_in_french_reads_as_the_issue_asks():
    message = render_alert_message(alert(AnomalyType.CONTINUOUS_FLOW, EVIDENCE[AnomalyType.CONTINUOUS_FLOW]), MessageKind.OPENED)  # fmt: skip
    assert message.text.startswith(
        "Fuite probable : votre compteur enregistre un débit continu d'environ 12\u00a0L/h "
        "depuis le 10 janvier à 23 h, soit environ 0,29\u00a0m³ par jour (≈ 1,24\u00a0€ par jour)."
    )
    assert "coupez le robinet d'arrêt" in message.text  # says what the customer can do


def test_the_same_leak_in_english_in_another_timezone():
    ev = EVIDENCE[AnomalyType.CONTINUOUS_FLOW]
    text = render_alert_message(
        alert(AnomalyType.CONTINUOUS_FLOW, ev), MessageKind.OPENED, Language.EN, "UTC"
    ).text
    assert "12\u00a0L/h since 10 January at 22:00" in text and "€1.24" in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        pytest.param(Language.FR, ["1\u202f234,5", "23,53\u00a0€"], id="fr"),
        pytest.param(Language.EN, ["1,234.5", "€23.53"], id="en"),
    ],
)
def test_numbers_and_money_for_the_locale(language, expected):
    formats = Formats(language, "Europe/Paris")
    assert [formats.number(1234.5), formats.euros(23.53)] == expected


def test_the_legal_notice_says_what_the_law_gives():
    notice = alert(AnomalyType.OVERCONSUMPTION, NOTICE, notifiable=True)
    message = render_alert_message(notice, MessageKind.OPENED)
    assert "mars 2026" in message.subject
    assert "mars 2024 et 2025 (les années connues de ce compteur)" in message.text
    assert "attestation d'une entreprise de plomberie" in message.text
    assert "L2224-12-4" in message.text


def test_the_resolution_has_no_advice():
    ended = alert(AnomalyType.CONTINUOUS_FLOW, EVIDENCE[AnomalyType.CONTINUOUS_FLOW])
    text = render_alert_message(ended, MessageKind.RESOLVED).text
    assert text.startswith("Le débit continu s'est arrêté") and "\n" not in text


def test_html_is_escaped():
    ev = {"code": "<b>X</b>", "raw": ""}
    message = render_alert_message(alert(AnomalyType.METER_ALARM, ev), MessageKind.OPENED)
    assert "<b>" in message.text and "&lt;b&gt;" in message.html and "<b>" not in message.html


def test_a_utilitys_template_comes_first(tmp_path: Path):
    (tmp_path / "fr").mkdir()
    (tmp_path / "fr" / "no_data.j2").write_text(
        "{% block subject %}Silence{% endblock %}{% block opened %}Compteur {{ alert.meter_id }}"
        " muet.{% endblock %}"
    )
    ev = EVIDENCE[AnomalyType.NO_DATA]
    message = render_alert_message(
        alert(AnomalyType.NO_DATA, ev), MessageKind.OPENED, templates_dir=tmp_path
    )
    assert (message.subject, message.text) == ("Silence", "Compteur W-1 muet.")


def test_the_outage_message_names_the_source_and_count():
    context = {"source": "gw-7", "count": 200, "hour": "2026-01-10T22:00:00+00:00"}
    message = render("outage", MessageKind.OPENED, context, Language.EN, "Europe/Paris")
    assert "200 meters of source gw-7" in message.text and "gw-7" in message.subject
