"""Catalog admins are scoped to their region and agency; the basic catalog is the province's."""

import pytest
from django.contrib.auth.models import AnonymousUser

from yiwang.catalog import services
from yiwang.catalog.models import CatalogItem
from yiwang.catalog.tests.factories import UserFactory, food_guide
from yiwang.core.errors import Forbidden

pytestmark = pytest.mark.django_db


def test_county_editor_implements_for_own_agency_only(world):
    editor = world.editor(world.county, world.county_agency)
    version = services.create_service_item(
        actor=editor, catalog_item=world.food, agency=world.county_agency, guide=food_guide()
    )
    services.submit_version(actor=editor, version=version)
    with pytest.raises(Forbidden):
        services.create_service_item(
            actor=editor,
            catalog_item=world.food,
            agency=world.other_county_agency,
            guide=food_guide(),
        )
    with pytest.raises(Forbidden):
        services.create_service_item(
            actor=editor, catalog_item=world.food, agency=world.city_agency, guide=food_guide()
        )


def test_editor_cannot_publish_and_reviewer_of_another_city_cannot_either(world):
    editor = world.editor(world.county, world.county_agency)
    version = services.create_service_item(
        actor=editor, catalog_item=world.food, agency=world.county_agency, guide=food_guide()
    )
    services.submit_version(actor=editor, version=version)
    with pytest.raises(Forbidden):
        services.publish_version(actor=editor, version=version)
    zhuzhou_reviewer = world.reviewer(world.other_county.parent)
    with pytest.raises(Forbidden):
        services.publish_version(actor=zhuzhou_reviewer, version=version)
    changsha_reviewer = world.reviewer(world.city)
    assert services.publish_version(actor=changsha_reviewer, version=version).status == "published"


def test_only_province_admins_maintain_the_basic_catalog(world):
    city_reviewer = world.reviewer(world.city)
    with pytest.raises(Forbidden, match="省级目录管理员"):
        services.change_catalog_item(actor=city_reviewer, item=world.food, name="改名")
    province_admin = world.reviewer(world.province)
    services.change_catalog_item(actor=province_admin, item=world.food, keywords=["餐饮许可证"])
    assert CatalogItem.objects.get().keywords == ["餐饮许可证"]


def test_anonymous_and_unscoped_users_change_nothing(world):
    for actor in (AnonymousUser(), UserFactory(), None):
        with pytest.raises(Forbidden):
            services.create_service_item(
                actor=actor, catalog_item=world.food, agency=world.county_agency, guide=food_guide()
            )
