"""yiwang catalog_export --format xlsx|json [--region CODE] PATH"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.catalog import transfer
from yiwang.core.errors import DomainError


class Command(BaseCommand):
    help = "导出事项目录（基本目录和实施清单的现行发布版本）为 xlsx 或 JSON 文件。"

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="输出文件路径")
        parser.add_argument(
            "--format", dest="file_format", choices=["xlsx", "json"], help="默认取文件扩展名"
        )
        parser.add_argument("--region", default="", help="只导出该区划（代码或数字前缀）的实施清单")

    def handle(self, *args, path: Path, file_format: str | None, region: str, **options):
        file_format = file_format or path.suffix.lower().lstrip(".")
        try:
            exported = transfer.export_file(file_format=file_format, region=region)
        except DomainError as error:
            raise CommandError(error.detail) from error
        path.write_bytes(exported.content)
        self.stdout.write(f"已导出到 {path}（{len(exported.content)} 字节）")
