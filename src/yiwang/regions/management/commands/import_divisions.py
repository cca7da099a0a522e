from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.errors import DomainError
from yiwang.regions.services import import_divisions, read_divisions_csv


class Command(BaseCommand):
    help = "Import administrative divisions from a code,name,level,parent_code CSV (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--dataset", required=True, help="edition label, e.g. NBS-2020")

    def handle(self, *args, path, dataset, **options):
        try:
            stats = import_divisions(read_divisions_csv(path), dataset=dataset)
        except DomainError as error:
            raise CommandError(error.detail) from error
        self.stdout.write(
            f"created {stats.created}, updated {stats.updated}, unchanged {stats.unchanged}"
        )
