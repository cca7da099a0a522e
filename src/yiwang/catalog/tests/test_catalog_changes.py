import pytest

from yiwang.catalog import selectors, services
from yiwang.catalog.constants import PendingChangeStatus
from yiwang.catalog.models import CatalogItem, CatalogItemChange, PendingChange
from yiwang.catalog.permissions import SYSTEM
from yiwang.catalog.tests.factories import food_guide
from yiwang.core.errors import DomainError

pytestmark = pytest.mark.django_db

BASIS = [{"law": "《中华人民共和国食品安全法》", "article": "第三十五条"}]


def test_change_is_a_field_diff_and_pending_on_every_implementation(world):
    county = world.implement(world.county_agency)
    city = world.implement(world.city_agency)

    change = services.change_catalog_item(
        actor=SYSTEM,
        item=world.food,
        legal_basis=BASIS + [{"law": "《食品经营许可和备案管理办法》", "article": "第二条"}],
    )

    assert change.revision == 2
    assert [(d["path"], d["kind"]) for d in change.diff] == [
        ("legal_basis[《食品经营许可和备案管理办法》]", "added")
    ]
    pending = PendingChange.objects.filter(change=change, status=PendingChangeStatus.OPEN)
    assert {p.service_item_id for p in pending} == {county.service_item_id, city.service_item_id}


def test_new_version_adopts_the_change_and_closes_the_pending_change(world):
    county = world.implement(world.county_agency)
    services.change_catalog_item(actor=SYSTEM, item=world.food, name="食品经营许可证核发")
    draft = services.start_revision(actor=SYSTEM, service_item=county.service_item)
    assert draft.elements["name"] == "食品经营许可证核发"
    services.submit_version(actor=SYSTEM, version=draft)
    services.publish_version(actor=SYSTEM, version=draft)

    assert PendingChange.objects.get().status == PendingChangeStatus.ADOPTED
    changes = selectors.version_changes(selectors.previous_version(draft), draft)
    assert [(c.path, c.old, c.new) for c in changes] == [
        ("elements.name", "食品经营许可", "食品经营许可证核发"),
        ("elements.revision", 1, 2),
    ]


def test_unchanged_edit_records_nothing(world):
    assert services.change_catalog_item(actor=SYSTEM, item=world.food, name="食品经营许可") is None
    assert not CatalogItemChange.objects.exists()


def test_guide_diff_names_the_material_not_its_position(world):
    first = world.implement(world.county_agency)
    guide = food_guide()
    guide["materials"] = list(reversed(guide["materials"]))
    guide["materials"][0]["copies"] = 2  # 授权委托书 now asks for two copies
    draft = services.start_revision(actor=SYSTEM, service_item=first.service_item)
    services.edit_draft(actor=SYSTEM, version=draft, guide=guide)
    draft.refresh_from_db()

    changes = selectors.version_changes(first, draft)
    assert [(c.path, c.label, c.old, c.new) for c in changes] == [
        ("guide.materials[授权委托书].copies", "办事指南·申请材料“授权委托书”·份数", 1, 2)
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"basic_code": "XK0001200"}, "basic_code", "基本编码应为"),
        ({"basic_code": "AB00012000", "item_type": "XK"}, "basic_code", "基本编码应为"),
        ({"item_type": "QR"}, "item_type", "不一致"),
        ({"name": ""}, "name", "不能为空"),
        ({"legal_basis": []}, "legal_basis", "不能为空"),
        ({"levels": [6]}, "levels", "1（省）至 5（村）"),
        ({"basic_code": "XK00012001"}, "main_code", "主项 XK00012000 不存在"),
    ],
)
def test_bad_catalog_items_are_refused_and_nothing_saved(db, changes, field, message):
    data = dict(
        basic_code="XK00012000",
        item_type="XK",
        name="食品经营许可",
        legal_basis=BASIS,
        levels=[1, 2, 3],
        sector="市场监管",
        audience=["organization"],
    )
    data.update(changes)
    with pytest.raises(DomainError) as raised:
        services.create_catalog_item(actor=SYSTEM, **data)
    assert any(e.field == field and message in e.message for e in raised.value.errors), raised.value
    assert not CatalogItem.objects.exists()


def test_duplicate_basic_code_is_refused(world):
    with pytest.raises(DomainError, match="已存在"):
        services.create_catalog_item(
            actor=SYSTEM,
            basic_code="XK00012000",
            item_type="XK",
            name="重复",
            legal_basis=BASIS,
            levels=[3],
            sector="市场监管",
            audience=["person"],
        )


def test_sub_item_must_share_type_and_sector_with_its_main_item(world):
    sub = services.create_catalog_item(
        actor=SYSTEM,
        basic_code="XK00012001",
        item_type="XK",
        name="食品经营许可（新办）",
        legal_basis=BASIS,
        levels=[3],
        sector="市场监管",
        audience=["person"],
    )
    assert sub.main_item == world.food
    with pytest.raises(DomainError, match="主管领域须与主项一致"):
        services.create_catalog_item(
            actor=SYSTEM,
            basic_code="XK00012002",
            item_type="XK",
            name="食品经营许可（变更）",
            legal_basis=BASIS,
            levels=[3],
            sector="卫健",
            audience=["person"],
        )


def test_popularity_changes_without_a_revision_or_pending_change(world):
    world.implement(world.county_agency)
    assert services.change_catalog_item(actor=SYSTEM, item=world.food, popularity=10) is None
    world.food.refresh_from_db()
    assert (world.food.popularity, world.food.revision) == (10, 1)
    assert not PendingChange.objects.exists()
