"""Fixtures of the portal's tests.

`live_portal` is a real server for the browser tests: `yiwang runserver` in a subprocess on
a database of its own, migrated and loaded with the demo data exactly as `make run` does. It
does not use pytest-django's database, because the server is another process: it would not
see the test transaction, and the demo load would not be rolled back. The demo identities
(citizens and staff, `identity demo`) are loaded too, and `live_portal_env` is the environment
that points management commands at that same database (e.g. to register an OIDC client).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
import pytest

from yiwang.cases.tests.conftest import (  # noqa: F401
    applicant,
    food_item,
    office,
    other_applicant,
    paid_item,
)
from yiwang.core.loopback import free_port, wait_until_healthy
from yiwang.identity.tests.conftest import alice, bob  # noqa: F401
from yiwang.portal.visitor import REGION_COOKIE

FURONG = "430102000000"
DEMO_LOAD_SECONDS = 900


@pytest.fixture
def in_furong(client, world):
    """The test client as a visitor who chose 芙蓉区, where world.county_agency sits."""
    client.cookies[REGION_COOKIE] = FURONG
    return client


# A real server on a database of its own -------------------------------------------------


def _postgres_admin(url: str) -> psycopg.Connection:
    config = dj_database_url.parse(url)
    return psycopg.connect(
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _fresh_postgres(url: str) -> tuple[str, str]:
    """A new empty database `<name>_e2e` beside the configured one; returns (url, name)."""
    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'yiwang'}_e2e"
    with _postgres_admin(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), name


def _drop_postgres(url: str, name: str) -> None:
    with _postgres_admin(url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _server_env(home: Path, database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="yiwang.settings.dev",
        YIWANG_EVENT_WORKER="inprocess",
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="e2e-only-not-secret",
        YIWANG_MEDIA_ROOT=str(home / "media"),
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(env: dict[str, str], *arguments: str, timeout: int) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.manage", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        pytest.fail(f"yiwang {' '.join(arguments)} failed:\n{result.stdout}\n{result.stderr}")


@dataclass(frozen=True)
class LivePortal:
    url: str  # http://127.0.0.1:PORT, also the OpenID Connect issuer
    env: dict[str, str]  # runs `python -m yiwang.manage ...` against the server's database
    log: Path  # the server's output


@pytest.fixture(scope="module")
def live_portal_server(tmp_path_factory) -> Iterator[LivePortal]:
    """A running portal with the demo data and demo identities, one per test module."""
    home = tmp_path_factory.mktemp("live_portal")
    configured = os.environ.get("DATABASE_URL", "")
    postgres = configured.startswith(("postgres://", "postgresql://"))
    if postgres:
        database_url, database_name = _fresh_postgres(configured)
    else:
        database_url = f"sqlite:///{home / 'e2e.sqlite3'}"
    env = _server_env(home, database_url)
    _manage(env, "migrate", "--noinput", "-v0", timeout=300)
    _manage(env, "load_demo", timeout=DEMO_LOAD_SECONDS)
    _manage(env, "identity", "demo", timeout=300)
    # The demo's outbox events are delivered before serving, as a deployment's worker would:
    # a test's own events (a back-channel logout) must not queue behind thousands of them.
    _manage(env, "worker", "--once", timeout=600)

    port = free_port()
    log = home / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "yiwang.manage", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base_url, process, log)
        yield LivePortal(url=base_url, env=env, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if postgres:
            _drop_postgres(configured, database_name)


@pytest.fixture(scope="module")
def live_portal(live_portal_server) -> str:
    """The base URL of a running portal with the demo data."""
    return live_portal_server.url


@pytest.fixture(scope="module")
def live_portal_env(live_portal_server) -> dict[str, str]:
    """The environment of that portal's server, for management commands on its database."""
    return live_portal_server.env
