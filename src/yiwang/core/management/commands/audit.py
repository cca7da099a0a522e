from django.core.management.base import BaseCommand, CommandError

from yiwang.core import audit


class Command(BaseCommand):
    help = "Audit trail: `verify` walks the SM3 chain; `anchor` writes the head's hash down."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor"])

    def handle(self, *args, action, **options):
        if action == "anchor":
            written = audit.anchor()
            self.stdout.write(f"anchored #{written.sequence} {written.hash}")
            return
        verdict = audit.verify()
        if not verdict.ok:
            raise CommandError(verdict.message)
        self.stdout.write(verdict.message)
