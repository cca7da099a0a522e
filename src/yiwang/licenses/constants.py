"""Enumerations of e-licenses and seals, and the data-key purposes their secrets are kept under."""

from django.db import models

from yiwang.registries.constants import ID_NUMBER_PURPOSE

# A seal's private key is sealed under its own data key, bound to the seal's key id.
SEAL_KEY_PURPOSE = "seal.private_key"
# The platform's trust-list signing key, the same way under a data key of its own.
TRUST_LIST_KEY_PURPOSE = "trust_list.private_key"
# A person's ID number shares the population registry's purpose, so the blind index an account
# already holds finds that person's licenses (我的证照) without decrypting anything.
USCC_PURPOSE = "organization.uscc"

# How long a new seal may sign when its maker names no end (a typical seal certificate period).
SEAL_VALIDITY_YEARS = 5


class HolderKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANIZATION = "organization", "法人和其他组织"


# Holder identifier types of the national e-license directory: 111 citizen ID number, 001 USCC.
HOLDER_ID_TYPE = {HolderKind.PERSON: "111", HolderKind.ORGANIZATION: "001"}
HOLDER_ID_PURPOSE = {HolderKind.PERSON: ID_NUMBER_PURPOSE, HolderKind.ORGANIZATION: USCC_PURPOSE}


class ValidityKind(models.TextChoices):
    PERMANENT = "permanent", "长期有效"
    YEARS = "years", "按年计算"


class SealStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已注销"


class LicenseStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已撤销"
    CANCELLED = "cancelled", "已注销"


class DocumentKind(models.TextChoices):
    """What a seal signed (用章记录)."""

    LICENSE = "license", "电子证照"
    LIFECYCLE = "lifecycle", "证照变更、注销或撤销决定"


class LicenseSource(models.TextChoices):
    ISSUED = "issued", "办结签发"
    IMPORTED = "imported", "存量转换"


class LifecycleAction(models.TextChoices):
    """What the issuing authority did to a license, each step signed by its seal."""

    ISSUED = "issued", "签发"
    IMPORTED = "imported", "存量转换"
    CHANGED = "changed", "变更"
    RENEWED = "renewed", "延续"
    CANCELLED = "cancelled", "注销"
    REVOKED = "revoked", "撤销"


class GranteeKind(models.TextChoices):
    AGENCY = "agency", "政务部门"
    THIRD_PARTY = "third_party", "第三方机构"


class UseKind(models.TextChoices):
    """用证记录: every way a license was used, shown to its holder."""

    SHOWN = "shown", "亮证后被查验"
    VERIFIED = "verified", "网上验证核对"
    ATTACHED = "attached", "办事免提交"
    AUTHORIZED_USE = "authorized_use", "授权用证"
    DOWNLOADED = "downloaded", "下载"


class ImportStatus(models.TextChoices):
    IMPORTED = "imported", "已导入"
    REFUSED = "refused", "未导入（有错误）"


class Verdict(models.TextChoices):
    """The outcome of verifying a license, worst first when several apply."""

    UNKNOWN_ISSUER = "unknown_issuer", "签发机关不可信"
    TAMPERED = "tampered", "已被篡改"
    REVOKED = "revoked", "已撤销"
    CANCELLED = "cancelled", "已注销"
    EXPIRED = "expired", "已过期"
    NOT_YET_VALID = "not_yet_valid", "尚未生效"
    VALID = "valid", "有效"
