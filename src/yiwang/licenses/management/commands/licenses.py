"""`yiwang licenses demo` loads the demo license types, rules and seals; `yiwang licenses remind`
announces the licenses about to expire (主动服务), e.g. daily from cron or a timer."""

from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yiwang.licenses.demo import load_licenses_demo
from yiwang.licenses.issuance import remind_expiring


class Command(BaseCommand):
    help = (
        "E-licenses: `demo` loads the demo license types, issuance rules, material mappings and "
        "seals (idempotent); `remind` sends the expiry reminders due today (each license once)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["demo", "remind"])
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="remind as of YYYY-MM-DD"
        )

    def handle(self, *args, action, today, **options):
        if action == "remind":
            reminded = remind_expiring(today=today)
            self.stdout.write(f"reminded {reminded} license(s) about to expire")
            return
        if settings.PROFILE == "production":
            raise CommandError("demo licenses do not exist in the production profile")
        stats = load_licenses_demo()
        self.stdout.write(
            f"license types +{stats.types_created}, issuance rules +{stats.rules_created}, "
            f"material mappings +{stats.materials_created}, seals +{stats.seals_made}"
        )
