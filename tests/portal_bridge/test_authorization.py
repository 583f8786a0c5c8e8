"""The authorization matrix, generated from the bridge's OpenAPI document: a route added
tomorrow is in it without anyone listing it.

For every secured route: no token, an expired, not-yet-valid, unsigned, ``alg: none``,
wrong-key or tampered token gets 401. For every route that takes an id: a customer
token of another account gets 404 (never 403), and so does an id that does not exist.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pandas as pd
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from portal_bridge import BridgeConfig
from tests.portal_bridge.conftest import bearer, make_app, serving, token

pytestmark = pytest.mark.integration
# an object of each id kind per account: B-1's objects, asked for with A-1's token
OWN = {"account_id": "A-1", "meter_id": "W-1"}
OTHERS = {"account_id": "B-1", "meter_id": "W-9"}
UNKNOWN = {"account_id": "NOPE-1", "meter_id": "NOPE-1", "alert_id": 999999}
BODIES: dict[str, Any] = {
    "/v1/meters/{meter_id}/readings": {"timestamp": "2026-03-31T12:00:00+02:00", "index": 100.5, "unit": "m3"},
    "/v1/accounts/{account_id}/notification-preferences": {"preferences": []},
}  # fmt: skip


def operations(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """Every (method, path) of the document."""
    return [(m.upper(), p) for p, item in doc["paths"].items() for m in item]


def secured(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """The operations that declare the bearer scheme."""
    return [(m, p) for m, p in operations(doc) if doc["paths"][p][m.lower()].get("security")]


@pytest.fixture(scope="module")
def live(
    pg_server_url: str, seeded_template: str
) -> Iterator[tuple[httpx.Client, dict[str, Any], dict[str, int]]]:
    """One bridge for the whole matrix (its tests change nothing the others read), its
    document, and the alert ids of each account."""
    import psycopg
    from psycopg.conninfo import make_conninfo

    name = f"{seeded_template}_matrix"
    with psycopg.connect(pg_server_url, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")  # type: ignore[arg-type]
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {seeded_template}")  # type: ignore[arg-type]
    url = make_conninfo(pg_server_url, dbname=name)
    with psycopg.connect(url) as conn:
        alerts = dict(
            conn.execute("SELECT meter_id, min(id) FROM alerts GROUP BY meter_id").fetchall()
        )
    try:
        with serving(make_app(url)) as base, httpx.Client(base_url=base, timeout=60) as http:
            doc = http.get("/v1/openapi.json").json()
            yield http, doc, {"own": alerts["W-1"], "others": alerts["W-9"]}
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


def fill(path: str, ids: dict[str, Any]) -> str:
    """The path with its ids filled in; an id kind not in ``ids`` fails the test (a new
    kind of id needs an object of another account here)."""
    names = re.findall(r"{(\w+)}", path)
    missing = [n for n in names if n not in ids]
    assert not missing, f"{path}: give the matrix an object of another account for {missing}"
    return path.format(**ids)


def call(
    http: httpx.Client, method: str, path: str, url: str, headers: dict[str, str]
) -> httpx.Response:
    body = BODIES.get(path)
    return http.request(
        method, url, headers=headers, json=body if method in ("POST", "PUT") else None
    )


def test_the_document_secures_every_v1_route_but_health(live: Any) -> None:
    _, doc, _ = live
    open_routes = {p for m, p in operations(doc)} - {p for m, p in secured(doc)}
    assert open_routes == {"/v1/health"}
    assert len(secured(doc)) >= 12


def bad_tokens() -> dict[str, str | None]:
    """Every token the bridge must refuse, by name."""
    good = token("A-1")
    head, payload, signature = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged = (
        base64.urlsafe_b64encode(json.dumps({**claims, "sub": "B-1"}).encode()).decode().rstrip("=")
    )
    none_head = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').decode().rstrip("=")
    other_key = ec.generate_private_key(ec.SECP256R1())
    now = pd.Timestamp.now(tz="UTC")
    return {
        "missing": None,
        "expired": token("A-1", exp=int((now - pd.Timedelta(hours=1)).timestamp())),
        "not_yet_valid": token("A-1", nbf=int((now + pd.Timedelta(hours=1)).timestamp())),
        "unsigned": f"{head}.{payload}.",
        "alg_none": f"{none_head}.{payload}.",
        "wrong_key": token("A-1", key="another-secret-of-enough-length-0123456789"),
        "wrong_algorithm_key": token("A-1", key=other_key, algorithm="ES256"),
        "tampered_payload": f"{head}.{forged}.{signature}",
        "no_exp": token("A-1", exp=None),
        "bad_scope": token("A-1", scope="admin"),
        "not_bearer": "Basic " + base64.b64encode(b"a:b").decode(),
    }


@pytest.mark.parametrize("name", list(bad_tokens()))
def test_every_secured_route_refuses_a_bad_token_with_401(live: Any, name: str) -> None:
    http, doc, alerts = live
    bad = bad_tokens()[name]
    headers = (
        {}
        if bad is None
        else {"Authorization": bad if bad.startswith("Basic") else f"Bearer {bad}"}
    )
    answers = {}
    for method, path in secured(doc):
        response = call(http, method, path, fill(path, {**OWN, "alert_id": alerts["own"]}), headers)
        answers[f"{method} {path}"] = response.status_code
        assert response.headers["content-type"].startswith("application/problem+json")
    assert set(answers.values()) == {401}, answers


def test_every_route_with_an_id_answers_404_for_another_accounts_object(live: Any) -> None:
    http, doc, alerts = live
    with_ids = [(m, p) for m, p in secured(doc) if "{" in p]
    assert len(with_ids) >= 11
    answers = {}
    for method, path in with_ids:
        url = fill(path, {**OTHERS, "alert_id": alerts["others"]})
        response = call(http, method, path, url, bearer("A-1"))
        answers[f"{method} {path}"] = response.status_code
        unknown = call(http, method, path, fill(path, UNKNOWN), bearer("A-1"))
        # nothing tells an existing object of another account from one that does not exist
        assert _blind(response.json(), OTHERS, alerts["others"]) == _blind(
            unknown.json(), UNKNOWN, UNKNOWN["alert_id"]
        )
    assert set(answers.values()) == {404}, answers


def _blind(problem: dict[str, Any], ids: dict[str, Any], alert_id: object) -> dict[str, Any]:
    text = json.dumps(problem)
    for value in [*ids.values(), alert_id]:
        text = text.replace(str(value), "ID")
    return json.loads(text)


def test_an_unknown_id_answers_the_same_404(live: Any) -> None:
    http, doc, _ = live
    for method, path in [(m, p) for m, p in secured(doc) if "{" in p]:
        url = fill(path, UNKNOWN)
        for who in ("A-1", "ops"):
            scope = "service" if who == "ops" else "customer"
            assert call(http, method, path, url, bearer(who, scope)).status_code == 404, (
                method,
                path,
                who,
            )


def test_a_customers_own_objects_and_a_service_reach_them(live: Any) -> None:
    http, doc, alerts = live
    reads = [(m, p) for m, p in secured(doc) if m == "GET" and "{" in p]
    for method, path in reads:
        params = {"/v1/meters/{meter_id}/index": {"at": "2026-03-31T12:00"},
                  "/v1/accounts/{account_id}/curve": {"kind": "water"}}.get(path)  # fmt: skip
        own = http.request(
            method,
            fill(path, {**OWN, "alert_id": alerts["own"]}),
            headers=bearer("A-1"),
            params=params,
        )
        assert own.status_code == 200, (path, own.text)
        other = http.request(method, fill(path, {**OTHERS, "alert_id": alerts["others"]}),
                             headers=bearer("ops", "service"), params=params)  # fmt: skip
        assert other.status_code == 200, (path, other.text)


def test_each_occupant_of_a_moved_meter_reaches_only_its_own_period(live: Any) -> None:
    http, _, _ = live
    old = http.get("/v1/meters/W-3/curve", params={"resolution": "hour", "from": "2026-03-01",
                   "to": "2026-04-01"}, headers=bearer("A-2")).json()  # fmt: skip
    new = http.get("/v1/meters/W-3/curve", params={"resolution": "hour", "from": "2026-03-01",
                   "to": "2026-04-01"}, headers=bearer("A-3")).json()  # fmt: skip
    move = pd.Timestamp("2026-03-15T00:00", tz="Europe/Paris")
    assert old["points"] and new["points"]
    assert max(pd.Timestamp(p["start"]) for p in old["points"]) < move
    assert min(pd.Timestamp(p["start"]) for p in new["points"]) >= move
    assert (
        http.get(
            "/v1/meters/W-3/index", params={"at": "2026-03-20"}, headers=bearer("A-2")
        ).status_code
        == 422
    )
    assert (
        http.get(
            "/v1/meters/W-3/index", params={"at": "2026-03-15T00:00"}, headers=bearer("A-2")
        ).status_code
        == 200
    )


def test_a_public_key_verifies_es256_tokens_and_refuses_them_signed_by_another(
    seeded_url: str, tmp_path: Any
) -> None:
    from cryptography.hazmat.primitives import serialization

    key = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "portal.pem"
    pem.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM,
                    serialization.PublicFormat.SubjectPublicKeyInfo))  # fmt: skip
    config = BridgeConfig(public_key_path=pem, audience="releve", issuer="https://portal.example")
    with serving(make_app(seeded_url, config)) as base, httpx.Client(base_url=base) as http:

        def ask(**claims: Any) -> int:
            signed = token("A-1", key=claims.pop("key", key), algorithm="ES256", **claims)
            return http.get(
                "/v1/accounts/A-1/meters", headers={"Authorization": f"Bearer {signed}"}
            ).status_code

        assert ask(aud="releve", iss="https://portal.example") == 200
        assert ask(aud="someone-else", iss="https://portal.example") == 401
        assert ask(aud="releve", iss="https://elsewhere.example") == 401
        assert (
            ask(
                aud="releve",
                iss="https://portal.example",
                key=ec.generate_private_key(ec.SECP256R1()),
            )
            == 401
        )
        # the public key is no HS256 secret: the classic key-confusion token is refused
        pem_text = pem.read_text()
        confused = token("A-1", key="x" * 40, aud="releve", iss="https://portal.example")
        assert (
            http.get(
                "/v1/accounts/A-1/meters", headers={"Authorization": f"Bearer {confused}"}
            ).status_code
            == 401
        )
        assert "PUBLIC KEY" in pem_text
