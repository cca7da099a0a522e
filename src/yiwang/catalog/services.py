"""Writes of the catalog: basic items, implementations and the lifecycle of their versions.

"同一事项、同一标准、同一编码": a catalog item's four elements (名称、编码、依据、类型) are kept
once, at province level; an implementation snapshots them in each version. A change to the
catalog item is recorded as a field-level diff and becomes a pending change on every
implementation, adopted when the implementation next publishes. A version moves draft →
submitted → published → superseded/revoked (workflow.TRANSITIONS); once submitted its
content is frozen, and cases pin to the version they were filed under. Submitting runs the
automatic checks; an error among them refuses the submission with every fault named at once.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone

from yiwang.catalog import search
from yiwang.catalog.checks import ERROR, catalog_item_problems, check_version
from yiwang.catalog.constants import (
    Audience,
    ItemType,
    PendingChangeStatus,
    ScopeRole,
    VersionStatus,
)
from yiwang.catalog.diff import diff
from yiwang.catalog.guide import parse_guide, parse_legal_basis
from yiwang.catalog.models import (
    CatalogItem,
    CatalogItemChange,
    PendingChange,
    ServiceItem,
    ServiceItemVersion,
    Synonym,
)
from yiwang.catalog.permissions import require_basic_catalog_admin, require_scope
from yiwang.catalog.plugins.codes import basic_code_problems, code_schemes
from yiwang.catalog.workflow import check_transition
from yiwang.core.errors import DomainError, FieldError
from yiwang.core.events import record_event
from yiwang.regions.constants import Level
from yiwang.regions.models import Organization

# What implementations must follow: a change to these becomes a pending change everywhere.
DEFINING_FIELDS = (
    "name",
    "item_type",
    "legal_basis",
    "levels",
    "sector",
    "audience",
    "themes",
    "life_events",
    "keywords",
)
# Popularity only orders search results; it changes without a revision.
CATALOG_FIELDS = (*DEFINING_FIELDS, "popularity")


def _clean_catalog_data(data: dict, *, basic_code: str) -> dict:
    errors: list[FieldError] = []
    cleaned = {key: data[key] for key in CATALOG_FIELDS if key in data}
    if not str(cleaned.get("name", "")).strip():
        errors.append(FieldError("name", "事项名称不能为空"))
    if cleaned.get("item_type") not in ItemType.values:
        errors.append(FieldError("item_type", "事项类型应为 XK/QR/JF/CJ/JL/QT/GG 之一"))
    elif basic_code[:2] != cleaned["item_type"]:
        errors.append(FieldError("item_type", f"事项类型与基本编码 {basic_code} 的类型字母不一致"))
    if not cleaned.get("legal_basis"):
        errors.append(FieldError("legal_basis", "设定依据不能为空"))
    else:
        cleaned["legal_basis"] = [b.model_dump() for b in parse_legal_basis(cleaned["legal_basis"])]
    levels = cleaned.get("levels") or []
    if not levels or any(level not in Level.values for level in levels):
        errors.append(FieldError("levels", "可实施层级应为 1（省）至 5（村）中的一项或多项"))
    audience = cleaned.get("audience") or []
    if not audience or any(a not in Audience.values for a in audience):
        errors.append(
            FieldError("audience", "服务对象应为 person（自然人）或 organization（法人）")
        )
    if not str(cleaned.get("sector", "")).strip():
        errors.append(FieldError("sector", "主管领域不能为空"))
    if errors:
        raise DomainError(errors)
    cleaned["levels"] = sorted(set(levels))
    return cleaned


def _main_item_for(basic_code: str, main_code: str | None) -> CatalogItem | None:
    if basic_code.endswith("000"):
        if main_code:
            raise DomainError.of("main_code", "子项编号为000的是主项，不能再有主项")
        return None
    expected = basic_code[:7] + "000"
    if main_code and main_code != expected:
        raise DomainError.of("main_code", f"子项 {basic_code} 的主项编码应为 {expected}")
    main = CatalogItem.objects.filter(basic_code=expected).first()
    if main is None:
        raise DomainError.of("main_code", f"主项 {expected} 不存在，请先录入主项")
    return main


@transaction.atomic
def create_catalog_item(
    *, actor, basic_code: str, main_code: str | None = None, **data
) -> CatalogItem:
    """Add an item to the basic catalog (province-level catalog admins only)."""
    require_basic_catalog_admin(actor)
    basic_code = (basic_code or "").strip().upper()
    if basic_code_problems(basic_code):
        raise DomainError([FieldError("basic_code", p) for p in basic_code_problems(basic_code)])
    item = CatalogItem(basic_code=basic_code, **_clean_catalog_data(data, basic_code=basic_code))
    problems = catalog_item_problems(item)
    if problems:
        raise DomainError([FieldError("basic_code", p) for p in problems])
    if CatalogItem.objects.filter(basic_code=basic_code).exists():
        raise DomainError.of("basic_code", f"基本编码 {basic_code} 已存在")
    item.main_item = _main_item_for(basic_code, main_code)
    if item.main_item and (item.main_item.item_type, item.main_item.sector) != (
        item.item_type,
        item.sector,
    ):
        raise DomainError.of("main_code", "子项的事项类型和主管领域须与主项一致")
    item.save()
    search.index_catalog_items([item])
    record_event("catalog.item_created", catalog_item_id=item.pk, basic_code=basic_code)
    return item


@transaction.atomic
def change_catalog_item(*, actor, item: CatalogItem, **data) -> CatalogItemChange | None:
    """Edit a catalog item; the diff becomes a pending change on every implementation."""
    require_basic_catalog_admin(actor)
    item = CatalogItem.objects.select_for_update().get(pk=item.pk)
    before = {key: getattr(item, key) for key in CATALOG_FIELDS}
    cleaned = _clean_catalog_data({**before, **data}, basic_code=item.basic_code)
    changes = diff(
        {key: before[key] for key in DEFINING_FIELDS},
        {key: cleaned[key] for key in DEFINING_FIELDS},
    )
    if cleaned["popularity"] != before["popularity"]:
        item.popularity = cleaned["popularity"]
        item.save(update_fields=["popularity"])
    if not changes:
        return None
    for key, value in cleaned.items():
        setattr(item, key, value)
    item.revision += 1
    item.save()
    change = CatalogItemChange.objects.create(
        catalog_item=item,
        revision=item.revision,
        diff=[c.as_dict() for c in changes],
        changed_by=_user_or_none(actor),
    )
    PendingChange.objects.bulk_create(
        PendingChange(service_item_id=pk, change=change)
        for pk in item.implementations.values_list("pk", flat=True)
    )
    search.index_catalog_items([item])
    record_event("catalog.item_changed", catalog_item_id=item.pk, revision=item.revision)
    return change


def _user_or_none(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


@transaction.atomic
def create_service_item(
    *, actor, catalog_item: CatalogItem, agency: Organization, guide: dict, change_note: str = ""
) -> ServiceItemVersion:
    """Implement a catalog item at an agency: the implementation code and a first draft."""
    require_scope(actor, region=agency.region, agency=agency, role=ScopeRole.EDITOR)
    if agency.region.level not in catalog_item.levels:
        allowed = "、".join(Level(level).label for level in catalog_item.levels)
        raise DomainError.of("agency", f"“{catalog_item.name}”只能由{allowed}机构实施")
    if ServiceItem.objects.filter(catalog_item=catalog_item, agency=agency).exists():
        raise DomainError.of("agency", f"{agency.name}已实施“{catalog_item.name}”")
    parsed = parse_guide(guide)
    code = code_schemes["yiwang"].make(
        uscc=agency.uscc, division_code=agency.region.code, basic_code=catalog_item.basic_code
    )
    item = ServiceItem.objects.create(
        catalog_item=catalog_item, agency=agency, region=agency.region, implementation_code=code
    )
    version = ServiceItemVersion.objects.create(
        service_item=item,
        number=1,
        elements=catalog_item.elements(),
        guide=parsed.model_dump(mode="json"),
        change_note=change_note,
        created_by=_user_or_none(actor),
    )
    record_event("catalog.service_item_created", service_item_id=item.pk, implementation_code=code)
    return version


def _locked_for(actor, version: ServiceItemVersion, role: str) -> ServiceItemVersion:
    """The version, locked, once the actor is shown to hold `role` over its implementation."""
    version = _locked(version)
    item = version.service_item
    require_scope(actor, region=item.region, agency=item.agency, role=role)
    return version


def _locked(version: ServiceItemVersion) -> ServiceItemVersion:
    return (
        ServiceItemVersion.objects.select_for_update()
        .select_related(
            "service_item__catalog_item", "service_item__agency", "service_item__region"
        )
        .get(pk=version.pk)
    )


@transaction.atomic
def edit_draft(
    *, actor, version: ServiceItemVersion, guide: dict, change_note: str = ""
) -> ServiceItemVersion:
    version = _locked_for(actor, version, ScopeRole.EDITOR)
    if version.status != VersionStatus.DRAFT:
        raise DomainError.of("status", "只有草稿可以修改，已提交或已发布的版本不可更改")
    version.guide = parse_guide(guide).model_dump(mode="json")
    version.change_note = change_note or version.change_note
    version.save()
    return version


@transaction.atomic
def start_revision(*, actor, service_item: ServiceItem) -> ServiceItemVersion:
    """Open a new draft from the latest version, taking the catalog item's current elements."""
    service_item = (
        ServiceItem.objects.select_for_update()
        .select_related("catalog_item", "region", "agency")
        .get(pk=service_item.pk)
    )
    require_scope(
        actor, region=service_item.region, agency=service_item.agency, role=ScopeRole.EDITOR
    )
    latest = service_item.versions.order_by("-number").first()
    if latest.status in (VersionStatus.DRAFT, VersionStatus.SUBMITTED):
        raise DomainError.of("status", f"已有未发布的第{latest.number}版，请在其上修改")
    return ServiceItemVersion.objects.create(
        service_item=service_item,
        number=latest.number + 1,
        elements=service_item.catalog_item.elements(),
        guide=latest.guide,
        created_by=_user_or_none(actor),
    )


def _move(version: ServiceItemVersion, target: str, **fields) -> None:
    check_transition(version.status, target)
    version.status = target
    for key, value in fields.items():
        setattr(version, key, value)
    version.save(update_fields=["status", *fields])


@transaction.atomic
def submit_version(*, actor, version: ServiceItemVersion) -> ServiceItemVersion:
    """Submit a draft for review. The automatic checks run first; errors refuse it."""
    version = _locked_for(actor, version, ScopeRole.EDITOR)
    check_transition(version.status, VersionStatus.SUBMITTED)
    findings = check_version(version)
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        raise DomainError([FieldError(f.field, f.message) for f in errors], title="自动检查未通过")
    version.check_report = [f.as_dict() for f in findings]
    version.status = VersionStatus.SUBMITTED
    version.submitted_at = timezone.now()
    # The content is frozen from here on; the check report belongs to the submission.
    ServiceItemVersion.objects.filter(pk=version.pk).update(
        status=version.status, submitted_at=version.submitted_at, check_report=version.check_report
    )
    record_event("catalog.version_submitted", version_id=version.pk)
    return version


@transaction.atomic
def return_version(*, actor, version: ServiceItemVersion, reason: str) -> ServiceItemVersion:
    version = _locked_for(actor, version, ScopeRole.REVIEWER)
    if not reason.strip():
        raise DomainError.of("reason", "退回须写明原因")
    _move(
        version, VersionStatus.DRAFT, return_reason=reason.strip(), reviewed_by=_user_or_none(actor)
    )
    record_event("catalog.version_returned", version_id=version.pk)
    return version


@transaction.atomic
def publish_version(*, actor, version: ServiceItemVersion) -> ServiceItemVersion:
    """Publish a submitted version; the previous publication is superseded, never changed."""
    version = _locked(version)
    item = version.service_item
    require_scope(actor, region=item.region, agency=item.agency, role=ScopeRole.REVIEWER)
    check_transition(version.status, VersionStatus.PUBLISHED)
    now = timezone.now()
    previous = item.versions.select_for_update().filter(status=VersionStatus.PUBLISHED).first()
    if previous is not None:
        _move(previous, VersionStatus.SUPERSEDED, superseded_at=now)
    _move(version, VersionStatus.PUBLISHED, published_at=now, reviewed_by=_user_or_none(actor))
    PendingChange.objects.filter(
        service_item=item,
        status=PendingChangeStatus.OPEN,
        change__revision__lte=version.elements["revision"],
    ).update(status=PendingChangeStatus.ADOPTED, adopted_in=version)
    search.index_service_item(item)
    record_event(
        "catalog.version_published",
        version_id=version.pk,
        service_item_id=item.pk,
        implementation_code=item.implementation_code,
        number=version.number,
    )
    return version


@transaction.atomic
def revoke_service_item(*, actor, service_item: ServiceItem, reason: str) -> ServiceItemVersion:
    """Withdraw an item from service. Cases filed under it keep their pinned version."""
    service_item = (
        ServiceItem.objects.select_for_update()
        .select_related("region", "agency")
        .get(pk=service_item.pk)
    )
    require_scope(
        actor, region=service_item.region, agency=service_item.agency, role=ScopeRole.REVIEWER
    )
    if not reason.strip():
        raise DomainError.of("reason", "撤销须写明原因")
    published = (
        service_item.versions.select_for_update().filter(status=VersionStatus.PUBLISHED).first()
    )
    if published is None:
        raise DomainError.of("status", "该事项没有已发布的版本，无需撤销")
    _move(published, VersionStatus.REVOKED, revoked_at=timezone.now(), revoke_reason=reason.strip())
    search.index_service_item(service_item)
    record_event(
        "catalog.service_item_revoked", service_item_id=service_item.pk, version_id=published.pk
    )
    return published


@transaction.atomic
def save_synonym(*, actor, term: str, targets: list[str]) -> Synonym:
    """Add or change a colloquial term; the items it points at are reindexed."""
    require_basic_catalog_admin(actor)
    term = term.strip()
    targets = [t.strip() for t in targets if t.strip()]
    if not term or len(term) > 50:
        raise DomainError.of("term", "口语词不能为空且不超过50字")
    if not targets:
        raise DomainError.of("targets", "至少填写一个对应的规范词")
    previous = Synonym.objects.filter(term=term).first()
    old_targets = previous.targets if previous else []
    synonym, _ = Synonym.objects.update_or_create(term=term, defaults={"targets": targets})
    search.index_catalog_items(_items_named(old_targets + targets))
    return synonym


def _items_named(words: list[str]) -> list[CatalogItem]:
    return [
        item
        for item in CatalogItem.objects.all()
        if any(w in item.name or any(w in k for k in item.keywords) for w in words)
    ]


CATALOG_ADMIN_GROUP = "目录管理员"
CATALOG_ADMIN_PERMISSIONS = {
    "catalogitem": ("view", "change", "add"),
    "serviceitem": ("view", "change"),
    "serviceitemversion": ("view", "change"),
    "synonym": ("view", "change", "add"),
    "catalogitemchange": ("view",),
    "pendingchange": ("view",),
}


@transaction.atomic
def ensure_catalog_admin_group() -> Group:
    """The back-office group whose members see the catalog screens; what they may change is
    still decided by their CatalogScope in every service."""
    group, _ = Group.objects.get_or_create(name=CATALOG_ADMIN_GROUP)
    codenames = [
        f"{action}_{model}"
        for model, actions in CATALOG_ADMIN_PERMISSIONS.items()
        for action in actions
    ]
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="catalog", codename__in=codenames)
    )
    return group
