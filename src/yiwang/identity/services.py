"""Every write of identity: registration, real-name levels, logins and lockout, second factors,
sessions, staff roles (三员分立), organization agents and delegations.

Each use case validates first and writes nothing when it refuses; each security-relevant one
leaves an audit record that names the actor, the address and the target by masked identifiers.
A refusal worth auditing (a failed login, a name that does not match) is recorded outside the
write's transaction, so that the rollback of the refused write cannot erase its trace.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from django.conf import settings
from django.contrib.auth import login, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_application_model
from oauth2_provider.settings import oauth2_settings

from yiwang.catalog.constants import RealNameLevel
from yiwang.catalog.models import CatalogItem
from yiwang.core import sms
from yiwang.core.audit import record_audit
from yiwang.core.errors import Conflict, DomainError, Forbidden, NotFound
from yiwang.core.events import record_event
from yiwang.core.identifiers import mask, validate_id_number, validate_uscc
from yiwang.core.keys import Sealer
from yiwang.core.ratelimit import client_address
from yiwang.core.sms import PHONE_PURPOSE
from yiwang.identity import oidc, selectors
from yiwang.identity.constants import (
    SEPARATED_ROLES,
    TOTP_PURPOSE,
    AccountKind,
    CodePurpose,
    MemberRole,
    Role,
    SessionEnd,
)
from yiwang.identity.models import (
    Account,
    Delegation,
    LoginThrottle,
    OrganizationAccount,
    OrganizationMember,
    RelyingParty,
    RoleAssignment,
    SecondFactor,
    SessionRecord,
)
from yiwang.identity.plugins import CardReading, card_readers, strong_verifiers
from yiwang.regions.models import Organization, Region
from yiwang.registries import selectors as registries
from yiwang.registries.constants import ID_NUMBER_PURPOSE, OrganizationStatus

BACKEND = "yiwang.identity.backends.AccountBackend"
SESSION_SID = "yiwang.sid"
SESSION_SEEN = "yiwang.seen"
TOTP_ISSUER = "一网政务服务"


@dataclass(frozen=True)
class Actor:
    """Who does something and from where, as the audit trail records it."""

    account: Account | None
    address: str = ""

    @property
    def label(self) -> str:
        return str(self.account) if self.account else "系统"


def actor_of(request: HttpRequest) -> Actor:
    user = request.user if request.user.is_authenticated else None
    return Actor(user, client_address(request))


def _audit(actor: Actor, action: str, target: str = "", **detail) -> None:
    record_audit(action, actor=actor.label, target=target, address=actor.address, detail=detail)


# --- personal data ------------------------------------------------------------------------


def _normalized_phone(phone: str) -> str:
    return sms.validate_phone(phone)


def seal_identifiers(account: Account, *, id_number: str, phone: str) -> None:
    _seal_id_number(account, id_number)
    _seal_phone(account, phone)


def _seal_id_number(account: Account, id_number: str) -> None:
    sealer = Sealer(ID_NUMBER_PURPOSE)
    account.id_number_sealed = sealer.seal(id_number)
    account.id_number_index = sealer.index(id_number)
    account.id_number_masked = mask(id_number)


def _seal_phone(account: Account, phone: str) -> None:
    sealer = Sealer(PHONE_PURPOSE)
    account.phone_sealed = sealer.seal(phone)
    account.phone_index = sealer.index(phone)
    account.phone_masked = sms.mask_phone(phone)


def reveal_id_number(actor: Actor, account: Account, *, purpose: str) -> str:
    """The full ID number, for a role that needs it; the viewing itself is audited."""
    _audit(actor, "pii.viewed", str(account), field="id_number", purpose=purpose)
    return Sealer(ID_NUMBER_PURPOSE).open(account.id_number_sealed)


# --- registration and real-name levels ----------------------------------------------------


def _check_password(password: str, account: Account) -> None:
    try:
        password_validation.validate_password(password, account)
    except ValidationError as error:
        raise DomainError.of("password", "；".join(error.messages)) from error


def person_username() -> str:
    return "p" + secrets.token_hex(12)


def request_code(phone: str, purpose: str, *, address: str) -> None:
    sms.issue_code(_normalized_phone(phone), purpose, address=address)


@transaction.atomic
def register_person(
    *, id_number: str, name: str, phone: str, code: str, password: str, address: str = ""
) -> Account:
    """L1: a person with a valid ID number whose phone answered an SMS code."""
    id_number = validate_id_number(id_number)
    phone = _normalized_phone(phone)
    name = (name or "").strip()
    if not name:
        raise DomainError.of("name", "请填写姓名")
    index = Sealer(ID_NUMBER_PURPOSE).index(id_number)
    account = Account.objects.filter(kind=AccountKind.PERSON, id_number_index=index).first()
    if account is not None and account.has_usable_password():
        raise Conflict("id_number", "该公民身份号码已注册，请直接登录或找回密码")
    if account is not None and account.name != name:
        raise DomainError.of("name", "姓名与窗口登记的证件信息不一致")
    # A person first met at a window already has an account (and their cases): claim it.
    account = account or Account(kind=AccountKind.PERSON, username=person_username(), name=name)
    _check_password(password, account)
    sms.check_code(phone, CodePurpose.REGISTER, code)
    seal_identifiers(account, id_number=id_number, phone=phone)
    account.set_password(password)
    account.password_changed_at = timezone.now()
    if account.level <= RealNameLevel.REGISTERED:
        account.level_method = "sms"
        account.level_verified_at = timezone.now()
    account.save()
    _audit(Actor(account, address), "account.registered", str(account), level=account.level)
    return account


@transaction.atomic
def person_at_window(actor: Actor, reading: CardReading) -> Account:
    """The walk-in applicant whose ID card the window's reader read: their account, or a new
    one without a password (real-name by the card) that they can claim online later, so the
    case made at the window is the one they see online."""
    id_number = validate_id_number(reading.id_number)
    index = Sealer(ID_NUMBER_PURPOSE).index(id_number)
    account = Account.objects.filter(kind=AccountKind.PERSON, id_number_index=index).first()
    if account is None:
        account = Account(kind=AccountKind.PERSON, username=person_username(), name=reading.name)
        _seal_id_number(account, id_number)
        account.set_unusable_password()
        account.save()
        _audit(actor, "account.created_at_window", str(account))
    elif account.name != reading.name:
        raise DomainError.of("name", "证件姓名与该账号的实名信息不一致，请核实")
    if account.level < RealNameLevel.REAL_NAME:
        _raise_level(account, RealNameLevel.REAL_NAME, "id_card_reader")
        _audit(actor, "realname.verified", str(account), level=account.level, method="id_card")
    return account


def read_id_card(presented: str) -> CardReading:
    return card_readers.configured(settings.CARD_READER).read(presented)


@transaction.atomic
def _raise_level(account: Account, level: int, method: str) -> None:
    if account.level < level:
        account.level = level
    account.level_method = method
    account.level_verified_at = timezone.now()
    account.save(update_fields=["level", "level_method", "level_verified_at"])


def verify_real_name(actor: Actor, account: Account) -> Account:
    """L2: the account's name and ID number match a living person of the population registry."""
    id_number = Sealer(ID_NUMBER_PURPOSE).open(account.id_number_sealed)
    check = registries.check_real_name(account.name, id_number)
    if not check.matched:
        _audit(actor, "realname.refused", str(account), reason=check.reason)
        raise DomainError.of("name", check.reason)
    _raise_level(account, RealNameLevel.REAL_NAME, "population_registry")
    _audit(actor, "realname.verified", str(account), level=account.level)
    return account


def verify_strong(actor: Actor, account: Account, *, evidence: str) -> Account:
    """L3: a face check or a digital certificate, through an identity-provider plugin."""
    if account.level < RealNameLevel.REAL_NAME:
        raise Forbidden("请先完成实名认证（L2），再进行强实名认证")
    verifier = settings.STRONG_VERIFIER
    plugin = strong_verifiers.configured(verifier)
    outcome = plugin.verify(account, evidence)
    if not outcome.passed:
        _audit(actor, "realname.strong_refused", str(account), verifier=verifier)
        raise DomainError.of("evidence", outcome.reason)
    _raise_level(account, RealNameLevel.STRONG, verifier)
    _audit(actor, "realname.strong_verified", str(account), verifier=verifier)
    return account


# --- logins and lockout -------------------------------------------------------------------


def _throttle_key(identifier: str) -> str:
    return Sealer(PHONE_PURPOSE).index("login:" + identifier)


def _locked_until(key: str) -> datetime | None:
    throttle = LoginThrottle.objects.filter(key=key).first()
    if throttle and throttle.locked_until and throttle.locked_until > timezone.now():
        return throttle.locked_until
    return None


def _refuse_if_locked(key: str, actor: Actor, target: str) -> None:
    until = _locked_until(key)
    if until:
        _audit(actor, "login.locked_attempt", target)
        local = timezone.localtime(until)
        raise Forbidden(f"登录失败次数过多，账号已锁定至 {local:%H:%M}，请稍后再试")


def _count_failure(key: str, actor: Actor, target: str) -> None:
    """Counted outside the caller's transaction: a refused login must still leave its mark."""
    throttle, _ = LoginThrottle.objects.get_or_create(key=key)
    throttle.failures += 1
    if throttle.failures >= settings.LOGIN_LOCKOUT_FAILURES:
        throttle.locked_until = timezone.now() + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
        throttle.failures = 0
        _audit(actor, "login.locked", target, seconds=settings.LOGIN_LOCKOUT_SECONDS)
    throttle.save()
    _audit(actor, "login.failed", target)


def _clear_failures(key: str) -> None:
    LoginThrottle.objects.filter(key=key).delete()


def _password_login(account: Account | None, password: str, key: str, actor: Actor, target: str):
    _refuse_if_locked(key, actor, target)
    if account is None or not account.is_active or not account.check_password(password):
        _count_failure(key, actor, target)
        raise DomainError.of("password", "账号或密码错误")
    _clear_failures(key)
    return account


def authenticate_person(identifier: str, password: str, *, address: str) -> Account:
    """A person logs in with an ID number and password; wrong or unknown alike count to lockout."""
    actor = Actor(None, address)
    id_number = validate_id_number((identifier or "").strip().upper(), field="id_number")
    index = Sealer(ID_NUMBER_PURPOSE).index(id_number)
    account = Account.objects.filter(kind=AccountKind.PERSON, id_number_index=index).first()
    return _password_login(account, password, _throttle_key(index), actor, mask(id_number))


def authenticate_by_sms(phone: str, code: str, *, address: str) -> Account:
    """A person logs in with the phone bound to the account and a code sent to it."""
    phone = _normalized_phone(phone)
    key = _throttle_key(Sealer(PHONE_PURPOSE).index(phone))
    actor = Actor(None, address)
    target = sms.mask_phone(phone)
    _refuse_if_locked(key, actor, target)
    account = Account.objects.filter(
        kind=AccountKind.PERSON, phone_index=Sealer(PHONE_PURPOSE).index(phone), is_active=True
    ).first()
    if account is None:
        _count_failure(key, actor, target)
        raise DomainError.of("phone", "该手机号未绑定账号，请先注册")
    sms.check_code(phone, CodePurpose.LOGIN, code)
    _clear_failures(key)
    return account


def authenticate_staff(username: str, password: str, *, address: str) -> Account:
    """The first factor of a staff login; the session starts only after the second."""
    actor = Actor(None, address)
    username = (username or "").strip()
    account = Account.objects.filter(kind=AccountKind.STAFF, username=username).first()
    return _password_login(account, password, _throttle_key("staff:" + username), actor, username)


# --- second factor (TOTP) -----------------------------------------------------------------


def _totp(factor: SecondFactor) -> pyotp.TOTP:
    return pyotp.TOTP(Sealer(TOTP_PURPOSE).open(factor.secret_sealed))


def _provisioning_uri(account: Account, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account.username, issuer_name=TOTP_ISSUER)


def start_enrollment(account: Account) -> str:
    """A new, unconfirmed TOTP secret; returns the otpauth:// URI for the authenticator app."""
    secret = pyotp.random_base32()
    SecondFactor.objects.update_or_create(
        account=account,
        defaults={"secret_sealed": Sealer(TOTP_PURPOSE).seal(secret), "confirmed_at": None},
    )
    return _provisioning_uri(account, secret)


def enrollment_uri(account: Account) -> str:
    """The URI of the enrollment under way (so a mistyped code needs no new scan), or a new one."""
    factor = SecondFactor.objects.filter(account=account, confirmed_at__isnull=True).first()
    if factor is None:
        return start_enrollment(account)
    return _provisioning_uri(account, Sealer(TOTP_PURPOSE).open(factor.secret_sealed))


def _accepted_step(factor: SecondFactor, code: str) -> int | None:
    """The time step a code belongs to (±1 step of drift), if it is valid and not replayed."""
    totp = _totp(factor)
    now = timezone.now()
    for drift in (0, -1, 1):
        moment = now + timedelta(seconds=drift * totp.interval)
        step = totp.timecode(moment)
        if step > factor.last_step and secrets.compare_digest(totp.at(moment), code):
            return step
    return None


@transaction.atomic
def _consume_code(account: Account, code: str, actor: Actor) -> bool:
    factor = SecondFactor.objects.select_for_update().filter(account=account).first()
    if factor is None:
        raise DomainError.of("code", "尚未绑定动态口令，请先绑定")
    step = _accepted_step(factor, (code or "").strip())
    if step is None:
        return False
    factor.last_step = step
    if factor.confirmed_at is None:
        factor.confirmed_at = timezone.now()
        _audit(actor, "mfa.enrolled", account.username)
    factor.save()
    return True


def check_second_factor(account: Account, code: str, *, address: str) -> None:
    """Accept each code once; wrong codes count toward the same lockout as passwords."""
    actor = Actor(account, address)
    key = _throttle_key("staff:" + account.username)
    _refuse_if_locked(key, actor, account.username)
    if not _consume_code(account, code, actor):
        _count_failure(key, actor, account.username)
        raise DomainError.of("code", "动态口令错误或已使用")
    _clear_failures(key)


def has_confirmed_second_factor(account: Account) -> bool:
    return SecondFactor.objects.filter(account=account, confirmed_at__isnull=False).exists()


@transaction.atomic
def reset_second_factor(actor: Actor, account: Account) -> None:
    """A security admin lets a staff member enroll again (lost phone); all sessions end."""
    _require_role(actor, Role.SECURITY_ADMIN)
    SecondFactor.objects.filter(account=account).delete()
    end_all_sessions(actor, account, SessionEnd.ADMIN)
    _audit(actor, "mfa.reset", account.username)


# --- sessions -----------------------------------------------------------------------------


@transaction.atomic
def sign_in(request: HttpRequest, account: Account, *, method: str) -> SessionRecord:
    """Start a session (a new session key) and list it; staff reach here only after both factors."""
    login(request, account, backend=BACKEND)
    record = SessionRecord.objects.create(
        sid=secrets.token_urlsafe(32),
        account=account,
        issuer=oauth2_settings.oidc_issuer(request),
        address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
    request.session[SESSION_SID] = record.sid
    request.session[SESSION_SEEN] = timezone.now().timestamp()
    _audit(actor_of(request), "login.succeeded", str(account), method=method, sid=record.sid[:8])
    return record


def current_session(request: HttpRequest) -> SessionRecord | None:
    sid = request.session.get(SESSION_SID)
    if not sid or not request.user.is_authenticated:
        return None
    return SessionRecord.objects.filter(
        sid=sid, account=request.user, ended_at__isnull=True
    ).first()


@transaction.atomic
def end_session(actor: Actor, record: SessionRecord, reason: str) -> None:
    """End a session: its tokens are revoked now, its clients are told through the outbox."""
    ended = SessionRecord.objects.filter(pk=record.pk, ended_at__isnull=True).update(
        ended_at=timezone.now(), end_reason=reason
    )
    if not ended:
        return
    oidc.revoke_session_tokens(record)
    record_event("identity.session_ended", sid=record.sid, account=str(record.account.uid))
    _audit(actor, "session.ended", str(record.account), reason=reason, sid=record.sid[:8])


def end_own_session(actor: Actor, account: Account, sid: str) -> None:
    record = SessionRecord.objects.filter(account=account, sid=sid, ended_at__isnull=True).first()
    if record is None:
        raise NotFound("会话")
    end_session(actor, record, SessionEnd.SIGNED_OUT_ELSEWHERE)


def end_all_sessions(actor: Actor, account: Account, reason: str) -> int:
    records = list(SessionRecord.objects.filter(account=account, ended_at__isnull=True))
    for record in records:
        end_session(actor, record, reason)
    return len(records)


# --- staff and roles ----------------------------------------------------------------------


def _require_role(actor: Actor, role: str) -> None:
    if actor.account is None or not selectors.has_role(actor.account, role):
        raise Forbidden(f"需要“{Role(role).label}”角色")


@transaction.atomic
def create_staff(actor: Actor, *, username: str, name: str, password: str) -> Account:
    _require_role(actor, Role.SECURITY_ADMIN)
    username = (username or "").strip()
    if not username or not username.replace("-", "").replace("_", "").isalnum():
        raise DomainError.of("username", "登录名只能包含字母、数字、- 和 _")
    if Account.objects.filter(username=username).exists():
        raise Conflict("username", "登录名已被使用")
    account = Account(kind=AccountKind.STAFF, username=username, name=name.strip(), is_staff=True)
    _check_password(password, account)
    account.set_password(password)
    account.password_changed_at = timezone.now()
    account.save()
    _audit(actor, "staff.created", username)
    return account


def _held_separated_roles(account: Account) -> set[str]:
    return set(
        RoleAssignment.objects.filter(
            account=account, role__in=SEPARATED_ROLES, revoked_at__isnull=True
        ).values_list("role", flat=True)
    )


@transaction.atomic
def assign_role(
    actor: Actor,
    account: Account,
    role: str,
    *,
    region: Region,
    agency: Organization | None = None,
) -> RoleAssignment:
    """Grant a scoped role. 三员分立: system, security and audit admin never share an account."""
    if actor.account is not None:  # the system itself bootstraps the first security admin
        _require_role(actor, Role.SECURITY_ADMIN)
    if role not in Role.values:
        raise DomainError.of("role", "未知角色")
    account = Account.objects.select_for_update().get(pk=account.pk)
    if not account.is_staff_member:
        raise DomainError.of("account", "只有工作人员账号可以授予角色")
    if actor.account is not None and actor.account.pk == account.pk:
        raise Forbidden("不能给自己授予角色")
    if agency is not None and agency.region_id != region.pk:
        raise DomainError.of("agency", "机构不在所选行政区划内")
    clash = _held_separated_roles(account) - {role}
    if role in SEPARATED_ROLES and clash:
        held = "、".join(Role(other).label for other in sorted(clash))
        raise Conflict("role", f"三员分立：该账号已是{held}，不能再授予{Role(role).label}")
    assignment = RoleAssignment.objects.create(
        account=account, role=role, region=region, agency=agency, granted_by=actor.account
    )
    _audit(actor, "role.granted", account.username, role=role, region=region.code)
    return assignment


@transaction.atomic
def revoke_role(actor: Actor, assignment: RoleAssignment) -> None:
    _require_role(actor, Role.SECURITY_ADMIN)
    if assignment.revoked_at is None:
        assignment.revoked_at = timezone.now()
        assignment.save(update_fields=["revoked_at"])
        _audit(actor, "role.revoked", assignment.account.username, role=assignment.role)


# --- organizations and their agents -------------------------------------------------------


def _in_force(member: OrganizationMember, now: datetime) -> bool:
    return member.revoked_at is None and (member.valid_until is None or member.valid_until > now)


def claim_organization(actor: Actor, person: Account, uscc: str) -> OrganizationAccount:
    """The legal representative (per the legal-person registry) opens the organization's account."""
    uscc = validate_uscc((uscc or "").strip().upper())
    record = registries.legal_person_by_uscc(uscc)
    if record is None:
        raise DomainError.of("uscc", "法人库中没有该统一社会信用代码")
    if record.status != OrganizationStatus.ACTIVE:
        raise DomainError.of("uscc", "该主体已注销或吊销")
    if person.level < RealNameLevel.REAL_NAME:
        raise Forbidden("请先完成实名认证（L2）")
    if record.representative_id_index != person.id_number_index:
        _audit(actor, "organization.claim_refused", uscc)
        raise Forbidden("您不是该主体在法人库中登记的法定代表人")
    return _open_organization(actor, person, uscc, record.name)


@transaction.atomic
def _open_organization(actor: Actor, person: Account, uscc: str, name: str) -> OrganizationAccount:
    organization, _ = OrganizationAccount.objects.get_or_create(uscc=uscc, defaults={"name": name})
    OrganizationMember.objects.filter(
        organization=organization, role=MemberRole.LEGAL_REPRESENTATIVE, revoked_at__isnull=True
    ).exclude(account=person).update(revoked_at=timezone.now())
    OrganizationMember.objects.get_or_create(
        organization=organization,
        account=person,
        revoked_at=None,
        defaults={"role": MemberRole.LEGAL_REPRESENTATIVE, "granted_by": person},
    )
    _audit(actor, "organization.claimed", uscc)
    return organization


def _require_representative(actor: Actor, organization: OrganizationAccount) -> None:
    now = timezone.now()
    is_representative = any(
        _in_force(member, now)
        for member in organization.members.filter(
            account=actor.account, role=MemberRole.LEGAL_REPRESENTATIVE
        )
    )
    if not is_representative:
        raise Forbidden("只有法定代表人可以管理经办人")


def _person_by_id_number(id_number: str, field: str) -> Account:
    index = Sealer(ID_NUMBER_PURPOSE).index(validate_id_number(id_number, field=field))
    person = Account.objects.filter(kind=AccountKind.PERSON, id_number_index=index).first()
    if person is None:
        raise DomainError.of(field, "该公民身份号码尚未注册一网账号")
    return person


@transaction.atomic
def add_agent(
    actor: Actor,
    organization: OrganizationAccount,
    *,
    id_number: str,
    name: str,
    valid_until: datetime | None,
) -> OrganizationMember:
    _require_representative(actor, organization)
    agent = _person_by_id_number(id_number, "id_number")
    if agent.name != (name or "").strip():
        raise DomainError.of("name", "姓名与该证件号码的账号不一致")
    if agent.level < RealNameLevel.REAL_NAME:
        raise DomainError.of("id_number", "经办人须先完成实名认证（L2）")
    if valid_until is not None and valid_until <= timezone.now():
        raise DomainError.of("valid_until", "失效时间须晚于现在")
    if organization.members.filter(account=agent, revoked_at__isnull=True).exists():
        raise Conflict("id_number", "该人员已是本单位经办人")
    member = OrganizationMember.objects.create(
        organization=organization,
        account=agent,
        role=MemberRole.AGENT,
        granted_by=actor.account,
        valid_until=valid_until,
    )
    _audit(actor, "organization.agent_added", organization.uscc, agent=str(agent))
    return member


@transaction.atomic
def revoke_agent(actor: Actor, member: OrganizationMember) -> None:
    _require_representative(actor, member.organization)
    if member.role != MemberRole.AGENT:
        raise Forbidden("法定代表人随法人库变更，不能在此撤销")
    if member.revoked_at is None:
        member.revoked_at = timezone.now()
        member.save(update_fields=["revoked_at"])
        _audit(
            actor, "organization.agent_revoked", member.organization.uscc, agent=str(member.account)
        )


# --- delegation (委托代办) ----------------------------------------------------------------


@transaction.atomic
def grant_delegation(
    actor: Actor,
    *,
    grantee_id_number: str,
    grantee_name: str,
    item_codes: list[str],
    valid_from: datetime,
    valid_until: datetime,
) -> Delegation:
    grantor = actor.account
    grantee = _person_by_id_number(grantee_id_number, "grantee_id_number")
    if grantee.name != (grantee_name or "").strip():
        raise DomainError.of("grantee_name", "受托人姓名与证件号码不一致")
    if grantee.pk == grantor.pk:
        raise DomainError.of("grantee_id_number", "不能委托给自己")
    if grantee.level < RealNameLevel.REAL_NAME:
        raise DomainError.of("grantee_id_number", "受托人须先完成实名认证（L2）")
    if valid_until <= valid_from:
        raise DomainError.of("valid_until", "失效时间须晚于生效时间")
    if valid_until <= timezone.now():
        raise DomainError.of("valid_until", "失效时间须晚于现在")
    items = list(CatalogItem.objects.filter(basic_code__in=set(item_codes)))
    unknown = set(item_codes) - {item.basic_code for item in items}
    if not items or unknown:
        raise DomainError.of(
            "items", f"请选择有效的委托事项{'：' + '、'.join(unknown) if unknown else ''}"
        )
    delegation = Delegation.objects.create(
        grantor=grantor, grantee=grantee, valid_from=valid_from, valid_until=valid_until
    )
    delegation.items.set(items)
    _audit(
        actor,
        "delegation.granted",
        str(grantor),
        grantee=str(grantee),
        items=sorted(item.basic_code for item in items),
        until=valid_until.isoformat(),
    )
    return delegation


@transaction.atomic
def revoke_delegation(actor: Actor, delegation: Delegation) -> None:
    if actor.account is None or delegation.grantor_id != actor.account.pk:
        raise Forbidden("只有委托人可以撤销委托")
    if delegation.revoked_at is None:
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
        _audit(
            actor, "delegation.revoked", str(delegation.grantor), grantee=str(delegation.grantee)
        )


# --- single sign-on clients ---------------------------------------------------------------


@dataclass(frozen=True)
class ClientRegistration:
    application: object
    client_secret: str  # shown once; only its hash is stored


def _uris(values: list[str], field: str) -> str:
    for value in values:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise DomainError.of(field, f"地址须使用 HTTPS：{value}")
    return " ".join(values)


@transaction.atomic
def register_client(
    actor: Actor,
    *,
    name: str,
    redirect_uris: list[str],
    post_logout_redirect_uris: list[str] = (),
    backchannel_logout_uri: str = "",
    agency: Organization | None = None,
    may_read_id_number: bool = False,
    trusted: bool = True,
) -> ClientRegistration:
    """Register a department system or app as an OpenID Connect client (code flow + PKCE).

    A trusted client (a government system) skips the consent page; others ask the person.
    """
    if actor.account is not None:
        _require_role(actor, Role.SYSTEM_ADMIN)
    if not redirect_uris:
        raise DomainError.of("redirect_uris", "请至少填写一个回调地址")
    Application = get_application_model()
    secret = secrets.token_urlsafe(32)
    application = Application.objects.create(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=_uris(redirect_uris, "redirect_uris"),
        post_logout_redirect_uris=_uris(
            list(post_logout_redirect_uris), "post_logout_redirect_uris"
        ),
        algorithm=Application.RS256_ALGORITHM,
        skip_authorization=trusted,
        client_secret=secret,
    )
    if backchannel_logout_uri:
        _uris([backchannel_logout_uri], "backchannel_logout_uri")
    RelyingParty.objects.create(
        application=application,
        agency=agency,
        may_read_id_number=may_read_id_number,
        backchannel_logout_uri=backchannel_logout_uri,
    )
    _audit(actor, "client.registered", name, client_id=application.client_id)
    return ClientRegistration(application, secret)
