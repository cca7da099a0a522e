from django.apps import AppConfig


class RegistriesConfig(AppConfig):
    name = "yiwang.registries"
    label = "registries"
    verbose_name = "基础信息库"
