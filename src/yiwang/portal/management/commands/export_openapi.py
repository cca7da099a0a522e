import json

from django.core.management.base import BaseCommand

from yiwang.api import api


class Command(BaseCommand):
    help = "Print the OpenAPI document (docs/openapi.json is kept equal to it; a test checks)."

    def handle(self, *args, **options):
        self.stdout.write(
            json.dumps(api.get_openapi_schema(), ensure_ascii=False, indent=2, sort_keys=True)
        )
