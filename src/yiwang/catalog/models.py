"""The catalog: basic items, their implementations, immutable versions and the search index."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from yiwang.catalog.constants import (
    ItemType,
    PendingChangeStatus,
    RealNameLevel,
    ScopeRole,
    VersionStatus,
)
from yiwang.catalog.guide import Guide
from yiwang.regions.models import Organization, Region


class CatalogItem(models.Model):
    """An item as defined once for every level: 名称、编码、依据、类型 live only here."""

    basic_code = models.CharField("基本编码", max_length=12, unique=True)
    item_type = models.CharField("事项类型", max_length=2, choices=ItemType.choices)
    name = models.CharField("事项名称", max_length=200)
    main_item = models.ForeignKey(
        "self",
        verbose_name="主项",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="sub_items",
    )
    legal_basis = models.JSONField("设定依据", default=list)
    levels = models.JSONField("可实施层级", default=list, help_text="1 省 … 5 村")
    sector = models.CharField("主管领域", max_length=40)
    audience = models.JSONField("服务对象", default=list)
    themes = models.JSONField("主题", default=list, blank=True)
    life_events = models.JSONField("人生/企业事件", default=list, blank=True)
    keywords = models.JSONField("搜索关键词", default=list, blank=True)
    popularity = models.PositiveIntegerField("热度", default=0)
    min_real_name_level = models.PositiveSmallIntegerField(
        "最低实名等级", choices=RealNameLevel.choices, default=RealNameLevel.REAL_NAME
    )
    revision = models.PositiveIntegerField("修订号", default=1)
    generated = models.BooleanField("为规模测试生成", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "基本目录事项"
        ordering = ["basic_code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.basic_code}）"

    def elements(self) -> dict:
        """The four elements every implementation snapshots and must carry unchanged."""
        return {
            "basic_code": self.basic_code,
            "name": self.name,
            "item_type": self.item_type,
            "legal_basis": self.legal_basis,
            "revision": self.revision,
        }


class CatalogItemChange(models.Model):
    """One edit of a catalog item, as a field-level diff (变化追踪)."""

    catalog_item = models.ForeignKey(CatalogItem, on_delete=models.CASCADE, related_name="changes")
    revision = models.PositiveIntegerField("修订号")
    diff = models.JSONField("变化")
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    changed_at = models.DateTimeField("变更时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "基本目录变更"
        ordering = ["catalog_item", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalog_item", "revision"], name="catalog_change_unique_revision"
            )
        ]

    def __str__(self) -> str:
        return f"{self.catalog_item.basic_code} r{self.revision}"


class ServiceItem(models.Model):
    """A catalog item as carried out by one agency in one region (实施清单)."""

    catalog_item = models.ForeignKey(
        CatalogItem,
        verbose_name="基本目录事项",
        on_delete=models.PROTECT,
        related_name="implementations",
    )
    agency = models.ForeignKey(
        Organization,
        verbose_name="实施机构",
        on_delete=models.PROTECT,
        related_name="service_items",
    )
    region = models.ForeignKey(
        Region, verbose_name="实施区划", on_delete=models.PROTECT, related_name="service_items"
    )
    implementation_code = models.CharField("实施编码", max_length=50, unique=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "实施清单事项"
        ordering = ["implementation_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["catalog_item", "agency"], name="service_item_once_per_agency"
            )
        ]

    def __str__(self) -> str:
        return f"{self.catalog_item.name}（{self.agency.name}）"


LIFECYCLE_FIELDS = frozenset(
    {
        "status",
        "submitted_at",
        "published_at",
        "superseded_at",
        "revoked_at",
        "revoke_reason",
        "reviewed_by",
        "return_reason",
    }
)


class ServiceItemVersion(models.Model):
    """One version of an implementation's guide. Once submitted its content never changes."""

    service_item = models.ForeignKey(ServiceItem, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField("版本号")
    status = models.CharField(
        "状态", max_length=12, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    elements = models.JSONField("基本要素快照", help_text="名称、编码、依据、类型，取自基本目录")
    guide = models.JSONField("办事指南")
    check_report = models.JSONField("自动检查结果", default=list, blank=True)
    change_note = models.CharField("变更说明", max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    submitted_at = models.DateTimeField("提交时间", null=True, blank=True)
    published_at = models.DateTimeField("发布时间", null=True, blank=True)
    superseded_at = models.DateTimeField("替代时间", null=True, blank=True)
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoke_reason = models.CharField("撤销原因", max_length=500, blank=True)
    return_reason = models.CharField("退回原因", max_length=500, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "实施清单版本"
        ordering = ["service_item", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_item", "number"], name="version_unique_number"
            ),
            models.UniqueConstraint(
                fields=["service_item"],
                condition=models.Q(status=VersionStatus.PUBLISHED),
                name="version_one_published",
            ),
            models.UniqueConstraint(
                fields=["service_item"],
                condition=models.Q(status__in=[VersionStatus.DRAFT, VersionStatus.SUBMITTED]),
                name="version_one_open",
            ),
        ]
        indexes = [models.Index(fields=["status", "service_item"], name="version_status_idx")]

    def __str__(self) -> str:
        return f"{self.service_item.implementation_code} v{self.number}"

    def save(self, *args, **kwargs):
        """Content is frozen once the version leaves draft: only lifecycle fields may change."""
        if self.pk and self.status != VersionStatus.DRAFT:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= LIFECYCLE_FIELDS:
                raise ValidationError("已提交或已发布的版本不可修改内容")
        super().save(*args, **kwargs)

    @property
    def parsed(self) -> Guide:
        return Guide.model_validate(self.guide)


class PendingChange(models.Model):
    """A basic-catalog change that an implementation has yet to adopt in a new version."""

    service_item = models.ForeignKey(
        ServiceItem, on_delete=models.CASCADE, related_name="pending_changes"
    )
    change = models.ForeignKey(CatalogItemChange, on_delete=models.CASCADE, related_name="pending")
    status = models.CharField(
        "状态", max_length=10, choices=PendingChangeStatus.choices, default=PendingChangeStatus.OPEN
    )
    adopted_in = models.ForeignKey(
        ServiceItemVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = verbose_name_plural = "待同步变更"
        constraints = [
            models.UniqueConstraint(fields=["service_item", "change"], name="pending_change_once")
        ]

    def __str__(self) -> str:
        return f"{self.service_item_id} ← {self.change}"


class CatalogScope(models.Model):
    """Where a catalog admin may act: a region (and all below it), optionally one agency."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="catalog_scopes"
    )
    role = models.CharField("角色", max_length=10, choices=ScopeRole.choices)
    region = models.ForeignKey(Region, verbose_name="区划", on_delete=models.PROTECT)
    agency = models.ForeignKey(
        Organization,
        verbose_name="机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text="留空表示该区划内全部机构",
    )

    class Meta:
        verbose_name = verbose_name_plural = "目录管理权限"

    def __str__(self) -> str:
        return f"{self.user} {self.get_role_display()} @ {self.region}"


class SearchEntry(models.Model):
    """The search index's row for one published implementation: everything a result shows."""

    service_item = models.OneToOneField(
        ServiceItem, primary_key=True, on_delete=models.CASCADE, related_name="search_entry"
    )
    catalog_item = models.ForeignKey(
        CatalogItem, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    implementation_code = models.CharField(max_length=50)
    name = models.CharField(max_length=200)
    agency = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    agency_name = models.CharField(max_length=200)
    region_code = models.CharField(max_length=12)
    level = models.PositiveSmallIntegerField()
    audience_bits = models.PositiveSmallIntegerField()
    online_depth = models.PositiveSmallIntegerField()
    visits = models.PositiveSmallIntegerField()
    sector = models.CharField(max_length=40)

    class Meta:
        verbose_name = verbose_name_plural = "搜索索引条目"
        indexes = [
            models.Index(
                fields=["catalog_item", "region_code"], name="search_entry_item_region_idx"
            ),
            models.Index(
                fields=["region_code", "catalog_item"], name="search_entry_region_item_idx"
            ),
            # A page of one item's entries, nearest level first, without sorting its matches.
            models.Index(
                fields=["catalog_item", "-level", "implementation_code"],
                name="search_entry_item_order_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.implementation_code


class SearchItemCount(models.Model):
    """Published implementations per catalog item, kept with the index.

    A province-wide search counts its results from here instead of scanning tens of
    thousands of entries; filtered searches count their (few) entries directly.
    """

    catalog_item = models.OneToOneField(
        CatalogItem, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = "搜索索引计数"

    def __str__(self) -> str:
        return f"{self.catalog_item_id}: {self.entries}"


class SearchTerm(models.Model):
    """A term (word, pinyin, initials, synonym) that leads to a catalog item, with its weight."""

    term = models.CharField(max_length=100)
    catalog_item = models.ForeignKey(
        CatalogItem, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    weight = models.FloatField()

    class Meta:
        verbose_name = verbose_name_plural = "搜索词"
        indexes = [
            models.Index(fields=["term", "catalog_item"], name="search_term_idx"),
            # LIKE 'yyzz%' on PostgreSQL needs the pattern operator class (ignored elsewhere).
            models.Index(
                fields=["term"], name="search_term_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["term", "catalog_item"], name="search_term_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.term} → {self.catalog_item_id}"


class Synonym(models.Model):
    """A colloquial term and the catalog words it means (\"开饭店\" → 食品经营许可)."""

    term = models.CharField("口语词", max_length=50, unique=True)
    targets = models.JSONField("对应规范词", default=list)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "同义词/口语词"
        ordering = ["term"]

    def __str__(self) -> str:
        return f"{self.term} → {'、'.join(self.targets)}"
