"""The base registries (人口库、法人库、信用库): the authoritative records identity verifies
against, cases prefill from and the exchange shares. ID numbers are kept sealed (SM4-GCM under a
data key) with an HMAC-SM3 blind index for exact lookup and a masked form for display."""

from django.db import models

from yiwang.regions.models import Region
from yiwang.registries.constants import (
    CreditList,
    OrganizationKind,
    OrganizationStatus,
    PersonStatus,
    Sex,
    SubjectKind,
)


class PersonRecord(models.Model):
    name = models.CharField("姓名", max_length=50)
    id_number_sealed = models.TextField("公民身份号码（密文）")
    id_number_index = models.CharField("公民身份号码索引", max_length=64, unique=True)
    id_number_masked = models.CharField("公民身份号码（脱敏）", max_length=18)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices)
    birth_date = models.DateField("出生日期")
    household_region = models.ForeignKey(
        Region, verbose_name="户籍地", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=PersonStatus.choices, default=PersonStatus.ALIVE
    )
    generated = models.BooleanField("合成数据", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "人口库"

    def __str__(self) -> str:
        return f"{self.name}（{self.id_number_masked}）"


class LegalPersonRecord(models.Model):
    name = models.CharField("名称", max_length=200)
    uscc = models.CharField("统一社会信用代码", max_length=18, unique=True)
    kind = models.CharField("类型", max_length=30, choices=OrganizationKind.choices)
    representative_name = models.CharField("法定代表人（负责人）", max_length=50)
    representative_id_sealed = models.TextField("法定代表人身份号码（密文）")
    representative_id_index = models.CharField(
        "法定代表人身份号码索引", max_length=64, db_index=True
    )
    registered_region = models.ForeignKey(
        Region, verbose_name="登记地", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        "状态", max_length=10, choices=OrganizationStatus.choices, default=OrganizationStatus.ACTIVE
    )
    generated = models.BooleanField("合成数据", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "法人库"

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"


class CreditListing(models.Model):
    """A red or black list entry of the credit registry (信用库)."""

    subject_kind = models.CharField("主体类型", max_length=12, choices=SubjectKind.choices)
    subject_key = models.CharField(
        "主体标识",
        max_length=64,
        db_index=True,
        help_text="法人：统一社会信用代码；自然人：身份号码索引",
    )
    credit_list = models.CharField("名单", max_length=5, choices=CreditList.choices)
    reason = models.CharField("列入事由", max_length=500)
    authority = models.CharField("认定部门", max_length=200)
    listed_on = models.DateField("列入日期")
    expires_on = models.DateField("移出日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "信用库名单"

    def __str__(self) -> str:
        return f"{self.get_credit_list_display()} {self.subject_key[:12]}"
