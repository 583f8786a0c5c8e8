"""The bridge under test: a store seeded with simulated accounts (``seed.py``), the app
on it (ASGI, for the tests about the app itself) and tokens of the portal."""

from __future__ import annotations

import dataclasses
import itertools
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import jwt
import pandas as pd
import psycopg
import pytest
import uvicorn
from fastapi import FastAPI
from psycopg.conninfo import make_conninfo

from portal_bridge import BridgeConfig, create_app
from releve.commands.serve import installation
from releve.config import Settings
from tests.portal_bridge.seed import NOW, SECRET, SETTINGS, seed_accounts

_numbers = itertools.count()


def token(subject: str, scope: str = "customer", *, key: Any = SECRET, algorithm: str = "HS256",
          **claims: Any) -> str:  # fmt: skip
    """A portal token valid for an hour (claims given override, ``exp=None`` drops it)."""
    now = pd.Timestamp.now(tz="UTC")
    payload = {"sub": subject, "scope": scope, "exp": int((now + pd.Timedelta(hours=1)).timestamp()),
               "iat": int(now.timestamp()), **claims}  # fmt: skip
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, key, algorithm=algorithm)


def bearer(subject: str, scope: str = "customer", **claims: Any) -> dict[str, str]:
    """The Authorization header of ``token``."""
    return {"Authorization": f"Bearer {token(subject, scope, **claims)}"}


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


@pytest.fixture(scope="session")
def seeded_template(pg_server_url: str, template_database: str) -> Iterator[str]:
    """A database with the simulated accounts, cloned by each test that needs them."""
    name = f"releve_bridge_seed_{os.getpid()}"
    with _admin(pg_server_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")  # type: ignore[arg-type]
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_database}")  # type: ignore[arg-type]
    with psycopg.connect(make_conninfo(pg_server_url, dbname=name)) as conn:
        seed_accounts(conn)
    yield name
    with _admin(pg_server_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


@pytest.fixture
def seeded_url(pg_server_url: str, seeded_template: str) -> Iterator[str]:
    """URL of a fresh copy of the seeded store."""
    name = f"releve_bridge_{os.getpid()}_{next(_numbers)}"
    with _admin(pg_server_url) as admin:
        admin.execute(f"CREATE DATABASE {name} TEMPLATE {seeded_template}")  # type: ignore[arg-type]
    yield make_conninfo(pg_server_url, dbname=name)
    with _admin(pg_server_url) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # type: ignore[arg-type]


def make_app(
    url: str, config: BridgeConfig | None = None, settings: Settings = SETTINGS
) -> FastAPI:
    """The bridge on ``url`` with the seed's clock."""
    settings = settings.model_copy(update={"database_url": url})
    return create_app(
        config or BridgeConfig(), dataclasses.replace(installation(settings), clock=lambda: NOW)
    )


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` under uvicorn on a free loopback port, in a thread: its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the bridge did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture
def base_url(seeded_url: str) -> Iterator[str]:
    """The bridge served over real HTTP on a fresh seeded store."""
    with serving(make_app(seeded_url)) as url:
        yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client of that bridge."""
    with httpx.Client(base_url=base_url, timeout=60) as http:
        yield http


@pytest.fixture
def store(seeded_url: str) -> Iterator[psycopg.Connection]:
    """A connection to the same store as ``client``."""
    with psycopg.connect(seeded_url, autocommit=True) as conn:
        yield conn
