"""One plugin registry for every outside party and every configurable scheme.

A context declares an interface (a subclass of Plugin) and a Registry for it; implementations
register themselves by id with a decorator. Demo plugins (the simulated backends of the
embedded profile) are marked `is_demo`; the production profile refuses to start with one.
Services take a `registry` argument so tests can inject a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class Plugin:
    id: str = ""
    verbose_name: str = ""
    is_demo: bool = False

    def check_config(self) -> None:
        """Raise ImproperlyConfigured when the plugin cannot work as configured."""


P = TypeVar("P", bound=Plugin)


class Registry(Generic[P]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._plugins: dict[str, P] = {}

    def register(self, plugin_id: str) -> Callable[[type[P]], type[P]]:
        def decorator(plugin_class: type[P]) -> type[P]:
            if plugin_id in self._plugins:
                raise ImproperlyConfigured(f"{self.name}: plugin {plugin_id!r} registered twice")
            plugin = plugin_class()
            plugin.id = plugin_id
            self._plugins[plugin_id] = plugin
            return plugin_class

        return decorator

    def __getitem__(self, plugin_id: str) -> P:
        try:
            return self._plugins[plugin_id]
        except KeyError:
            raise ImproperlyConfigured(f"{self.name}: no plugin {plugin_id!r}") from None

    def __iter__(self) -> Iterator[P]:
        return iter(self._plugins.values())

    def __contains__(self, plugin_id: str) -> bool:
        return plugin_id in self._plugins

    def configured(self, plugin_id: str) -> P:
        """The plugin chosen by configuration, checked; demo plugins only outside production."""
        plugin = self[plugin_id]
        if plugin.is_demo and settings.PROFILE == "production":
            raise ImproperlyConfigured(f"{self.name}: demo plugin {plugin_id!r} in production")
        plugin.check_config()
        return plugin
