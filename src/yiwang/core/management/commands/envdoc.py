from django.conf import settings
from django.core.management.base import BaseCommand

from yiwang.core.config import DECLARED


class Command(BaseCommand):
    help = "Print the environment reference (a Markdown table) generated from core.config."

    def handle(self, *args, **options):
        self.stdout.write("| variable | default | meaning |\n|---|---|---|")
        for variable in sorted(DECLARED.values(), key=lambda v: v.name):
            shown = str(variable.default).replace(str(settings.BASE_DIR), "$YIWANG_HOME")
            default = "(required)" if variable.default is None else f"`{shown}`"
            self.stdout.write(f"| `{variable.name}` | {default} | {variable.help} |")
