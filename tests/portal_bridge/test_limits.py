"""The rate limit per token subject, and the durability of the bridge's writes."""

from __future__ import annotations

import httpx
import psycopg
import pytest

from portal_bridge import BridgeConfig
from store.audit import durable
from tests.portal_bridge.conftest import bearer, make_app, serving

pytestmark = pytest.mark.integration


def test_past_the_rate_limit_a_token_gets_429_and_others_do_not(seeded_url: str) -> None:
    app = make_app(seeded_url, BridgeConfig(rate_limit="3/minute"))
    with serving(app) as base, httpx.Client(base_url=base) as http:
        answers = [http.get("/v1/accounts/A-1/meters", headers=bearer("A-1")).status_code
                   for _ in range(4)]  # fmt: skip
        assert answers == [200, 200, 200, 429]
        refused = http.get("/v1/accounts/A-1/meters", headers=bearer("A-1"))
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) >= 1
        assert http.get("/v1/accounts/B-1/meters", headers=bearer("B-1")).status_code == 200


def test_durable_makes_commits_wait_for_the_disk_then_restores_the_session(db_url: str) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute("SET synchronous_commit TO off")
        with durable(conn):
            assert conn.execute("SHOW synchronous_commit").fetchone() == ("on",)
        assert conn.execute("SHOW synchronous_commit").fetchone() == ("off",)
