import pytest

from yiwang.core.errors import DomainError
from yiwang.core.identifiers import make_uscc
from yiwang.regions.models import Organization
from yiwang.regions.services import DivisionRow, create_organization, import_divisions

pytestmark = pytest.mark.django_db


@pytest.fixture
def changsha():
    import_divisions(
        [
            DivisionRow("430000000000", "湖南省", 1, ""),
            DivisionRow("430100000000", "长沙市", 2, "430000000000"),
        ],
        dataset="test",
    )
    return "430100000000"


def test_organization_with_valid_uscc(changsha):
    uscc = make_uscc(authority="1", kind="1", division6="430100", organization8="00000011")
    agency = create_organization(
        name="长沙市公安局", uscc=uscc, region_code=changsha, kind="department", sector="公安"
    )
    assert agency.region.name == "长沙市"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"uscc": "11430100000000110X"}, "uscc", "校验位不正确"),
        ({"region_code": "439900000000"}, "region", "不存在"),
        ({"kind": "company"}, "kind", "无效"),
        ({"name": "  "}, "name", "不能为空"),
    ],
)
def test_bad_organizations_are_refused(changsha, fields, field, message):
    data = dict(
        name="长沙市民政局",
        region_code=changsha,
        kind="department",
        uscc=make_uscc(authority="1", kind="1", division6="430100", organization8="00000012"),
    )
    data.update(fields)
    with pytest.raises(DomainError) as raised:
        create_organization(**data)
    assert raised.value.errors[0].field == field and message in raised.value.errors[0].message
    assert not Organization.objects.exists()


def test_uscc_is_unique(changsha):
    uscc = make_uscc(authority="1", kind="1", division6="430100", organization8="00000013")
    create_organization(name="长沙市教育局", uscc=uscc, region_code=changsha, kind="department")
    with pytest.raises(DomainError, match="已被其他机构使用"):
        create_organization(name="长沙市体育局", uscc=uscc, region_code=changsha, kind="department")
