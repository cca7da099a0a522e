from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = "基础内核"

    def ready(self) -> None:
        from yiwang.core import benchmarks, checks, events  # noqa: F401  (registration)

        events.start_inprocess_worker_if_configured()
