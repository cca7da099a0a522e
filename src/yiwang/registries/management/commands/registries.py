import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from yiwang.registries.generate import generate


class ProgressLines:
    """A line each time another `every` records of a kind are done, with the overall rate."""

    def __init__(self, write, every: int) -> None:
        self.write, self.every = write, every
        self.started = time.monotonic()
        self.done: dict[str, int] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        step = self.done.get(what, 0) // self.every
        self.done[what] = done
        if done // self.every > step or done == total:
            elapsed = time.monotonic() - self.started
            rate = sum(self.done.values()) / max(elapsed, 1e-9)
            self.write(f"{what} {done:,}/{total:,}  {elapsed:.1f}s  {rate:,.0f} records/s")


class Command(BaseCommand):
    help = "Base registries: `generate` synthetic valid persons and organizations (seeded)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["generate"])
        parser.add_argument("--persons", type=int, default=500)
        parser.add_argument("--organizations", type=int, default=100)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--progress-every", type=int, default=100_000, help="records between progress lines"
        )

    def handle(self, *args, action, persons, organizations, seed, progress_every, **options):
        if settings.PROFILE == "production":
            raise CommandError("synthetic registry records are not generated in production")
        if progress_every < 1:
            raise CommandError("--progress-every must be at least 1")
        started = time.monotonic()
        stats = generate(
            persons,
            organizations,
            seed=seed,
            progress=ProgressLines(self.stdout.write, progress_every),
        )
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"persons +{stats.persons:,}, organizations +{stats.organizations:,}: "
            f"{stats.drawn:,} records in {elapsed:.1f}s "
            f"({stats.drawn / max(elapsed, 1e-9):,.0f} records/s)"
        )
