from pathlib import Path

import pytest

from yiwang.core.errors import DomainError
from yiwang.regions.constants import Level, RegionKind
from yiwang.regions.models import Region
from yiwang.regions.selectors import ancestor_codes, children_of, level_of_code, region_path
from yiwang.regions.services import DivisionRow, import_divisions, read_divisions_csv

DIVISIONS = Path(__file__).parents[1] / "data" / "hunan_divisions_2020.csv"

pytestmark = pytest.mark.django_db

ROWS = [
    DivisionRow("430000000000", "湖南省", 1, ""),
    DivisionRow("430100000000", "长沙市", 2, "430000000000"),
    DivisionRow("430101000000", "市辖区", 3, "430100000000"),
    DivisionRow("430102000000", "芙蓉区", 3, "430100000000"),
    DivisionRow("430102001000", "文艺路街道", 4, "430102000000"),
    DivisionRow("430102001001", "识字里社区", 5, "430102001000"),
]


def test_import_is_idempotent_and_updates_renamed_divisions():
    first = import_divisions(ROWS, dataset="NBS-2020")
    assert (first.created, first.updated) == (6, 0)
    again = import_divisions(ROWS, dataset="NBS-2020")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)
    renamed = [*ROWS[:-1], DivisionRow("430102001001", "识字里新社区", 5, "430102001000")]
    assert import_divisions(renamed, dataset="NBS-2021").updated == 1
    assert Region.objects.get(code="430102001001").name == "识字里新社区"


def test_hierarchy_codes_and_placeholders():
    import_divisions(ROWS, dataset="NBS-2020")
    assert [r.name for r in region_path("430102001001")] == [
        "湖南省",
        "长沙市",
        "芙蓉区",
        "文艺路街道",
        "识字里社区",
    ]
    assert Region.objects.get(code="430101000000").kind == RegionKind.PLACEHOLDER
    assert [r.name for r in children_of("430100000000")] == ["芙蓉区"]  # 市辖区 is not a division
    assert Region.objects.get(code="430102000000").gb_code == "430102"


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("430000000000", Level.PROVINCE),
        ("430100000000", Level.CITY),
        ("430102000000", Level.COUNTY),
        ("430102001000", Level.TOWNSHIP),
        ("430102001001", Level.VILLAGE),
    ],
)
def test_level_and_ancestors_are_read_off_the_code(code, level):
    assert level_of_code(code) == level
    assert len(ancestor_codes(code)) == level


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (DivisionRow("43010200100", "短代码", 4, "430102000000"), "code"),
        (DivisionRow("430102002000", "错层级", 3, "430102000000"), "level"),
        (DivisionRow("430102002000", "无上级", 4, "430103000000"), "parent_code"),
        (DivisionRow("430102002000", "", 4, "430102000000"), "name"),
    ],
)
def test_a_bad_row_imports_nothing(bad, field):
    with pytest.raises(DomainError) as raised:
        import_divisions([*ROWS, bad], dataset="NBS-2020")
    assert raised.value.errors[0].field == field
    assert not Region.objects.exists()


def test_packaged_hunan_list_has_every_level():
    rows = read_divisions_csv(DIVISIONS)
    counts = {level: sum(1 for r in rows if r.level == level) for level in Level}
    assert counts[Level.PROVINCE] == 1 and counts[Level.CITY] == 14
    assert (
        counts[Level.COUNTY] >= 122
        and counts[Level.TOWNSHIP] > 1900
        and counts[Level.VILLAGE] > 29000
    )
