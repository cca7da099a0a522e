"""Fixtures of the portal's tests.

`live_portal` is a real server for the browser tests: `yiwang runserver` in a subprocess on
a database of its own, with the demo data loaded exactly as `make run` does. It does not use
pytest-django's database, because the server is another process: it would not see the test
transaction, and the demo load would not be rolled back. The demo identities (citizens and
staff, `identity demo`) are loaded too, and `live_portal_env` is the environment that points
management commands at that same database (e.g. to register an OIDC client).

Loading the demo takes minutes, so it happens once per session (`demo_database`, only when a
browser test asks for a server); each module's server gets a copy of it, so what one module's
tests change is never seen by another's.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
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


# Databases for the servers: a template with the demo, and a copy of it per module ----------


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


class PostgresDatabases:
    """Databases beside the configured one and named after it, so that runs against different
    DATABASE_URLs never collide: `<name>_e2e_template` and a `<name>_e2e_<n>` per module."""

    def __init__(self, configured_url: str) -> None:
        self.configured_url = configured_url
        self.prefix = f"{urlsplit(configured_url).path.lstrip('/') or 'yiwang'}_e2e"
        self.template = f"{self.prefix}_template"
        self._numbers = itertools.count(1)

    def url_of(self, name: str) -> str:
        return urlunsplit(urlsplit(self.configured_url)._replace(path=f"/{name}"))

    def _execute(self, *statements: str) -> None:
        with _postgres_admin(self.configured_url) as connection:
            for statement in statements:
                connection.execute(statement)

    def create_template(self) -> str:
        self.drop(self.template)
        self._execute(f'CREATE DATABASE "{self.template}"')
        return self.url_of(self.template)

    def freeze_template(self) -> None:
        """CREATE DATABASE ... TEMPLATE fails while anyone is connected to the template: close
        what may linger and let nobody connect again."""
        self._execute(
            f'ALTER DATABASE "{self.template}" WITH ALLOW_CONNECTIONS false',
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            f" WHERE datname = '{self.template}'",
        )

    def copy(self, home: Path) -> str:
        name = f"{self.prefix}_{next(self._numbers)}"
        self.drop(name)
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url_of(name)

    def drop(self, name: str) -> None:
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def drop_copy(self, url: str) -> None:
        self.drop(dj_database_url.parse(url)["NAME"])

    def drop_template(self) -> None:
        self.drop(self.template)


class SqliteDatabases:
    """Files in pytest's temporary directories, kept with the servers' logs."""

    def __init__(self, home: Path) -> None:
        self.template = home / "e2e_template.sqlite3"

    def create_template(self) -> str:
        return f"sqlite:///{self.template}"

    def freeze_template(self) -> None:
        pass  # the commands that wrote it have exited

    def copy(self, home: Path) -> str:
        """SQLite's online backup: a consistent copy whatever is still in the WAL file."""
        target = home / "e2e.sqlite3"
        source, copy = sqlite3.connect(self.template), sqlite3.connect(target)
        with closing(source), closing(copy):
            source.backup(copy)
        return f"sqlite:///{target}"

    def drop_copy(self, url: str) -> None:
        pass

    def drop_template(self) -> None:
        pass


def _databases(home: Path) -> PostgresDatabases | SqliteDatabases:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith(("postgres://", "postgresql://")):
        return PostgresDatabases(configured)
    return SqliteDatabases(home)


# A real server on a database of its own -------------------------------------------------


def _server_env(home: Path, database_url: str, master_key: str) -> dict[str, str]:
    """The servers' environment. The template's commands and every copy's server get the
    same master key (the session's own, not var/'s) and secret key: the data keys the demo
    wrapped, and what it sealed and signed with them, must open in every copy."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="yiwang.settings.dev",
        YIWANG_EVENT_WORKER="inprocess",
        DATABASE_URL=database_url,
        DJANGO_SECRET_KEY="e2e-only-not-secret",
        YIWANG_MASTER_KEY_PROVIDER="env",
        YIWANG_MASTER_KEY=master_key,
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


def _load_demo(env: dict[str, str]) -> None:
    _manage(env, "migrate", "--noinput", "-v0", timeout=300)
    _manage(env, "load_demo", timeout=DEMO_LOAD_SECONDS)
    _manage(env, "identity", "demo", timeout=300)
    # The demo's outbox events are delivered before serving, as a deployment's worker would:
    # a test's own events (a back-channel logout) must not queue behind thousands of them.
    _manage(env, "worker", "--once", timeout=600)


@dataclass(frozen=True)
class DemoDatabase:
    """The demo loaded once; `copy_to` gives a server a database and media of its own."""

    databases: PostgresDatabases | SqliteDatabases
    home: Path  # the template's media directory lives here
    master_key: str

    def copy_to(self, home: Path) -> dict[str, str]:
        """The environment of a server on a fresh copy of the demo, kept under `home`."""
        media = self.home / "media"
        if media.exists():  # files the demo stored belong with its rows
            shutil.copytree(media, home / "media")
        return _server_env(home, self.databases.copy(home), self.master_key)


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Iterator[DemoDatabase]:
    """The demo data and identities, loaded once per session for every module's server."""
    home = tmp_path_factory.mktemp("demo_database")
    databases = _databases(home)
    master_key = secrets.token_hex(16)
    try:
        _load_demo(_server_env(home, databases.create_template(), master_key))
        databases.freeze_template()
        yield DemoDatabase(databases=databases, home=home, master_key=master_key)
    finally:
        databases.drop_template()


@dataclass(frozen=True)
class LivePortal:
    url: str  # http://127.0.0.1:PORT, also the OpenID Connect issuer
    env: dict[str, str]  # runs `python -m yiwang.manage ...` against the server's database
    log: Path  # the server's output


@contextmanager
def _running_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """`runserver` on a free port until the block ends; yields its base URL."""
    port = free_port()
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
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def live_portal_server(demo_database, tmp_path_factory) -> Iterator[LivePortal]:
    """A running portal with the demo data and demo identities, one per test module."""
    home = tmp_path_factory.mktemp("live_portal")
    env = demo_database.copy_to(home)
    log = home / "server.log"
    try:
        with _running_server(env, log) as base_url:
            yield LivePortal(url=base_url, env=env, log=log)
    finally:
        demo_database.databases.drop_copy(env["DATABASE_URL"])


@pytest.fixture(scope="module")
def live_portal(live_portal_server) -> str:
    """The base URL of a running portal with the demo data."""
    return live_portal_server.url


@pytest.fixture(scope="module")
def live_portal_env(live_portal_server) -> dict[str, str]:
    """The environment of that portal's server, for management commands on its database."""
    return live_portal_server.env
