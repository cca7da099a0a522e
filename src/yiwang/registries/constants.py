from django.db import models

ID_NUMBER_PURPOSE = "person.id_number"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PersonStatus(models.TextChoices):
    ALIVE = "alive", "在世"
    DECEASED = "deceased", "死亡"


class OrganizationKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    INDIVIDUAL_BUSINESS = "individual_business", "个体工商户"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    SOCIAL_ORGANIZATION = "social_organization", "社会组织"


# GB 32100 registration authority and kind characters of each kind.
USCC_PREFIX = {
    OrganizationKind.ENTERPRISE: ("9", "1"),
    OrganizationKind.INDIVIDUAL_BUSINESS: ("9", "2"),
    OrganizationKind.PUBLIC_INSTITUTION: ("1", "2"),
    OrganizationKind.SOCIAL_ORGANIZATION: ("5", "1"),
}


class OrganizationStatus(models.TextChoices):
    ACTIVE = "active", "存续"
    REVOKED = "revoked", "吊销"
    CANCELLED = "cancelled", "注销"


class CreditList(models.TextChoices):
    RED = "red", "红名单"
    BLACK = "black", "黑名单"


class SubjectKind(models.TextChoices):
    PERSON = "person", "自然人"
    ORGANIZATION = "organization", "法人"
