"""``GET`` and ``PUT /v1/accounts/{account_id}/notification-preferences``."""

from __future__ import annotations

import re

from core import Channel, Preference, QuietHours
from portal_bridge.access import AccountAccess
from portal_bridge.models import PreferenceIn, Preferences
from portal_bridge.problems import unprocessable
from portal_bridge.routing import v1_router
from store.audit import durable
from store.preferences import delete_preferences, fetch_preferences, upsert_preferences

router = v1_router("accounts")
# What an address must look like on each channel (the notifier sends to nothing else).
ADDRESS = {
    Channel.EMAIL: (
        re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+"),
        "an e-mail address such as name@example.fr",
    ),
    Channel.SMS: (
        re.compile(r"\+[1-9][0-9]{6,14}"),
        "a phone number in E.164 form such as +33612345678",
    ),
    Channel.WEBHOOK: (re.compile(r"https://[^\s]+"), "an https:// URL"),
}


@router.get("/accounts/{account_id}/notification-preferences", response_model=Preferences)
def read_preferences(scope: AccountAccess) -> Preferences:
    """How the account wants to be told, one entry per channel."""
    found = fetch_preferences(scope.conn, [scope.account_id])
    return Preferences(account_id=scope.account_id, preferences=[_out(p) for p in found])


@router.put("/accounts/{account_id}/notification-preferences", response_model=Preferences)
def replace_preferences(scope: AccountAccess, body: Preferences) -> Preferences:
    """Replace the account's preferences with these (a channel left out is removed)."""
    if body.account_id not in (None, scope.account_id):
        raise unprocessable("body.account_id", "must be the account of the path, or left out")
    wanted = [_preference(scope.account_id, i, p) for i, p in enumerate(body.preferences)]
    channels = [p.channel for p in wanted]
    if len(set(channels)) != len(channels):
        raise unprocessable("body.preferences", "give each channel once")
    with durable(scope.conn), scope.conn.transaction():
        upsert_preferences(scope.conn, wanted)
        gone = [c for c in Channel if c not in channels]
        if gone:
            delete_preferences(scope.conn, scope.account_id, gone)
    return read_preferences(scope)


def _preference(account_id: str, position: int, given: PreferenceIn) -> Preference:
    pattern, shape = ADDRESS[given.channel]
    if not pattern.fullmatch(given.address):
        raise unprocessable(f"body.preferences.{position}.address",
                            f"a {given.channel} address must be {shape}")  # fmt: skip
    try:
        quiet = QuietHours.parse(given.quiet_hours) if given.quiet_hours else None
    except ValueError as exc:
        raise unprocessable(f"body.preferences.{position}.quiet_hours", str(exc)) from None
    return Preference(account_id=account_id, channel=given.channel, address=given.address,
                      language=given.language, min_severity=given.min_severity, quiet_hours=quiet,
                      opt_out=frozenset(given.opt_out))  # fmt: skip


def _out(p: Preference) -> PreferenceIn:
    return PreferenceIn(channel=p.channel, address=p.address, language=p.language,
                        min_severity=p.min_severity,
                        quiet_hours=None if p.quiet_hours is None else str(p.quiet_hours),
                        opt_out=sorted(p.opt_out))  # fmt: skip
