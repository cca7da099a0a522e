from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "yiwang.core"
    label = "core"
    verbose_name = "基础内核"

    def ready(self) -> None:
        from yiwang.core import benchmarks, checks, events, workdays  # noqa: F401  (registration)

        events.start_inprocess_worker_if_configured()
        # Every fresh database gets the official calendar; cheap when it already has it.
        post_migrate.connect(workdays.seed_after_migrate, sender=self)
