"""Who may reach which object: every route that takes an id gets it through here.

A route names the object it serves with one of the dependencies below
(``MeterAccess``, ``AccountAccess``, ``AlertAccess``). Each verifies the token,
counts it against the rate limit, finds the object with the periods the token
may read it in, writes the access to the audit log, and answers 404 (never 403)
when the object is unknown or not the token's, so that ids cannot be probed.
Only then does the route get its connection to the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

import pandas as pd
import psycopg
from fastapi import Depends, Path, Request
from psycopg_pool import ConnectionPool

from core import METER_ID_PATTERN, Alert, Language
from core.contracts import Period
from portal_bridge.auth import ACCOUNT_ID_PATTERN, Claims, RateLimit, TokenVerifier
from portal_bridge.config import Installation
from portal_bridge.problems import not_found
from store.alerts import fetch_alerts
from store.audit import Access, write_audit
from store.bridge import (
    MeterGrant,
    fetch_account_exists,
    fetch_alert_meter,
    fetch_language,
    fetch_meter_grant,
)
from store.gdpr import fetch_erasure

MAX_ALERT_ID = 2**63 - 1
_SECOND = pd.Timedelta(seconds=1)  # an instant alert still spans a moment


@dataclass(frozen=True)
class Services:
    """What the dependencies need, built once per app (``app.state.services``)."""

    installation: Installation
    verifier: TokenVerifier
    rate_limit: RateLimit
    pool: ConnectionPool


def services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services  # type: ignore[no-any-return]


async def claims(request: Request) -> Claims:
    """The verified claims of the request's token, counted against the rate limit."""
    found = services(request)
    verified = found.verifier.verify(request.headers.get("authorization"))
    found.rate_limit.hit(verified)
    return verified


ClaimsDep = Annotated[Claims, Depends(claims)]
MeterId = Annotated[
    str, Path(pattern=f"^{METER_ID_PATTERN}$", description="1-64 chars of [A-Za-z0-9._:-]")
]
AccountId = Annotated[
    str, Path(pattern=f"^{ACCOUNT_ID_PATTERN}$", description="1-64 chars of [A-Za-z0-9._:-]")
]
AlertId = Annotated[int, Path(ge=1, le=MAX_ALERT_ID, description="The alert's id")]


@dataclass(frozen=True)
class Scoped:
    """What a route works with: the store, the installation, the token's claims."""

    conn: psycopg.Connection
    installation: Installation
    claims: Claims


@dataclass(frozen=True)
class MeterScope(Scoped):
    """A meter the token may read, and the periods it may read it in."""

    grant: MeterGrant

    @property
    def periods(self) -> list[Period]:
        """When the token may read the meter."""
        return self.grant.periods

    def language(self) -> Language:
        """The language of the meter's account (the token's for a customer)."""
        accounts = (self.claims.account_id,) if self.claims.account_id else self.grant.account_ids
        return fetch_language(self.conn, [a for a in accounts if a])


@dataclass(frozen=True)
class AccountScope(Scoped):
    """An account the token may read."""

    account_id: str


@dataclass(frozen=True)
class AlertScope(MeterScope):
    """An alert the token may read, on a meter it may read."""

    alert: Alert


def _audit(
    conn: psycopg.Connection, request: Request, who: Claims, kind: str, object_id: str,
    granted: bool,
) -> None:  # fmt: skip
    route = request.scope.get("route")
    write_audit(conn, Access(
        subject=who.subject, scope=who.scope, method=request.method,
        route=getattr(route, "path", request.url.path), object_type=kind,
        object_id=object_id, granted=granted,
        client=request.client.host if request.client else None,
    ))  # fmt: skip


def meter_scope(meter_id: MeterId, request: Request, who: ClaimsDep) -> Iterator[MeterScope]:
    """The meter of the path, if the token may read it (else 404)."""
    found = services(request)
    with found.pool.connection() as conn:
        grant = fetch_meter_grant(conn, meter_id, who.account_id, found.installation.meter_defaults)
        _audit(conn, request, who, "meter", meter_id, grant is not None)
        if grant is None:
            raise not_found("meter", meter_id)
        yield MeterScope(conn, found.installation, who, grant)


def _account(
    account_id: str, request: Request, who: Claims, *, erased_too: bool
) -> Iterator[AccountScope]:
    found = services(request)
    with found.pool.connection() as conn:
        mine = who.account_id in (None, account_id)
        known = fetch_account_exists(conn, account_id) or (
            erased_too and fetch_erasure(conn, account_id) is not None
        )
        _audit(conn, request, who, "account", account_id, mine and known)
        if not (mine and known):
            raise not_found("account", account_id)
        yield AccountScope(conn, found.installation, who, account_id)


def account_scope(
    account_id: AccountId, request: Request, who: ClaimsDep
) -> Iterator[AccountScope]:
    """The account of the path, if it is the token's (or the token is a service's)."""
    yield from _account(account_id, request, who, erased_too=False)


def erased_account_scope(
    account_id: AccountId, request: Request, who: ClaimsDep
) -> Iterator[AccountScope]:
    """The account of the path, or its erasure record: erasing twice answers the same."""
    yield from _account(account_id, request, who, erased_too=True)


def alert_scope(alert_id: AlertId, request: Request, who: ClaimsDep) -> Iterator[AlertScope]:
    """The alert of the path, if it is about a meter and a period the token may read."""
    found = services(request)
    with found.pool.connection() as conn:
        scope = _alert_scope(conn, found, who, alert_id)
        _audit(conn, request, who, "alert", str(alert_id), scope is not None)
        if scope is None:
            raise not_found("alert", alert_id)
        yield scope


def _alert_scope(
    conn: psycopg.Connection, found: Services, who: Claims, alert_id: int
) -> AlertScope | None:
    meter_id = fetch_alert_meter(conn, alert_id)
    if meter_id is None:
        return None
    grant = fetch_meter_grant(conn, meter_id, who.account_id, found.installation.meter_defaults)
    alert = next((a for a in fetch_alerts(conn, meter_ids=[meter_id]) if a.id == alert_id), None)
    if grant is None or alert is None or not visible(alert, grant.periods, who):
        return None
    return AlertScope(conn, found.installation, who, grant, alert)


def visible(alert: Alert, periods: list[Period], who: Claims) -> bool:
    """Whether the token may see the alert: a service sees all; a customer the alerts told
    to customers whose episode meets one of its periods."""
    if who.account_id is None:
        return True
    if not alert.customer_facing:
        return False
    end = alert.end if alert.end is not None else alert.last_seen
    return any(p.clip(alert.start, max(end, alert.start + _SECOND)) for p in periods)


MeterAccess = Annotated[MeterScope, Depends(meter_scope)]
AccountAccess = Annotated[AccountScope, Depends(account_scope)]
ErasableAccount = Annotated[AccountScope, Depends(erased_account_scope)]
AlertAccess = Annotated[AlertScope, Depends(alert_scope)]
