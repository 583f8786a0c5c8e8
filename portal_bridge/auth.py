"""Who is asking: the portal's JWT, verified with PyJWT, and the rate limit per subject.

A token is signed by the portal: HS256 with the shared secret, or RS256/ES256 with
the private key whose public half is configured. ``sub`` is the account id, ``scope``
``customer`` (that account only) or ``service`` (back office, analysts: everything),
``exp`` is required, ``nbf`` honoured, ``aud`` and ``iss`` checked when configured.
The algorithm is taken from the key, never from the token: ``alg: none`` or an
HS256 token made with the public key as its secret are refused.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from core import METER_ID_PATTERN
from portal_bridge.config import BridgeConfig
from portal_bridge.problems import ApiError

MIN_SECRET_BYTES = 32  # RFC 7518 3.2: an HS256 key at least as long as the hash
ACCOUNT_ID_PATTERN = METER_ID_PATTERN  # account ids share the meter-id grammar


class Scope(StrEnum):
    """What a token may reach."""

    CUSTOMER = "customer"  # its own account's objects only
    SERVICE = "service"  # every object


@dataclass(frozen=True)
class Claims:
    """The verified claims the bridge uses."""

    subject: str
    scope: Scope

    @property
    def account_id(self) -> str | None:
        """The account a customer token is limited to; None for a service token."""
        return self.subject if self.scope == Scope.CUSTOMER else None


class BridgeSetupError(ValueError):
    """The bridge cannot verify tokens as configured."""


def _unauthorized(detail: str) -> ApiError:
    challenge = 'Bearer realm="releve", error="invalid_token"'
    return ApiError(401, "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


class TokenVerifier:
    """Verifies the portal's tokens with the configured secret and public key."""

    def __init__(self, config: BridgeConfig, secret: str | None) -> None:
        self.keys: dict[str, Any] = {}
        if secret is not None:
            if len(secret.encode()) < MIN_SECRET_BYTES:
                raise BridgeSetupError(
                    f"RELEVE_PORTAL_SECRET has {len(secret.encode())} bytes; HS256 needs at "
                    f"least {MIN_SECRET_BYTES} (e.g. `openssl rand -hex 32`)"
                )
            self.keys["HS256"] = secret
        if config.public_key_path is not None:
            algorithm, key = _public_key(config.public_key_path)
            self.keys[algorithm] = key
        if not self.keys:
            raise BridgeSetupError(
                "the bridge has no key to verify tokens: set RELEVE_PORTAL_SECRET (HS256) or "
                "RELEVE_BRIDGE__PUBLIC_KEY_PATH (RS256/ES256 public key, PEM)"
            )
        self.config = config

    def verify(self, authorization: str | None) -> Claims:
        """The claims of an ``Authorization: Bearer`` header; raises a 401 problem."""
        if not authorization:
            raise _unauthorized("send Authorization: Bearer <token>, a JWT from the portal")
        kind, _, token = authorization.partition(" ")
        if kind.lower() != "bearer" or not token.strip():
            raise _unauthorized("the Authorization header must be 'Bearer <token>'")
        try:
            algorithm = jwt.get_unverified_header(token.strip()).get("alg")
            key = self.keys.get(algorithm) if isinstance(algorithm, str) else None
            if key is None:
                raise _unauthorized(
                    f"tokens signed with {algorithm!r} are not accepted; use {', '.join(self.keys)}"
                )
            payload = jwt.decode(
                token.strip(), key, algorithms=[str(algorithm)], audience=self.config.audience,
                issuer=self.config.issuer, leeway=self.config.leeway_s,
                options={"require": ["exp", "sub", "scope"], "verify_aud": self.config.audience is not None},
            )  # fmt: skip
        except jwt.ExpiredSignatureError:
            raise _unauthorized("the token has expired; ask the portal for a new one") from None
        except jwt.ImmatureSignatureError:
            raise _unauthorized(
                "the token is not valid yet (nbf); check the portal's clock"
            ) from None
        except jwt.InvalidTokenError as exc:
            raise _unauthorized(f"the token was refused: {exc}") from None
        return _claims(payload)


def _claims(payload: dict[str, Any]) -> Claims:
    subject, scope = payload.get("sub"), payload.get("scope")
    if scope not in tuple(Scope):
        raise _unauthorized(f"the token's scope must be customer or service, not {scope!r}")
    if not isinstance(subject, str) or not subject:
        raise _unauthorized("the token's sub must be the account id")
    return Claims(subject, Scope(scope))


def _public_key(path: Path) -> tuple[str, Any]:
    """The algorithm and key of a PEM public key file (RSA: RS256, EC P-256: ES256)."""
    try:
        key = load_pem_public_key(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise BridgeSetupError(f"cannot read the public key {path}: {exc}") from None
    if isinstance(key, rsa.RSAPublicKey):
        return "RS256", key
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return "ES256", key
    raise BridgeSetupError(f"{path} is neither an RSA nor an EC P-256 public key")


class RateLimit:
    """A moving-window limit per token subject, in this process's memory."""

    def __init__(self, rate: str) -> None:
        try:
            self.item = parse(rate)
        except ValueError:
            raise BridgeSetupError(f"rate limit {rate!r} is not like 600/minute") from None
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, claims: Claims) -> None:
        """Count one request of the subject; raises a 429 problem past the limit."""
        key = f"{claims.scope}:{claims.subject}"
        if self.limiter.hit(self.item, key):
            return
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        raise ApiError(
            429, "Too Many Requests",
            f"more than {self.item} requests for this token; wait before trying again",
            headers={"Retry-After": str(max(1, int(reset) - _now_s()))},
        )  # fmt: skip


def _now_s() -> int:
    return int(time.time())
