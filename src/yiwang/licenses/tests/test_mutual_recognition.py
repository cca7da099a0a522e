"""互认共享 across two real deployments: a second Yiwang instance, in its own process with its
own SQLite database and its own master key, makes a seal and signs a license; this platform
imports its published trust list (over HTTP, from the well-known address, signed by the key
whose id its operator gave) and verifies that license offline: unknown issuer before the
import, valid after, tampered when a field changes.
"""

from __future__ import annotations

import json
import secrets
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from django.core.management import call_command

from yiwang.licenses import verification
from yiwang.licenses.constants import Verdict
from yiwang.licenses.tests.instances import Instance, running_instance

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def second_instance(tmp_path_factory) -> Iterator[Instance]:
    with running_instance(tmp_path_factory.mktemp("second_instance")) as instance:
        yield instance


def upload(document: dict) -> verification.Outcome:
    return verification.verify_upload(json.dumps(document, ensure_ascii=False).encode())


def test_a_license_of_another_deployment_verifies_here_once_its_trust_list_is_imported(
    second_instance, seal
):
    document = second_instance.license
    before = upload(document)
    assert before.verdict == Verdict.UNKNOWN_ISSUER

    trust_url = f"{second_instance.url}/.well-known/yiwang-trust-list.json"
    key = ("--key-id", second_instance.trust_list_key_id)
    call_command("licenses_trust", "add", "湖北政务服务平台", "--url", trust_url, *key)

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
