"""Uploaded materials, stored once per content and named by its SM3 digest.

The type is read from the bytes, never from the file name or the client's Content-Type: a
renamed executable is refused whatever it is called. Accepted are the formats a window can
print and a license can be issued in: PDF, JPEG, PNG and OFD (GB/T 33190, a ZIP package
with OFD.xml at its root). Blobs go to Django's default storage (local disk when embedded,
S3-compatible in production) at materials/<sm3[:2]>/<sm3[2:4]>/<sm3>; the same bytes
uploaded by a thousand applicants are one blob and one StoredFile row.
"""

from __future__ import annotations

import io
import zipfile

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.http import FileResponse
from django.utils.http import content_disposition_header

from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import DomainError
from yiwang.core.models import StoredFile

__all__ = ["ACCEPTED", "FileDamaged", "StoredFile", "keep", "open_stream", "read", "store"]

ACCEPTED = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/ofd": "ofd",
}
_SIGNATURES = [
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
]
_ZIP_SIGNATURE = b"PK\x03\x04"
_MIB = 1024 * 1024


class FileDamaged(Exception):
    """A blob no longer matches its SM3 name: the storage was altered behind the platform."""


def _is_ofd(data: bytes) -> bool:
    """A ZIP whose root holds OFD.xml. Only the central directory is read, never an entry, so
    a zip bomb costs nothing."""
    if not data.startswith(_ZIP_SIGNATURE):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            return "OFD.xml" in package.namelist()
    except (zipfile.BadZipFile, ValueError, EOFError, OSError):
        return False


def sniff(data: bytes) -> str | None:
    """The content type of `data` from its first bytes, or None when it is not accepted."""
    for signature, content_type in _SIGNATURES:
        if data.startswith(signature):
            return content_type
    return "application/ofd" if _is_ofd(data) else None


def _checked_type(data: bytes, name: str, field: str) -> str:
    if not data:
        raise DomainError.of(field, f"“{name}”文件为空")
    limit = settings.MAX_UPLOAD_BYTES
    if len(data) > limit:
        raise DomainError.of(field, f"“{name}”超过 {limit / _MIB:.4g} MB 的大小上限")
    content_type = sniff(data)
    if content_type is None:
        raise DomainError.of(field, f"“{name}”的文件类型不受支持，请上传 PDF、JPG、PNG 或 OFD 文件")
    return content_type


def _write_blob(storage_name: str, data: bytes) -> None:
    if default_storage.exists(storage_name):
        return
    saved = default_storage.save(storage_name, ContentFile(data))
    if saved != storage_name:  # another process wrote it first; the storage renamed ours
        default_storage.delete(saved)


def store(data: bytes, *, name: str, field: str = "file") -> StoredFile:
    """Check and keep `data`; the same bytes give the same StoredFile. `name` is only for the
    messages: a name whose extension contradicts the content is fine, the content wins."""
    content_type = _checked_type(data, name, field)
    return keep(data, content_type=content_type, extension=ACCEPTED[content_type])


def keep(data: bytes, *, content_type: str, extension: str) -> StoredFile:
    """Keep bytes whose type the caller has established itself (a spreadsheet it parsed),
    content-addressed like every stored file; `store` is the way for what users upload."""
    stored = StoredFile(
        sm3=sm3_hex(data), size=len(data), content_type=content_type, extension=extension
    )
    # The blob first: a row must never point at nothing; a blob without a row is harmless.
    _write_blob(stored.storage_name, data)
    # One round trip: the same digest is the same content, so an existing row is this row.
    StoredFile.objects.bulk_create([stored], ignore_conflicts=True)
    return stored


def read(stored: StoredFile) -> bytes:
    """The file's bytes, checked against its SM3 name."""
    with default_storage.open(stored.storage_name, "rb") as blob:
        data = blob.read()
    if sm3_hex(data) != stored.sm3:
        raise FileDamaged(f"{stored.storage_name} does not match its SM3 digest")
    return data


def open_stream(stored: StoredFile) -> File:
    """An open file from the storage, for streaming responses; the caller closes it."""
    return default_storage.open(stored.storage_name, "rb")


def attachment_response(stored: StoredFile, filename: str) -> FileResponse:
    """A stored file as a download: its sniffed type, the given name (RFC 6266, UTF-8), and no
    browser guessing, so an upload can never be rendered as a page of this site."""
    response = FileResponse(open_stream(stored), content_type=stored.content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"  # personal documents stay out of caches
    response["Content-Length"] = str(stored.size)
    return response
