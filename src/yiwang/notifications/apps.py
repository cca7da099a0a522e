from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "yiwang.notifications"
    label = "notifications"
    verbose_name = "消息通知"

    def ready(self) -> None:
        from yiwang.notifications import tasks  # noqa: F401  (registers the event consumers)
