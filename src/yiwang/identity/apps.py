from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "yiwang.identity"
    label = "identity"
    verbose_name = "统一身份认证"

    def ready(self) -> None:
        from yiwang.identity import signals, tasks  # noqa: F401  (connects receivers, consumers)
