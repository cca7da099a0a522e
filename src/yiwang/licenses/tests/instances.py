"""Another Yiwang deployment for tests: its own process, SQLite database and master key,
with one seal and one license signed there, and the id of the key its trust list is signed
with, as its operator would give it (mutual recognition, the public verify page)."""

from __future__ import annotations

import atexit
import functools
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from yiwang.core.loopback import free_port, wait_until_healthy

# Run in the second instance: an agency in 武汉 (another province's code), a seal, a license.
MAKE_LICENSE = """
import json
from django.utils import timezone
from yiwang.core.identifiers import make_uscc
from yiwang.licenses import documents, services, verification
from yiwang.licenses.models import LicenseType
from yiwang.regions.models import Organization, Region

region = Region.objects.create(code="420100000000", name="武汉市", level=2, dataset="test")
agency = Organization.objects.create(
    name="武汉市市场监督管理局", region=region, kind="department", sector="市场监管",
    uscc=make_uscc(authority="1", kind="1", division6="420100", organization8="20000001"),
)
license_type = LicenseType(
    code="11100000000013338W001", name="食品经营许可证", issuing_sector="市场监管",
    holder_kind="organization", validity_kind="years", validity_years=5,
    data_schema={"type": "object", "properties": {
        "business_scope": {"title": "经营项目", "type": "string"},
        "premises": {"title": "经营场所", "type": "string"}}},
    display_hints={"title": "食品经营许可证", "order": ["business_scope", "premises"]},
)
license_type.full_clean()
license_type.save()
seal = services.make_seal(agency=agency, name="行政审批专用章", actor="test")
license = services.sign_license(
    license_type=license_type, seal=seal, actor="test",
    holder_id=make_uscc(authority="9", kind="1", division6="420100", organization8="80000001"),
    holder_name="武汉长江餐饮有限公司",
    data={"business_scope": "热食类食品制售", "premises": "武汉市江汉区解放大道1号"},
    issued_on=timezone.localdate(),
)
print(json.dumps({
    "license": documents.license_document(license),
    "trust_list_key_id": verification.current_trust_list_key().key_id,
}, ensure_ascii=False))
"""


@dataclass(frozen=True)
class Instance:
    url: str
    license: dict  # the JSON download of a license it issued
    trust_list_key_id: str  # what its operator tells the platforms that recognize it


def manage(env: dict, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.manage", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _instance_env(home: Path, url: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yiwang.settings.dev",
        "DATABASE_URL": f"sqlite:///{home / 'instance.sqlite3'}",
        "YIWANG_HOME": str(home),
        "YIWANG_MEDIA_ROOT": str(home / "media"),
        "YIWANG_MASTER_KEY_PROVIDER": "env",
        "YIWANG_MASTER_KEY": secrets.token_hex(16),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(32),
        "YIWANG_PUBLIC_BASE_URL": url,
        "YIWANG_EVENT_WORKER": "external",
        "DJANGO_DEBUG": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }


@functools.cache
def _migrated_database() -> Path:
    """An empty database with every migration applied, made once per test process: migrating
    costs more than the rest of an instance's start, and leaves no key or secret behind (only
    the calendar, permissions and content types), so each instance starts from a copy of it
    and still makes its own data keys under its own master key."""
    home = Path(tempfile.mkdtemp(prefix="yiwang-instance-"))
    atexit.register(shutil.rmtree, home, ignore_errors=True)
    manage(_instance_env(home, "http://127.0.0.1"), "migrate", "--noinput", "-v0")
    return home / "instance.sqlite3"


def _copy_database(source: Path, target: Path) -> None:
    """SQLite's online backup: a consistent copy whatever is still in the WAL file."""
    original, copy = sqlite3.connect(source), sqlite3.connect(target)
    with closing(original), closing(copy):
        original.backup(copy)


@contextmanager
def running_instance(home: Path) -> Iterator[Instance]:
    """A served instance with its license; stopped on exit."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = _instance_env(home, url)
    _copy_database(_migrated_database(), home / "instance.sqlite3")
    made = json.loads(manage(env, "shell", "-c", MAKE_LICENSE).strip().splitlines()[-1])
    log = home / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "yiwang.manage", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env={**env, "DJANGO_DEBUG": "1"},  # runserver serves the pages' static files
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(url, server, log)
        yield Instance(url=url, **made)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
