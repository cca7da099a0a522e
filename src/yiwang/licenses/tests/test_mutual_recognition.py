"""互认共享 across two real deployments: a second Yiwang instance, in its own process with its
own SQLite database and its own master key, makes a seal and signs a license; this platform
imports its published trust list (over HTTP, from the well-known address) and verifies that
license offline: unknown issuer before the import, valid after, tampered when a field changes.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from yiwang.core.loopback import free_port, wait_until_healthy
from yiwang.licenses import verification
from yiwang.licenses.constants import Verdict

pytestmark = pytest.mark.django_db

# Run in the second instance: an agency in 武汉 (another province's code), a seal, a license.
MAKE_LICENSE = """
import json
from django.utils import timezone
from yiwang.core.identifiers import make_uscc
from yiwang.licenses import documents, services
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
print(json.dumps(documents.license_document(license), ensure_ascii=False))
"""


@dataclass(frozen=True)
class Instance:
    url: str
    license: dict  # the JSON download of a license it issued


def _run(env: dict, *arguments: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "yiwang.manage", *arguments],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def second_instance(tmp_path_factory) -> Iterator[Instance]:
    home = tmp_path_factory.mktemp("second_instance")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "yiwang.settings.dev",
        "DATABASE_URL": f"sqlite:///{home / 'other.sqlite3'}",
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
    _run(env, "migrate", "--noinput", "-v0")
    document = json.loads(_run(env, "shell", "-c", MAKE_LICENSE).strip().splitlines()[-1])
    log = home / "server.log"
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "yiwang.manage", "runserver", f"127.0.0.1:{port}", "--noreload"],
            env={**env, "DJANGO_DEBUG": "1"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_healthy(url, server, log)
        yield Instance(url=url, license=document)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def upload(document: dict) -> verification.Outcome:
    return verification.verify_upload(json.dumps(document, ensure_ascii=False).encode())


def test_a_license_of_another_deployment_verifies_here_once_its_trust_list_is_imported(
    second_instance, seal
):
    document = second_instance.license
    before = upload(document)
    assert before.verdict == Verdict.UNKNOWN_ISSUER

    trust_url = f"{second_instance.url}/.well-known/yiwang-trust-list.json"
    call_command("licenses_trust", "add", "湖北政务服务平台", "--url", trust_url)

    outcome = upload(document)
    assert outcome.verdict == Verdict.VALID, outcome.detail
    assert outcome.issuer == "武汉市市场监督管理局"
    assert outcome.platform == "湖北政务服务平台"
    assert outcome.holder_name == "武汉长江餐饮有限公司"

    changed = json.loads(json.dumps(document))
    changed["license"]["data"]["business_scope"] = "热食类食品制售、酒类销售"
    tampered = upload(changed)
    assert tampered.verdict == Verdict.TAMPERED
    assert tampered.issuer == "武汉市市场监督管理局"

    # The issuing platform holds the original, so it names the field that was changed.
    there = _post_json(f"{second_instance.url}/api/licenses/verify", changed)
    assert there["verdict"] == "tampered"
    assert there["changed_fields"] == ["data.business_scope"]
    assert there["changed"][0]["label"] == "证照数据“经营项目”"

    # Refreshing from the same address keeps the seal; our own seal never appears on their list.
    call_command("licenses_trust", "refresh")
    assert upload(document).verdict == Verdict.VALID


def test_the_code_of_one_deployment_opens_nothing_on_another(second_instance):
    document = second_instance.license
    identifier, code = document["license"]["identifier"], document["verification_code"]
    there = _get_json(f"{second_instance.url}/api/licenses/verify", identifier, code)
    assert there["verdict"] == "valid"
    with pytest.raises(verification.DomainError) as refused:
        verification.verify_by_code(identifier, code)
    assert refused.value.status == 404


def _post_json(url: str, document: dict) -> dict:
    boundary = secrets.token_hex(8)
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="l.json"\r\n'
        "Content-Type: application/json\r\n\r\n"
    ).encode()
    body += json.dumps(document, ensure_ascii=False).encode() + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": f"multipart/form-data; boundary={boundary}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def _get_json(url: str, identifier: str, code: str) -> dict:
    query = urllib.parse.urlencode({"identifier": identifier, "code": code})
    with urllib.request.urlopen(f"{url}?{query}", timeout=10) as response:
        return json.load(response)
