"""The e-license library's tables: the license catalog (types and the materials they satisfy),
seals and their use log, licenses and the serial counters behind their identifiers.

A license row is what was signed plus what happened to it since (its status). The holder's
identifier is kept sealed (SM4-GCM) with an HMAC-SM3 blind index and a masked form, like every
identifier on the platform; a seal's private key is kept sealed and never shown.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from yiwang.catalog.models import CatalogItem
from yiwang.core.errors import DomainError
from yiwang.core.models import StoredFile
from yiwang.licenses import identifiers, license_data
from yiwang.licenses.constants import (
    HOLDER_ID_TYPE,
    DocumentKind,
    GranteeKind,
    HolderKind,
    ImportStatus,
    LicenseSource,
    LicenseStatus,
    LifecycleAction,
    SealStatus,
    UseKind,
    ValidityKind,
)
from yiwang.regions.models import Organization


class LicenseType(models.Model):
    """A kind of license (证照类型): its code, who holds it, how long it lasts, its fields."""

    code = models.CharField(
        "证照类型代码",
        max_length=identifiers.TYPE_CODE_LENGTH,
        unique=True,
        help_text="21位：定义机构的统一社会信用代码（18位）加3位顺序号；签发后不可更改",
    )
    name = models.CharField("证照名称", max_length=100)
    issuing_sector = models.CharField(
        "发证机关所属领域",
        max_length=40,
        blank=True,
        help_text="与机构的“所属领域”一致，如 市场监管；留空表示任何机构均可签发",
    )
    holder_kind = models.CharField("持证主体类别", max_length=12, choices=HolderKind.choices)
    validity_kind = models.CharField(
        "有效期规则", max_length=10, choices=ValidityKind.choices, default=ValidityKind.YEARS
    )
    validity_years = models.PositiveSmallIntegerField("有效期（年）", null=True, blank=True)
    data_schema = models.JSONField(
        "证照数据项（JSON Schema）", help_text="对象类型，每个字段须有中文标题（title）"
    )
    display_hints = models.JSONField(
        "版式提示",
        default=dict,
        blank=True,
        help_text='如 {"title": "食品经营许可证", "order": ["字段名", …]}',
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照类型"
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_kind=ValidityKind.PERMANENT, validity_years__isnull=True)
                | Q(validity_kind=ValidityKind.YEARS, validity_years__gte=1),
                name="license_type_validity_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        try:
            self.code = identifiers.validate_type_code(self.code)
        except DomainError as error:
            errors["code"] = [error.errors[0].message]
        if self.validity_kind == ValidityKind.YEARS and not self.validity_years:
            errors["validity_years"] = ["按年计算的有效期须填写年数"]
        if self.validity_kind == ValidityKind.PERMANENT and self.validity_years:
            errors["validity_years"] = ["长期有效的证照不填年数"]
        if problems := license_data.schema_problems(self.data_schema):
            errors["data_schema"] = problems
        elif problems := license_data.hints_problems(self.display_hints, self.data_schema):
            errors["display_hints"] = problems
        if errors:
            raise ValidationError(errors)

    def valid_until_for(self, valid_from: date) -> date | None:
        """The last valid day: the day before the anniversary (5 years from 2024-05-10 run to
        2029-05-09), or None for a permanent license. An anniversary the calendar lacks
        (29 February) falls on the month's last day, as 民法典 Art. 202 counts periods."""
        if self.validity_kind == ValidityKind.PERMANENT:
            return None
        year = valid_from.year + self.validity_years
        day = min(valid_from.day, calendar.monthrange(year, valid_from.month)[1])
        return valid_from.replace(year=year, day=day) - timedelta(days=1)


class LicenseMaterial(models.Model):
    """A material of a catalog item that a license type satisfies (免提交). Mapped on the basic
    catalog, so every implementation of the item, in every region, reuses the license."""

    license_type = models.ForeignKey(
        LicenseType, verbose_name="证照类型", on_delete=models.CASCADE, related_name="materials"
    )
    catalog_item = models.ForeignKey(
        CatalogItem,
        verbose_name="基本目录事项",
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,  # the unique constraint below leads with it
    )
    material_name = models.CharField(
        "材料名称", max_length=200, help_text="与办事指南中的材料名称一致，如 营业执照"
    )

    class Meta:
        verbose_name = verbose_name_plural = "证照可替代的申请材料"
        ordering = ["catalog_item", "material_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalog_item", "material_name", "license_type"],
                name="license_material_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.material_name} ← {self.license_type.name}"


class Seal(models.Model):
    """An agency's e-seal (电子印章): an SM2 key pair, a specimen image, a validity period.

    The private key is sealed under the seal's key id; the key id is the SM3 digest of the
    public key, so it names the key everywhere (signatures, the trust list, other platforms).
    Nothing but revocation changes a seal once made.
    """

    agency = models.ForeignKey(
        Organization, verbose_name="用章机构", on_delete=models.PROTECT, related_name="seals"
    )
    name = models.CharField("印章名称", max_length=50, help_text="如 行政审批专用章")
    key_id = models.CharField("印章标识", max_length=64, unique=True, help_text="公钥的 SM3 摘要")
    public_key_pem = models.TextField("公钥（PEM）")
    private_key_sealed = models.TextField("私钥（密文）")
    image = models.ForeignKey(
        StoredFile, verbose_name="印模", on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateTimeField("启用时间")
    valid_until = models.DateTimeField("有效期至")
    status = models.CharField(
        "状态", max_length=10, choices=SealStatus.choices, default=SealStatus.ACTIVE
    )
    created_at = models.DateTimeField("制章时间", auto_now_add=True)
    revoked_at = models.DateTimeField("注销时间", null=True, blank=True)
    revoke_reason = models.CharField("注销原因", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "电子印章"
        ordering = ["agency", "name", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "name"],
                condition=Q(status=SealStatus.ACTIVE),
                name="seal_one_active_per_name",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="seal_validity_period"
            ),
            models.CheckConstraint(
                condition=Q(status=SealStatus.ACTIVE, revoked_at__isnull=True)
                | Q(status=SealStatus.REVOKED, revoked_at__isnull=False),
                name="seal_revocation_dated",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.name}{self.name}"


class SealUse(models.Model):
    """One use of a seal (用章记录): who signed which document, its SM3 digest, when.
    Append-only, written in the transaction that signs."""

    seal = models.ForeignKey(
        Seal,
        verbose_name="印章",
        on_delete=models.PROTECT,
        related_name="uses",
        db_index=False,  # the (seal, used_at) index leads with it
    )
    actor = models.CharField("用章人", max_length=150)
    document_kind = models.CharField("文件类别", max_length=20, choices=DocumentKind.choices)
    document_reference = models.CharField("文件标识", max_length=100)
    digest = models.CharField("签署内容摘要（SM3）", max_length=64)
    used_at = models.DateTimeField("用章时间")

    class Meta:
        verbose_name = verbose_name_plural = "用章记录"
        ordering = ["-used_at", "-id"]
        indexes = [
            models.Index(fields=["seal", "used_at"], name="seal_use_seal_idx"),
            models.Index(fields=["document_kind", "document_reference"], name="seal_use_doc_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.seal_id} · {self.document_reference} · {self.used_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("用章记录只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("用章记录只能追加，不能删除")


class License(models.Model):
    """An issued e-license: the signed fields, the signature, and its status since.

    Looked up by identifier (unique index) for verification and by the holder's blind index for
    the wallet; the signed payload is rebuilt from these columns (signing.license_payload).
    """

    identifier = models.CharField("证照标识", max_length=identifiers.MAX_LENGTH)
    license_type = models.ForeignKey(
        LicenseType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="licenses"
    )
    holder_kind = models.CharField("持证主体类别", max_length=12, choices=HolderKind.choices)
    holder_id_sealed = models.TextField("持证主体证件号码（密文）")
    holder_id_index = models.CharField("持证主体证件号码索引", max_length=64)
    holder_id_masked = models.CharField("持证主体证件号码（脱敏）", max_length=18)
    holder_name = models.CharField("持证主体名称", max_length=200)
    issuer = models.ForeignKey(
        Organization,
        verbose_name="发证机关",
        on_delete=models.PROTECT,
        related_name="licenses_issued",
        db_index=False,  # the (issuer, issued_on) index leads with it
    )
    data = models.JSONField("证照数据")
    issued_on = models.DateField("发证日期")
    valid_from = models.DateField("有效期起始日期")
    valid_until = models.DateField("有效期截止日期", null=True, blank=True, help_text="空为长期")
    version = models.PositiveSmallIntegerField("版本号", default=1)
    status = models.CharField(
        "状态", max_length=10, choices=LicenseStatus.choices, default=LicenseStatus.VALID
    )
    status_changed_at = models.DateTimeField("状态变更时间", null=True, blank=True)
    status_reason = models.CharField("状态变更原因", max_length=500, blank=True)
    seal = models.ForeignKey(
        Seal,
        verbose_name="签章印章",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # what a seal signed is read from SealUse, which indexes it
    )
    signed_at = models.DateTimeField("签章时间")
    digest = models.CharField("签署内容摘要（SM3）", max_length=64)
    signature = models.TextField("SM2 签名（Base64）")
    source = models.CharField(
        "来源", max_length=10, choices=LicenseSource.choices, default=LicenseSource.ISSUED
    )
    case_number = models.CharField(  # noqa: DJ001 (stock licenses: many NULLs, unique others)
        "办件编号",
        max_length=40,
        null=True,
        blank=True,
        help_text="签发本证照的办件；存量证照为空",
    )
    previous = models.OneToOneField(
        "self",
        verbose_name="前一版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="next_version",
        help_text="变更或延续时被替代的证照",
    )
    reminded_on = models.DateField("到期提醒日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "电子证照"
        ordering = ["-issued_on", "-id"]
        indexes = [
            # 我的证照 and "does the applicant hold a valid license of this type?" (免提交).
            models.Index(fields=["holder_id_index", "license_type"], name="license_holder_idx"),
            models.Index(fields=["issuer", "-issued_on"], name="license_issuer_idx"),
            # 主动服务: valid licenses running out, not yet reminded.
            models.Index(
                fields=["valid_until"],
                name="license_expiring_idx",
                condition=Q(status=LicenseStatus.VALID, reminded_on__isnull=True),
            ),
        ]
        constraints = [
            # A constraint rather than unique=True, which on PostgreSQL adds a second index
            # (varchar_pattern_ops, for LIKE) that no query uses but every lookup may pick,
            # doubling the index pages verification keeps in memory.
            models.UniqueConstraint(fields=["identifier"], name="license_identifier_unique"),
            # A completed case issues its license once, however often the event comes; a
            # constraint for the same reason (no LIKE index to write at every issuance).
            models.UniqueConstraint(fields=["case_number"], name="license_case_number_unique"),
            models.CheckConstraint(
                condition=Q(version__gte=1, version__lte=identifiers.MAX_VERSION),
                name="license_version_range",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="license_validity_period",
            ),
            models.CheckConstraint(
                condition=Q(status__in=LicenseStatus.values), name="license_status_known"
            ),
        ]

    def __str__(self) -> str:
        return self.identifier

    @property
    def holder_id_type(self) -> str:
        return HOLDER_ID_TYPE[self.holder_kind]


class SerialCounter(models.Model):
    """The last serial counter given out per license type, issuer and year."""

    type_code = models.CharField(max_length=identifiers.TYPE_CODE_LENGTH)
    issuer_uscc = models.CharField(max_length=18)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "证照流水号计数"
        constraints = [
            models.UniqueConstraint(
                fields=["type_code", "issuer_uscc", "year"], name="license_serial_counter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.type_code}.{self.issuer_uscc} {self.year} #{self.last}"


class IssuanceRule(models.Model):
    """Which license a completed case of a catalog item issues (电子证照与纸质证照同步签发), with
    which seal of the case's agency, and where each license field takes its value from."""

    catalog_item = models.OneToOneField(
        CatalogItem,
        verbose_name="基本目录事项",
        on_delete=models.CASCADE,
        related_name="issuance_rule",
    )
    license_type = models.ForeignKey(
        LicenseType, verbose_name="签发证照类型", on_delete=models.PROTECT, related_name="+"
    )
    seal_name = models.CharField(
        "用章名称", max_length=50, default="行政审批专用章", help_text="办件实施机构的哪枚印章"
    )
    field_sources = models.JSONField(
        "证照数据来源",
        default=dict,
        help_text='证照字段 → 来源，如 {"经营者": "applicant.name", "经营场所": "form.premises", '
        '"登记机关": "agency.name", "办件编号": "case.number"}',
    )
    renewal_item = models.ForeignKey(
        CatalogItem,
        verbose_name="延续办理事项",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="到期提醒中链接的延续（换证）事项",
    )
    remind_days_before = models.PositiveSmallIntegerField("提前提醒天数", default=30)

    class Meta:
        verbose_name = verbose_name_plural = "证照签发规则"

    def __str__(self) -> str:
        return f"{self.catalog_item.name} → {self.license_type.name}"


class LifecycleRecord(models.Model):
    """One step of a license's life by its issuing authority (签发、变更、延续、注销、撤销),
    signed by the seal over its canonical form; append-only."""

    license = models.ForeignKey(
        License, verbose_name="证照", on_delete=models.PROTECT, related_name="lifecycle"
    )
    action = models.CharField("事项", max_length=10, choices=LifecycleAction.choices)
    actor = models.CharField("经办人", max_length=150)
    reason = models.CharField("原因", max_length=500, blank=True)
    occurred_at = models.DateTimeField("时间")
    seal = models.ForeignKey(
        Seal, verbose_name="印章", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    digest = models.CharField("签署内容摘要（SM3）", max_length=64, blank=True)
    signature = models.TextField("SM2 签名（Base64）", blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "证照生命周期记录"
        ordering = ["license", "occurred_at", "id"]
        indexes = [models.Index(fields=["license", "occurred_at"], name="license_lifecycle_idx")]

    def __str__(self) -> str:
        return f"{self.license_id} · {self.get_action_display()}"


class Showing(models.Model):
    """亮证: a time-limited code the holder shows; a verifier who scans it sees the license."""

    license = models.ForeignKey(
        License, verbose_name="证照", on_delete=models.CASCADE, related_name="showings"
    )
    token_index = models.CharField("令牌索引", max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="出示人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("出示时间", auto_now_add=True)
    expires_at = models.DateTimeField("失效时间")
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "亮证记录"
        indexes = [
            # Housekeeping deletes showings expired longer than the retention period.
            models.Index(fields=["expires_at"], name="showing_expiry_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="showing_idempotent_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license_id} · {self.expires_at:%Y-%m-%d %H:%M}"


class Authorization(models.Model):
    """授权用证: the holder lets an agency or a third party use a license for a purpose and a
    period; the holder may revoke it at any time."""

    license = models.ForeignKey(
        License, verbose_name="证照", on_delete=models.CASCADE, related_name="authorizations"
    )
    grantee_kind = models.CharField("被授权方类别", max_length=12, choices=GranteeKind.choices)
    grantee_agency = models.ForeignKey(
        Organization,
        verbose_name="被授权部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    grantee_name = models.CharField("被授权方名称", max_length=200)
    grantee_uscc = models.CharField("被授权方统一社会信用代码", max_length=18)
    purpose = models.CharField("用途", max_length=200)
    valid_from = models.DateTimeField("生效时间")
    valid_until = models.DateTimeField("失效时间")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="授权人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("授权时间", auto_now_add=True)
    revoked_at = models.DateTimeField("撤回时间", null=True, blank=True)
    # A third party has no account here: it presents a one-time access code that the holder
    # was shown once when granting. Only the code's blind index is kept.
    access_code_index = models.CharField("访问码索引", max_length=64, blank=True)
    access_code_used_at = models.DateTimeField("访问码使用时间", null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用证授权"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["grantee_uscc", "license"], name="authorization_grantee_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gt=F("valid_from")), name="authorization_period"
            ),
            models.CheckConstraint(
                condition=Q(grantee_kind=GranteeKind.AGENCY, grantee_agency__isnull=False)
                | Q(
                    grantee_kind=GranteeKind.THIRD_PARTY,
                    grantee_agency__isnull=True,
                    access_code_index__gt="",
                ),
                name="authorization_grantee",
            ),
            models.UniqueConstraint(
                fields=["access_code_index"],
                condition=Q(access_code_index__gt=""),
                name="authorization_access_code_unique",
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="authorization_idempotent_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license_id} → {self.grantee_name}（{self.purpose}）"


class LicenseUse(models.Model):
    """用证记录: one use of a license (shown, verified, attached to a case, used under an
    authorization, downloaded); append-only and shown to the holder."""

    license = models.ForeignKey(
        License,
        verbose_name="证照",
        on_delete=models.CASCADE,
        related_name="uses",
        db_index=False,  # the (license, used_at) index leads with it
        # No database foreign key: its check locks the license row (FOR KEY SHARE), which
        # writes to the license table and its WAL on every verification. Licenses are never
        # deleted but by the ORM, which removes their uses first.
        db_constraint=False,
    )
    kind = models.CharField("用证方式", max_length=16, choices=UseKind.choices)
    used_at = models.DateTimeField("时间")
    user = models.CharField("用证方", max_length=200, help_text="部门、机构或“匿名查验”")
    authorization = models.ForeignKey(
        Authorization,
        verbose_name="依据的授权",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="uses",
        db_index=False,  # indexed only where set: most uses (every verification) have none
    )
    case_number = models.CharField("办件编号", max_length=40, blank=True)
    address = models.CharField("来源地址", max_length=45, blank=True)
    detail = models.JSONField("说明", default=dict, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "用证记录"
        ordering = ["-used_at", "-id"]
        indexes = [
            models.Index(fields=["license", "-used_at"], name="license_use_idx"),
            models.Index(
                fields=["authorization"],
                name="license_use_authorization_idx",
                condition=models.Q(authorization__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.license_id} · {self.get_kind_display()} · {self.user}"


class TrustListKey(models.Model):
    """The key this platform signs its published trust list with (信任列表签名密钥): an SM2
    key pair, the private key sealed under its key id as a seal's is. Platforms that
    recognize this one pin the current key's id; a new key (rotation) must be pinned anew."""

    key_id = models.CharField("密钥标识", max_length=64, unique=True, help_text="公钥的 SM3 摘要")
    public_key_pem = models.TextField("公钥（PEM）")
    private_key_sealed = models.TextField("私钥（密文）")
    current = models.BooleanField("正在使用", default=True)
    created_at = models.DateTimeField("生成时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "信任列表签名密钥"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["current"], condition=Q(current=True), name="trust_list_key_one_current"
            )
        ]

    def __str__(self) -> str:
        return self.key_id


class ForeignPlatform(models.Model):
    """互认共享: another platform whose issuers' licenses verify here, with the trust list it
    publishes (fetched from its well-known URL or entered by an administrator), taken only
    when signed by the key whose id the platform gave us out of band."""

    name = models.CharField("平台名称", max_length=100, unique=True)
    trust_list_url = models.URLField("信任列表地址", blank=True)
    signer_key_id = models.CharField(
        "信任列表签名密钥标识",
        max_length=64,
        blank=True,  # only platforms recognized before lists were signed; none can refresh
        help_text="对方平台线下告知的密钥标识（公钥的 SM3 摘要）",
    )
    trusted_since = models.DateTimeField("纳入信任时间", auto_now_add=True)
    refreshed_at = models.DateTimeField("信任列表更新时间", null=True, blank=True)
    active = models.BooleanField("信任中", default=True)

    class Meta:
        verbose_name = verbose_name_plural = "互认平台"

    def __str__(self) -> str:
        return self.name


class ForeignSeal(models.Model):
    """A seal of another platform's issuer, as its trust list names it."""

    platform = models.ForeignKey(
        ForeignPlatform, verbose_name="平台", on_delete=models.CASCADE, related_name="seals"
    )
    key_id = models.CharField("印章标识", max_length=64, unique=True)
    issuer_uscc = models.CharField("签发机关统一社会信用代码", max_length=18)
    issuer_name = models.CharField("签发机关", max_length=200)
    seal_name = models.CharField("印章名称", max_length=50, default="电子印章")
    public_key_pem = models.TextField("公钥（PEM）")
    valid_from = models.DateTimeField("启用时间")
    valid_until = models.DateTimeField("有效期至")
    revoked_at = models.DateTimeField("注销时间", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "互认平台印章"

    def __str__(self) -> str:
        return f"{self.issuer_name}（{self.platform.name}）"


class ImportBatch(models.Model):
    """存量转换: one file of licenses issued before the platform; all rows or none."""

    file = models.ForeignKey(
        StoredFile, verbose_name="文件", on_delete=models.PROTECT, related_name="+"
    )
    original_name = models.CharField("文件名", max_length=200)
    license_type = models.ForeignKey(
        LicenseType, verbose_name="证照类型", on_delete=models.PROTECT, related_name="+"
    )
    seal = models.ForeignKey(
        Seal, verbose_name="转换用章", on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.CharField("导入人", max_length=150)
    submitted_at = models.DateTimeField("导入时间", auto_now_add=True)
    status = models.CharField("结果", max_length=10, choices=ImportStatus.choices)
    rows = models.PositiveIntegerField("行数", default=0)
    report = models.JSONField("校验报告", default=list, help_text="每行的问题：行号、列、原因")

    class Meta:
        verbose_name = verbose_name_plural = "存量证照导入批次"
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.original_name} · {self.get_status_display()}"
