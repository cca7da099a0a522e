from django.db import models


class Level(models.IntegerChoices):
    """The five levels of 省、市、县、乡、村 and the digits of the 12-digit code each one owns."""

    PROVINCE = 1, "省级"
    CITY = 2, "市级"
    COUNTY = 3, "县级"
    TOWNSHIP = 4, "乡级"
    VILLAGE = 5, "村级"


# How many leading digits of a 12-digit statistical code identify a division of each level.
PREFIX_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}

LEVEL_KEYS = {
    "province": Level.PROVINCE,
    "city": Level.CITY,
    "county": Level.COUNTY,
    "township": Level.TOWNSHIP,
    "village": Level.VILLAGE,
}


class RegionKind(models.TextChoices):
    DIVISION = "division", "行政区划"
    PLACEHOLDER = "placeholder", "统计占位（市辖区）"
    ZONE = "zone", "开发区/管理区"


class OrganizationKind(models.TextChoices):
    GOVERNMENT = "government", "人民政府"
    DEPARTMENT = "department", "政府部门"
    SERVICE_CENTER = "service_center", "政务服务中心"
    INSTITUTION = "institution", "事业单位/群团组织"
    COMMUNITY = "community", "村（居）委会"
