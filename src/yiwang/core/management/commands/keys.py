from django.core.management.base import BaseCommand

from yiwang.core import keys


class Command(BaseCommand):
    help = "Data keys: `rotate PURPOSE` adds a key version; older versions keep opening old data."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["rotate"])
        parser.add_argument("purpose", help="e.g. person.id_number")

    def handle(self, *args, action, purpose, **options):
        key = keys.rotate(purpose)
        self.stdout.write(f"{key.purpose} now at version {key.version}")
