from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "yiwang.catalog"
    label = "catalog"
    verbose_name = "事项目录"

    def ready(self) -> None:
        from yiwang.catalog import benchmarks, plugins  # noqa: F401  (registration)
