"""The bridge as it is deployed: a real ``releve serve`` process, then ``releve audit``."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.portal_bridge.conftest import bearer
from tests.portal_bridge.seed import SECRET

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_releve_serve_answers_and_releve_audit_lists_the_access(
    seeded_url: str, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEVE_")}
    env.update(RELEVE_DATABASE_URL=seeded_url, RELEVE_HOME=str(tmp_path / "home"),
               RELEVE_PORTAL_SECRET=SECRET, RELEVE_BRIDGE__CORS_ORIGINS='["https://portal.example"]')  # fmt: skip
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "releve.cli", "serve", "--port", str(port),
                               "--workers", "2"], env=env, stderr=log)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text()
            time.sleep(0.2)
        curve = httpx.get(f"{base}/v1/meters/W-1/curve", headers=bearer("A-1"),
                          params={"resolution": "month", "from": "2026-01-01", "to": "2026-04-01"})  # fmt: skip
        assert curve.status_code == 200 and len(curve.json()["points"]) == 3
        assert httpx.get(f"{base}/v1/meters/W-9/curve", headers=bearer("A-1")).status_code == 404
        preflight = httpx.options(f"{base}/v1/meters/W-1/curve", headers={
            "Origin": "https://portal.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
        assert preflight.headers["access-control-allow-origin"] == "https://portal.example"
        stranger = httpx.options(f"{base}/v1/meters/W-1/curve", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})  # fmt: skip
        assert "access-control-allow-origin" not in stranger.headers
        metrics = httpx.get(f"{base}/metrics").text  # the workers' figures, added up
        assert 'route="/v1/meters/{meter_id}/curve",status="200"' in metrics
    finally:
        server.terminate()
        server.wait(30)
        log.close()
    audit = subprocess.run([sys.executable, "-m", "releve.cli", "audit", "--format", "json"],
                           env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert audit.returncode == 0, audit.stderr
    rows = [json.loads(line) for line in audit.stdout.splitlines()]
    assert [(r["subject"], r["object_id"], r["granted"]) for r in rows] == [
        ("A-1", "W-1", True),
        ("A-1", "W-9", False),
    ]
    assert rows[0]["client"] == "127.0.0.1" and rows[0]["route"] == "/v1/meters/{meter_id}/curve"


def test_releve_serve_refuses_to_start_without_a_key(db_url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELEVE_")}
    env.update(RELEVE_DATABASE_URL=db_url, RELEVE_HOME=str(tmp_path / "home"))
    done = subprocess.run([sys.executable, "-m", "releve.cli", "serve", "--port", str(free_port())],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "RELEVE_PORTAL_SECRET" in done.stderr
