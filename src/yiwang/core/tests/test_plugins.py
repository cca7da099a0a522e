import pytest
from django.core.exceptions import ImproperlyConfigured

from yiwang.core.plugins import Plugin, Registry


class Gateway(Plugin):
    pass


def test_registry_registers_by_id_and_refuses_demo_plugins_in_production(settings):
    registry: Registry[Gateway] = Registry("gateways")

    @registry.register("simulated")
    class Simulated(Gateway):
        is_demo = True

    @registry.register("http")
    class Http(Gateway):
        checked = False

        def check_config(self):
            type(self).checked = True

    assert registry["simulated"].id == "simulated"
    assert {p.id for p in registry} == {"simulated", "http"}
    settings.PROFILE = "embedded"
    assert registry.configured("simulated").is_demo
    settings.PROFILE = "production"
    with pytest.raises(ImproperlyConfigured, match="demo plugin"):
        registry.configured("simulated")
    assert registry.configured("http").checked


def test_registry_refuses_duplicates_and_unknown_ids():
    registry: Registry[Gateway] = Registry("gateways")
    registry.register("one")(type("One", (Gateway,), {}))
    with pytest.raises(ImproperlyConfigured, match="twice"):
        registry.register("one")(type("Again", (Gateway,), {}))
    with pytest.raises(ImproperlyConfigured, match="no plugin"):
        registry["missing"]
