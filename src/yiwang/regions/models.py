"""Administrative divisions (5 levels) and the organizations that sit in them."""

from django.db import models

from yiwang.regions.constants import PREFIX_LENGTH, Level, OrganizationKind, RegionKind


class Region(models.Model):
    """A division with its 12-digit statistical code; the first six digits are GB/T 2260."""

    code = models.CharField("区划代码", max_length=12, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.PositiveSmallIntegerField("层级", choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上级",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField(
        "类别", max_length=20, choices=RegionKind.choices, default=RegionKind.DIVISION
    )
    dataset = models.CharField("数据来源版本", max_length=40)
    generated = models.BooleanField("为规模测试生成", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "行政区划"
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"], name="region_children_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def gb_code(self) -> str:
        """The GB/T 2260 six-digit code (county level and above carry meaning here)."""
        return self.code[:6]

    @property
    def prefix(self) -> str:
        return self.code[: PREFIX_LENGTH[self.level]]


class Organization(models.Model):
    """An agency or department: who carries out service items in a region."""

    name = models.CharField("名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    region = models.ForeignKey(
        Region, verbose_name="所在区划", on_delete=models.PROTECT, related_name="organizations"
    )
    parent = models.ForeignKey(
        "self",
        verbose_name="上级机构",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    kind = models.CharField("机构类别", max_length=20, choices=OrganizationKind.choices)
    sector = models.CharField(
        "所属领域", max_length=40, blank=True, help_text="如 公安、民政、市场监管"
    )

    class Meta:
        verbose_name = verbose_name_plural = "机构"
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "name"], name="organization_unique_name_in_region"
            ),
        ]

    def __str__(self) -> str:
        return self.name
