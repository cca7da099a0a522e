import time

from django.core.management.base import BaseCommand

from yiwang.core.events import deliver_pending


class Command(BaseCommand):
    help = "Deliver outbox events to their consumers (the production task worker)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="deliver what is due, then exit")
        parser.add_argument("--idle", type=float, default=1.0, help="seconds to sleep when idle")

    def handle(self, *args, once, idle, **options):
        while True:
            delivered = deliver_pending()
            if once and not delivered:
                return
            if not delivered:
                time.sleep(idle)
