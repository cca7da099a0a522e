"""`yiwang licenses demo` loads the demo license types, rules and seals; the periodic jobs, e.g.
daily from cron or a timer: `yiwang licenses remind` announces the licenses about to expire
(主动服务), `yiwang licenses housekeeping` deletes 亮证 showings expired longer than the
retention period (YIWANG_LICENSE_SHOWING_RETENTION_DAYS)."""

from datetime import date

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from yiwang.licenses.demo import load_licenses_demo
from yiwang.licenses.issuance import remind_expiring
from yiwang.licenses.wallet import purge_expired_showings


class Command(BaseCommand):
    help = (
        "E-licenses: `demo` loads the demo license types, issuance rules, material mappings and "
        "seals (idempotent); `remind` sends the expiry reminders due today (each license once); "
        "`housekeeping` deletes 亮证 showings expired longer than the retention period."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["demo", "remind", "housekeeping"])
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="remind as of YYYY-MM-DD"
        )

    def handle(self, *args, action, today, **options):
        if action == "remind":
            reminded = remind_expiring(today=today)
            self.stdout.write(f"reminded {reminded} license(s) about to expire")
            return
        if action == "housekeeping":
            try:
                deleted = purge_expired_showings()
            except ImproperlyConfigured as error:
                raise CommandError(str(error)) from error
            self.stdout.write(f"deleted {deleted} expired showing(s)")
            return
        if settings.PROFILE == "production":
            raise CommandError("demo licenses do not exist in the production profile")
        stats = load_licenses_demo()
        self.stdout.write(
            f"license types +{stats.types_created}, issuance rules +{stats.rules_created}, "
            f"material mappings +{stats.materials_created}, seals +{stats.seals_made}"
        )
