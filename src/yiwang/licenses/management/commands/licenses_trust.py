"""互认共享 from the command line: recognize another platform by importing its trust list, and
keep it current; show (or rotate) the key our own trust list is signed with.

    yiwang licenses_trust add NAME --url https://other.example/.well-known/yiwang-trust-list.json \
        --key-id KEY_ID                          # the id the other platform gave out of band
    yiwang licenses_trust add NAME --file their-trust-list.json --key-id KEY_ID
    yiwang licenses_trust refresh [NAME …]       # every platform with an address when none named
    yiwang licenses_trust list
    yiwang licenses_trust key [--rotate]         # our key id, to give to platforms recognizing us
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yiwang.core.errors import DomainError
from yiwang.licenses import verification
from yiwang.licenses.models import ForeignPlatform

ACTOR = "licenses_trust"


class Command(BaseCommand):
    help = "互认共享: import (add), refresh or list other platforms' trust lists."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="recognize a platform from its trust list")
        add.add_argument("name", help="the platform's name, e.g. 湖北政务服务平台")
        source = add.add_mutually_exclusive_group(required=True)
        source.add_argument("--url", help="the trust list's address (https)")
        source.add_argument("--file", help="a trust list saved as JSON")
        add.add_argument(
            "--key-id",
            default="",
            help="the id of the key the platform signs its list with, as it told you (required "
            "for a new platform; for a known one, pins a new key)",
        )
        refresh = actions.add_parser("refresh", help="fetch trust lists again from their URLs")
        refresh.add_argument("names", nargs="*", help="platforms to refresh (default: all)")
        actions.add_parser("list", help="the recognized platforms")
        key = actions.add_parser("key", help="the key our trust list is signed with")
        key.add_argument("--rotate", action="store_true", help="sign with a new key from now on")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as error:
            raise CommandError(error.detail) from error

    def _add(self, *, name, key_id, url=None, file=None, **options):
        if url:
            document = verification.fetch_trust_list(url)
        else:
            try:
                data = Path(file).read_bytes()
            except OSError as error:
                raise CommandError(f"无法读取文件 {file}：{error.strerror}") from error
            document = verification.parse_trust_list(data)
        done = verification.import_trust_list(
            name=name, document=document, actor=ACTOR, url=url or "", key_id=key_id
        )
        self._report(done)

    def _refresh(self, *, names, **options):
        platforms = ForeignPlatform.objects.exclude(trust_list_url="").order_by("name")
        if names:
            platforms = platforms.filter(name__in=names)
            missing = sorted(set(names) - {p.name for p in platforms})
            if missing:
                raise CommandError(f"没有登记信任列表地址的互认平台：{'、'.join(missing)}")
        failed = []
        for platform in platforms:
            try:
                self._report(verification.refresh_platform(platform, actor=ACTOR))
            except DomainError as error:
                failed.append(platform.name)
                self.stderr.write(f"{platform.name}：{error.detail}")
        if failed:
            raise CommandError(f"{len(failed)} 个平台未能更新：{'、'.join(failed)}")

    def _list(self, **options):
        for platform in ForeignPlatform.objects.order_by("name"):
            state = "信任中" if platform.active else "已停止信任"
            seals = platform.seals.count()
            signer = platform.signer_key_id or "未登记签名密钥"
            self.stdout.write(
                f"{platform.name}\t{state}\t{seals} 枚印章\t{platform.trust_list_url or '-'}"
                f"\t{signer}"
            )

    def _key(self, *, rotate, **options):
        if rotate:
            key = verification.rotate_trust_list_key(actor=ACTOR)
        else:
            key = verification.current_trust_list_key()
        self.stdout.write(f"本平台信任列表签名密钥标识：{key.key_id}")
        self.stdout.write(key.public_key_pem.strip())

    def _report(self, done: verification.TrustImport) -> None:
        self.stdout.write(
            f"{done.platform.name}：信任列表共 {done.seals} 枚印章"
            f"（新增 {done.added}，更新 {done.updated}，移除 {done.removed}）"
        )
