"""Housekeeping of 亮证: showings expired longer than the retention period are deleted (in
batches, audited); live and recently expired ones stay; the holder's 用证记录 keeps every
entry, the scans of deleted showings included."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from yiwang.core.errors import DomainError
from yiwang.core.models import AuditRecord
from yiwang.identity.tests.factories import in_registry, registered
from yiwang.licenses import wallet
from yiwang.licenses.constants import UseKind
from yiwang.licenses.models import LicenseUse, Showing
from yiwang.licenses.tests.factories import LicenseTypeFactory, sign

pytestmark = pytest.mark.django_db

RETENTION_DAYS = 30


@pytest.fixture(autouse=True)
def retention(settings):
    settings.LICENSE_SHOWING_RETENTION_DAYS = RETENTION_DAYS


@pytest.fixture
def alice(world):
    return registered(in_registry("张丽华", 95))


@pytest.fixture
def license(seal, alice):
    kind = LicenseTypeFactory(for_persons=True)
    data = {"occupation": "餐饮服务"}
    return sign(kind, seal, holder_id=alice.id_number, holder_name=alice.name, data=data)


def _showing(license, alice, *, expired_days_ago: float | None, scanned: bool = False):
    """A showing, scanned while it lived if `scanned`, then expired that many days ago."""
    showing, token = wallet.show_license(license=license, account=alice.account)
    if scanned:
        wallet.open_showing(token=token, address="10.0.0.8")
    if expired_days_ago is not None:
        expired_at = timezone.now() - timedelta(days=expired_days_ago)
        Showing.objects.filter(pk=showing.pk).update(expires_at=expired_at)
    return showing, token


def test_showings_expired_beyond_retention_go_and_the_use_log_stays(license, alice):
    old, old_token = _showing(license, alice, expired_days_ago=RETENTION_DAYS + 1, scanned=True)
    recent, recent_token = _showing(license, alice, expired_days_ago=RETENTION_DAYS - 1)
    live, _ = _showing(license, alice, expired_days_ago=None)
    uses_before = list(wallet.uses_of(license).values_list("pk", "kind", "detail"))

    assert wallet.purge_expired_showings() == 1

    assert set(Showing.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert list(wallet.uses_of(license).values_list("pk", "kind", "detail")) == uses_before
    scan = LicenseUse.objects.get(kind=UseKind.SHOWN)
    assert scan.detail["showing"] == old.pk  # the log still names the showing it came from
    audit = AuditRecord.objects.get(action="license.showings_purged")
    assert audit.detail["deleted"] == 1 and audit.actor == wallet.HOUSEKEEPING_ACTOR
    # A recently expired link is still told apart from a forged one; a deleted one is not.
    with pytest.raises(DomainError) as expired:
        wallet.open_showing(token=recent_token)
    assert expired.value.status == 410
    with pytest.raises(DomainError) as gone:
        wallet.open_showing(token=old_token)
    assert gone.value.status == 404


def test_a_second_run_deletes_nothing_and_audits_nothing(license, alice):
    _showing(license, alice, expired_days_ago=RETENTION_DAYS + 5)
    assert wallet.purge_expired_showings() == 1
    assert wallet.purge_expired_showings() == 0
    assert AuditRecord.objects.filter(action="license.showings_purged").count() == 1


def test_a_large_purge_goes_in_batches(license, alice, monkeypatch):
    monkeypatch.setattr(wallet, "PURGE_BATCH", 2)
    for _ in range(5):
        _showing(license, alice, expired_days_ago=RETENTION_DAYS + 2)
    live, _ = _showing(license, alice, expired_days_ago=None)
    assert wallet.purge_expired_showings() == 5
    assert list(Showing.objects.values_list("pk", flat=True)) == [live.pk]


def test_no_retention_deletes_every_expired_showing_but_no_live_one(license, alice, settings):
    settings.LICENSE_SHOWING_RETENTION_DAYS = 0
    _showing(license, alice, expired_days_ago=0.01)
    live, _ = _showing(license, alice, expired_days_ago=None)
    assert wallet.purge_expired_showings() == 1
    assert list(Showing.objects.values_list("pk", flat=True)) == [live.pk]


def test_the_periodic_command(license, alice):
    _showing(license, alice, expired_days_ago=RETENTION_DAYS + 1)
    out = StringIO()
    call_command("licenses", "housekeeping", stdout=out)
    assert out.getvalue().strip() == "deleted 1 expired showing(s)"
    assert not Showing.objects.exists()


def test_a_negative_retention_is_refused_and_deletes_nothing(license, alice, settings):
    settings.LICENSE_SHOWING_RETENTION_DAYS = -1
    _showing(license, alice, expired_days_ago=None)
    with pytest.raises(CommandError, match="YIWANG_LICENSE_SHOWING_RETENTION_DAYS"):
        call_command("licenses", "housekeeping", stdout=StringIO())
    assert Showing.objects.count() == 1
