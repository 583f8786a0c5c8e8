"""``releve alerts [--format table|json] [--status open|all] [--meter M] [--lang fr|en]``
lists alerts, each with its sentence from the notification templates;
``releve alerts ack ID`` acknowledges one."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd

from core import Alert, AlertStatus, Language
from core.columns import METER_ID
from portal_bridge.alert_text import render_alert
from releve.config import Settings
from releve.connect import open_store
from store.alerts import acknowledge_alert, fetch_alerts

STATUSES = {
    "open": "unresolved",
    "all": None,
    "acknowledged": "acknowledged",
    "resolved": "resolved",
}
JSON_KEYS = (
    "id", METER_ID, "type", "severity", "status", "start", "end", "detected_at", "evidence",
    "estimated_volume_m3", "estimated_cost_eur", "message",
)  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``releve alerts``."""
    parser = subparsers.add_parser(
        "alerts",
        help="list alerts, or acknowledge one: releve alerts ack ID",
        description="List alerts (PRODUCT.md output contract), or 'ack ID' to acknowledge one.",
    )
    parser.add_argument("action", nargs="?", choices=["ack"], help="ack: acknowledge an alert")
    parser.add_argument("alert_id", nargs="?", type=int, help="id of the alert to acknowledge")
    parser.add_argument("--format", choices=["table", "json"], default="table")
    parser.add_argument(
        "--status", choices=list(STATUSES), default="open",
        help="open (open and acknowledged, the default), all, acknowledged or resolved",
    )  # fmt: skip
    parser.add_argument("--meter", action="append", dest="meters", metavar="M")
    parser.add_argument(
        "--lang", choices=[str(lang) for lang in Language], default=str(Language.FR),
        help="language of the alert sentences (fr, the default, or en)",
    )  # fmt: skip
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List or acknowledge."""
    settings = Settings.load()
    if args.action == "ack":
        return _ack(args, settings)
    with open_store(settings) as conn:
        alerts = fetch_alerts(conn, meter_ids=args.meters, status=STATUSES[args.status])
    rows = [alert_record(a, settings.timezone, Language(args.lang)) for a in alerts]
    if args.format == "json":
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(format_table(rows))
    return 0


def _ack(args: argparse.Namespace, settings: Settings) -> int:
    if args.alert_id is None:
        print("give the id of the alert to acknowledge: releve alerts ack ID", file=sys.stderr)
        return 2
    with open_store(settings) as conn:
        before = acknowledge_alert(conn, args.alert_id, at=pd.Timestamp.now("UTC"))
        conn.commit()
    if before is None:
        print(
            f"alert {args.alert_id} does not exist; list them with: releve alerts", file=sys.stderr
        )
        return 1
    if before == AlertStatus.OPEN:
        print(f"alert {args.alert_id} acknowledged")
    else:
        print(f"alert {args.alert_id} is already {before}; left as it is")
    return 0


def alert_record(
    alert: Alert, timezone: str, language: Language = Language.FR
) -> dict[str, object]:
    """An alert as the JSON output contract has it, times with their offset, and its
    ``message`` in ``language``."""

    def iso(ts: pd.Timestamp | None) -> str | None:
        return None if ts is None else ts.tz_convert(timezone).isoformat()

    record = {
        "id": alert.id,
        METER_ID: alert.meter_id,
        "type": alert.type,
        "severity": alert.severity,
        "status": alert.status,
        "start": iso(alert.start),
        "end": iso(alert.end),
        "detected_at": iso(alert.detected_at),
        "evidence": alert.evidence,
        "estimated_volume_m3": alert.estimated_volume_m3,
        "estimated_cost_eur": alert.estimated_cost_eur,
        "message": render_alert(alert, language, timezone),
    }
    return {key: record[key] for key in JSON_KEYS}


def format_table(rows: list[dict[str, object]]) -> str:
    """Alerts as a plain table, one line each with the customer sentence."""
    if not rows:
        return "no alerts"
    lines = [f"{'id':>5}  {'meter':<14} {'type':<17} {'severity':<8} {'status':<12} "
             f"{'start':<16} {'end':<16} evidence"]  # fmt: skip
    for r in rows:
        start = str(r["start"])[:16]
        end = str(r["end"])[:16] if r["end"] else "-"
        message = r["message"] or ""
        lines.append(
            f"{r['id']:>5}  {str(r['meter_id']):<14} {str(r['type']):<17} "
            f"{str(r['severity']):<8} {str(r['status']):<12} {start:<16} {end:<16} {message}"
        )
    return "\n".join(lines)
