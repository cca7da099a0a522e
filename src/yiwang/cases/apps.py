from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "yiwang.cases"
    label = "cases"
    verbose_name = "办件"

    def ready(self) -> None:
        from yiwang.cases import benchmarks  # noqa: F401  (registration)
