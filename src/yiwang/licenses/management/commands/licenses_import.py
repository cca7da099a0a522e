"""`yiwang licenses_import FILE --type CODE --seal KEY_ID --actor NAME`: 存量转换 of one file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.errors import DomainError
from yiwang.licenses import stock
from yiwang.licenses.constants import ImportStatus
from yiwang.licenses.models import LicenseType, Seal


class Command(BaseCommand):
    help = (
        "Import licenses issued before the platform from a CSV (UTF-8) or xlsx file, signed "
        "with the given seal: every row or none. Prints the batch's report; exits 1 if refused."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8, with or without BOM) or xlsx")
        parser.add_argument("--type", required=True, dest="type_code", help="license type code")
        parser.add_argument("--seal", required=True, dest="key_id", help="the seal's key id")
        parser.add_argument("--actor", required=True, help="who imports (audited)")

    def handle(self, *args, file, type_code, key_id, actor, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"文件不存在：{file}")
        license_type = LicenseType.objects.filter(code=type_code.strip().upper()).first()
        if license_type is None:
            raise CommandError(f"证照类型 {type_code} 不存在")
        seal = Seal.objects.select_related("agency").filter(key_id=key_id.strip().lower()).first()
        if seal is None:
            raise CommandError(f"印章 {key_id} 不存在")
        try:
            batch = stock.import_licenses(
                data=path.read_bytes(),
                filename=path.name,
                license_type=license_type,
                seal=seal,
                actor=actor,
            )
        except DomainError as error:
            raise CommandError(error.detail) from error
        for line in stock.report_lines(batch):
            self.stdout.write(line)
        if batch.status != ImportStatus.IMPORTED:
            raise CommandError(f"文件有错误，未导入任何证照（导入批次 {batch.pk}）")
