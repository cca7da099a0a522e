"""yiwang catalog_import PATH — run by an operator on the server, acting as SYSTEM."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.catalog import transfer
from yiwang.catalog.permissions import SYSTEM
from yiwang.core.errors import DomainError


class Command(BaseCommand):
    help = "从 xlsx 或 JSON 文件导入事项目录；有任何错误则逐条列出且不写入任何数据。"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="xlsx 或 JSON 文件（按扩展名识别）")

    def handle(self, *args, path: Path, **options):
        try:
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"无法读取文件 {path}：{error.strerror}") from error
        try:
            summary = transfer.import_catalog(data, filename=path.name, actor=SYSTEM)
        except DomainError as error:
            for problem in error.errors:
                self.stderr.write(problem.message)
            raise CommandError(error.title) from error
        self.stdout.write(f"导入完成。{summary}")
