from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yiwang.catalog.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo data (Hunan's divisions, agencies, service items). Idempotent."

    def handle(self, *args, **options):
        if settings.PROFILE == "production":
            raise CommandError("demo data is not loaded in the production profile")
        stats = load_demo()
        self.stdout.write(", ".join(f"{name} +{count}" for name, count in vars(stats).items()))
