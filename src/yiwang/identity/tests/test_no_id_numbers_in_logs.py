"""No ID number ever reaches a log: the identity flows run with every logger at DEBUG, and both
the records (before any redaction filter) and the process output are scanned."""

import logging

import pytest
import requests
from django.test import override_settings

from yiwang.core.errors import DomainError
from yiwang.identity import services
from yiwang.identity.tests.factories import PASSWORD, in_registry, registered
from yiwang.identity.tests.test_single_sign_on import _department, _log_in

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(LOGIN_LOCKOUT_FAILURES=2)
def test_identity_flows_log_no_id_number(live_server, world, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    alice = registered(in_registry("张丽华", 51))
    bob = registered(in_registry("李建国", 52), real_name=False)
    for _ in range(3):  # failures, then the lockout
        with pytest.raises(DomainError):
            services.authenticate_person(bob.id_number, "Wrong-password-1", address="10.0.0.1")
    with pytest.raises(DomainError):
        services.authenticate_person(alice.id_number[:-1] + "0", PASSWORD, address="10.0.0.1")
    services.reveal_id_number(services.Actor(None), alice.account, purpose="测试")

    registry, server = _department(live_server, "户籍业务系统", may_read_id_number=True)
    registry.scope = "openid profile id_number"
    try:
        browser = requests.Session()
        home = _log_in(browser, browser.get(f"{registry.base_url}/login"), alice)
        assert "已登录" in home.text
        assert browser.get(f"{live_server.url}/my/").status_code == 200
    finally:
        server.shutdown()

    captured = capfd.readouterr()
    for number in (alice.id_number, bob.id_number):
        assert number not in caplog.text
        assert number not in captured.out + captured.err
    assert caplog.records, "the flows must have logged something for the scan to mean anything"
