from django.apps import AppConfig


class LicensesConfig(AppConfig):
    name = "yiwang.licenses"
    label = "licenses"
    verbose_name = "电子证照与电子印章"

    def ready(self) -> None:
        # Registers the event consumers (issuance, reuse log) and the material provider.
        import yiwang.licenses.benchmarks  # noqa: F401  (registration)
        from yiwang.licenses import issuance, plugins  # noqa: F401
