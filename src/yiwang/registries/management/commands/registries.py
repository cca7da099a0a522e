import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yiwang.registries.generate import generate


class Command(BaseCommand):
    help = "Base registries: `generate` synthetic valid persons and organizations (seeded)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["generate"])
        parser.add_argument("--persons", type=int, default=500)
        parser.add_argument("--organizations", type=int, default=100)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, action, persons, organizations, seed, **options):
        if settings.PROFILE == "production":
            raise CommandError("synthetic registry records are not generated in production")
        started = time.monotonic()
        stats = generate(persons, organizations, seed=seed)
        self.stdout.write(
            f"persons +{stats.persons}, organizations +{stats.organizations} "
            f"in {time.monotonic() - started:.1f}s"
        )
