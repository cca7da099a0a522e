"""Uploaded materials: type from the content, size limit, one blob per content, read back."""

import io
import zipfile

import pytest
from django.core.files.storage import default_storage

from yiwang.core import files
from yiwang.core.crypto import sm3_hex
from yiwang.core.errors import DomainError
from yiwang.core.files import StoredFile

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01" + b"\x00" * 16 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode"


def zipped(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name in names:
            package.writestr(name, b"<?xml version='1.0' encoding='UTF-8'?><ofd:OFD/>")
    return buffer.getvalue()


OFD = zipped("OFD.xml", "Doc_0/Document.xml")


@pytest.fixture(autouse=True)
def fresh_storage(settings):
    """An empty in-memory storage per test, so blob counts are this test's."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }


@pytest.mark.parametrize(
    ("data", "content_type", "extension"),
    [
        (PDF, "application/pdf", "pdf"),
        (JPEG, "image/jpeg", "jpg"),
        (PNG, "image/png", "png"),
        (OFD, "application/ofd", "ofd"),
    ],
)
def test_each_accepted_type_is_stored_and_read_back(data, content_type, extension):
    stored = files.store(data, name=f"营业执照.{extension}")
    assert (stored.content_type, stored.extension, stored.size) == (
        content_type,
        extension,
        len(data),
    )
    assert stored.sm3 == sm3_hex(data)
    assert stored.storage_name == f"materials/{stored.sm3[:2]}/{stored.sm3[2:4]}/{stored.sm3}"
    assert files.read(stored) == data
    with files.open_stream(stored) as stream:
        assert stream.read() == data


def test_the_content_decides_not_the_name():
    stored = files.store(PNG, name="scan.pdf")
    assert stored.extension == "png"


def test_a_renamed_executable_is_refused_naming_the_field():
    with pytest.raises(DomainError) as refused:
        files.store(EXE, name="x.pdf", field="materials.0.file")
    [error] = refused.value.errors
    assert error.field == "materials.0.file"
    assert error.message == "“x.pdf”的文件类型不受支持，请上传 PDF、JPG、PNG 或 OFD 文件"
    assert not StoredFile.objects.exists()


def test_a_zip_without_ofd_xml_is_refused():
    with pytest.raises(DomainError, match="文件类型不受支持"):
        files.store(zipped("word/document.xml", "Doc_0/OFD.xml"), name="申请表.ofd")
    with pytest.raises(DomainError, match="文件类型不受支持"):
        files.store(b"PK\x03\x04 truncated", name="坏包.ofd")


def test_an_empty_file_is_refused():
    with pytest.raises(DomainError, match=r"“空\.pdf”文件为空"):
        files.store(b"", name="空.pdf")


def test_the_size_limit(settings):
    settings.MAX_UPLOAD_BYTES = 1024 * 1024
    files.store(PDF.ljust(1024 * 1024, b" "), name="刚好.pdf")
    with pytest.raises(DomainError) as refused:
        files.store(PDF.ljust(1024 * 1024 + 1, b" "), name="太大.pdf", field="file")
    assert str(refused.value) == "file：“太大.pdf”超过 1 MB 的大小上限"


def test_the_same_content_twice_is_one_file_and_one_blob():
    first = files.store(PDF, name="a.pdf")
    second = files.store(PDF, name="b.pdf")
    assert first.pk == second.pk
    assert StoredFile.objects.count() == 1
    folder = f"materials/{first.sm3[:2]}/{first.sm3[2:4]}"
    assert default_storage.listdir(folder) == ([], [first.sm3])


def test_a_missing_blob_is_written_again():
    stored = files.store(PDF, name="a.pdf")
    default_storage.delete(stored.storage_name)
    files.store(PDF, name="a.pdf")
    assert files.read(stored) == PDF


def test_a_damaged_blob_is_noticed_on_read():
    stored = files.store(PDF, name="a.pdf")
    default_storage.delete(stored.storage_name)
    default_storage.save(stored.storage_name, io.BytesIO(PDF + b"tampered"))
    with pytest.raises(files.FileDamaged):
        files.read(stored)
