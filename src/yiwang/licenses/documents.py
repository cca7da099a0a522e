"""The license as its holder carries it: the signed JSON document, the PDF, and the
verification code printed on both.

- Verification code (验证码): 8 characters derived from the identifier by HMAC-SM3 under the
  `license.verification_code` blind-index key (core.keys), written in an alphabet without the
  characters people confuse (0/O, 1/I). Identifier plus code open the public verification
  page; the identifier alone does not, so sequential serials cannot be walked. The code is
  never stored: it is recomputed, and only this platform's key can compute it.
- JSON: `SignedLicense.to_document()` with the type's and issuer's names beside it for people
  to read. Those names are not signed; verification reads only the signed part.
- PDF: A4, drawn with reportlab in the built-in CID font STSong-Light (no font file, no image
  library): the type's title, holder, data fields in display order with their Chinese
  titles, issuer, validity, identifier and code, the agency's seal (seal_image) and a QR code
  of the verification URL. The signed JSON rides inside as an embedded file (PDF attachment,
  the way PDF/A-3 carries the data of an e-invoice), so an uploaded PDF verifies offline
  without reading the printed text.
"""

from __future__ import annotations

import copy
import functools
import hmac
import io
import json
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from pypdf import PdfReader, PdfWriter
from reportlab.graphics import renderPDF
from reportlab.lib.colors import Color
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

from yiwang.cases.notices import FONT, qr_modules, wrap_text
from yiwang.core.errors import DomainError
from yiwang.core.keys import Sealer
from yiwang.licenses import identifiers, license_data, seal_image, services
from yiwang.licenses.constants import HolderKind
from yiwang.licenses.models import License

VERIFICATION_CODE_PURPOSE = "license.verification_code"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: no 0, 1, I, O
CODE_LENGTH = 8  # 40 bits
CODE_REFUSAL = "验证码应为8位字母或数字（不含数字0、1和字母I、O）"
VERIFY_PATH = "/licenses/verify/"

ATTACHMENT_NAME = "yiwang-signed-license.json"
MAX_ATTACHMENT_BYTES = 512 * 1024  # a signed license is a few KB; more is not one of ours
PDF_REFUSAL = "该 PDF 不是电子证照文件（未含签名数据），请上传从证照平台下载的 PDF 或 JSON 文件"

HOLDER_ID_LABEL = {HolderKind.PERSON: "公民身份号码", HolderKind.ORGANIZATION: "统一社会信用代码"}


# --- the verification code ------------------------------------------------------------------


@functools.cache
def _code_sealer() -> Sealer:
    """One per process: the index key never changes once made, so it is unwrapped once."""
    return Sealer(VERIFICATION_CODE_PURPOSE)


def verification_code(identifier: str) -> str:
    """The license's verification code: deterministic, 8 characters of CODE_ALPHABET."""
    normalized = str(identifiers.parse_identifier(identifier))
    number = int(_code_sealer().index(normalized)[:10], 16)  # the first 40 bits
    symbols = []
    for _ in range(CODE_LENGTH):
        number, symbol = divmod(number, len(CODE_ALPHABET))
        symbols.append(CODE_ALPHABET[symbol])
    return "".join(reversed(symbols))


def normalize_code(code: str, *, field: str = "code") -> str:
    """A code as people type it (lower case, spaces, a dash) in its printed form, or refused."""
    text = "".join((code or "").split()).replace("-", "").upper()
    if len(text) != CODE_LENGTH or any(char not in CODE_ALPHABET for char in text):
        raise DomainError.of(field, CODE_REFUSAL)
    return text


def code_matches(identifier: str, code: str) -> bool:
    """Constant-time comparison, so timing tells nothing about how much of a code was right."""
    return hmac.compare_digest(verification_code(identifier), code)


def verification_url(identifier: str, code: str | None = None) -> str:
    """The public page that verifies this license at once (printed as the QR code)."""
    query = urlencode({"id": identifier, "code": code or verification_code(identifier)})
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{VERIFY_PATH}?{query}"


# --- the signed JSON document ---------------------------------------------------------------


def license_title(license: License) -> str:
    return (license.license_type.display_hints or {}).get("title") or license.license_type.name


def license_document(license: License, keyring: services.Keyring | None = None) -> dict:
    """The portable signed license (JSON download) with names for people to read beside it.
    Only `format`, `license` and `signature` are verified; the rest is not signed."""
    signed = services.signed_license_of(license, keyring=keyring)
    # A copy: the payload shares the row's data dict, which a caller must not change by it.
    document = copy.deepcopy(signed.to_document())
    code = verification_code(license.identifier)
    document.update(
        type_name=license_title(license),
        issuer_name=license.issuer.name,
        field_titles={
            name: license_data.field_title(license.license_type.data_schema, name)
            for name in signed.payload["data"]
        },
        verification_code=code,
        verification_url=verification_url(license.identifier, code),
    )
    return document


def _document_bytes(document: dict) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode()


# --- the PDF ------------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT = 25 * mm, PAGE_WIDTH - 25 * mm
LABEL_WIDTH = 38 * mm
VALUE_LEFT = LEFT + LABEL_WIDTH
BODY_SIZE = 12
LINE = 7 * mm
SMALL = 9
QR_SIZE = 30 * mm
BOTTOM = 20 * mm
FOOT_TOP = BOTTOM + QR_SIZE + 8 * mm  # rows stop above the QR code and the seal
FRAME = Color(0.62, 0.12, 0.10)


def display_value(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(display_value(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def masked_text(text: str) -> str:
    """张三 → 张*: a person's name where the public looks (the first character stays)."""
    return text[:1] + "*" * (len(text) - 1)


def display_fields(license_type, data: dict, *, public: bool = False) -> list[tuple[str, str, str]]:
    """(name, Chinese title, text) of each data field: the display order first, then the rest
    in the schema's order, then anything else the data holds. `public`: the fields the type
    marks personal (a person's name in the data) are masked, as the holder's name is."""
    schema = license_type.data_schema or {}
    hints = license_type.display_hints or {}
    order = list(hints.get("order") or [])
    order += [name for name in schema.get("properties") or {} if name not in order]
    order += [name for name in data if name not in order]
    personal = set(hints.get("personal") or []) if public else set()
    rows = []
    for name in order:
        if name in data and data[name] not in (None, ""):
            text = display_value(data[name])
            shown = masked_text(text) if name in personal else text
            rows.append((name, license_data.field_title(schema, name), shown))
    return rows


def chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def validity_text(valid_from: date, valid_until: date | None) -> str:
    if valid_until is None:
        return f"自{chinese_date(valid_from)}起长期有效"
    return f"{chinese_date(valid_from)}至{chinese_date(valid_until)}"


def _rows(license: License, payload: dict) -> list[tuple[str, str]]:
    rows = [
        ("持证主体", payload["holder_name"]),
        (HOLDER_ID_LABEL[license.holder_kind], payload["holder_id"]),
    ]
    rows += [
        (title, text) for _name, title, text in display_fields(license.license_type, license.data)
    ]
    rows += [
        ("发证机关", license.issuer.name),
        ("发证日期", chinese_date(license.issued_on)),
        ("有效期限", validity_text(license.valid_from, license.valid_until)),
    ]
    return rows


class _Page:
    """Rows flow down the page; a full page continues on the next one, framed again."""

    def __init__(self, canvas: Canvas, title: str) -> None:
        self.canvas, self.title = canvas, title
        self.y = 0.0
        self._start()

    def _start(self) -> None:
        canvas = self.canvas
        canvas.setStrokeColor(FRAME)
        canvas.setLineWidth(2)
        canvas.rect(12 * mm, 12 * mm, PAGE_WIDTH - 24 * mm, PAGE_HEIGHT - 24 * mm)
        canvas.setLineWidth(0.6)
        canvas.rect(14 * mm, 14 * mm, PAGE_WIDTH - 28 * mm, PAGE_HEIGHT - 28 * mm)
        canvas.setFillGray(0)
        canvas.setFont(FONT, 26)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 42 * mm, self.title)
        canvas.setFont(FONT, SMALL + 2)
        canvas.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 50 * mm, "（电子证照）")
        self.y = PAGE_HEIGHT - 66 * mm

    def row(self, label: str, value: str) -> None:
        lines = wrap_text(value, size=BODY_SIZE, width=RIGHT - VALUE_LEFT) or [""]
        if self.y - LINE * len(lines) < FOOT_TOP:
            self.canvas.showPage()
            self._start()
        self.canvas.setFont(FONT, BODY_SIZE)
        self.canvas.drawString(LEFT, self.y, label)
        for line in lines:
            self.canvas.drawString(VALUE_LEFT, self.y, line)
            self.y -= LINE
        self.y -= 1.5 * mm


def _draw_qr(canvas: Canvas, url: str) -> None:
    modules = qr_modules(url)
    count = 1 + max(max(col, row) for col, row in modules)
    size = QR_SIZE / count
    top = BOTTOM + QR_SIZE
    path = canvas.beginPath()
    for col, row in modules:
        path.rect(LEFT + col * size, top - (row + 1) * size, size, size)
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1, fillMode=FILL_NON_ZERO)
    canvas.setFont(FONT, SMALL)
    canvas.drawCentredString(LEFT + QR_SIZE / 2, BOTTOM - 5 * mm, "扫码核验")


def _draw_footer(canvas: Canvas, license: License, code: str) -> None:
    text_left = LEFT + QR_SIZE + 6 * mm
    canvas.setFillGray(0)
    canvas.setFont(FONT, SMALL)
    lines = [
        "证照标识：",
        license.identifier,
        f"验证码：{code}",
        f"核验网址：{settings.PUBLIC_BASE_URL.rstrip('/')}{VERIFY_PATH}",
        "本证照经电子印章签章，可凭证照标识和验证码或上传本文件在线核验。",
    ]
    y = BOTTOM + QR_SIZE - 3 * mm
    for line in lines:
        for part in wrap_text(line, size=SMALL, width=RIGHT - text_left):
            canvas.drawString(text_left, y, part)
            y -= 4.6 * mm
    seal = license.seal
    drawing = seal_image.seal_drawing(agency_name=seal.agency.name, seal_name=seal.name)
    # Pressed over the issuer and date as on paper, clear of the QR code and the footer text.
    renderPDF.draw(drawing, canvas, RIGHT - drawing.width, FOOT_TOP + 2 * mm)


def _render(license: License, payload: dict, code: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=1)
    title = license_title(license)
    canvas.setTitle(f"{title} {license.identifier}")
    canvas.setAuthor(license.issuer.name)
    canvas.setSubject(f"{title}（{license.holder_name}）")
    canvas.setKeywords(license.identifier)
    canvas.setCreator("一网")
    page = _Page(canvas, title)
    for label, value in _rows(license, payload):
        page.row(label, value)
    _draw_footer(canvas, license, code)
    _draw_qr(canvas, verification_url(license.identifier, code))
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def license_pdf(license: License, keyring: services.Keyring | None = None) -> bytes:
    """The license as an A4 PDF with its seal and QR code, the signed JSON embedded. Pass a row
    with license_type, issuer, seal and seal__agency selected."""
    document = license_document(license, keyring=keyring)
    drawn = _render(license, document["license"], document["verification_code"])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(drawn)))
    writer.add_attachment(ATTACHMENT_NAME, _document_bytes(document))
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


# --- reading an uploaded PDF back ---------------------------------------------------------------


def _attachments(data: bytes) -> dict[str, list[bytes]]:
    try:
        return dict(PdfReader(io.BytesIO(data), strict=False).attachments)
    except Exception as error:  # a hostile file may break the parser in any way
        raise DomainError.of("file", "PDF 文件已损坏或无法读取") from error


def signed_document_from_pdf(data: bytes) -> dict:
    """The signed license document a license PDF carries, or a DomainError (on `file`) saying
    why the file is not one."""
    if not data.startswith(b"%PDF-"):
        raise DomainError.of("file", "文件不是 PDF")
    contents = _attachments(data).get(ATTACHMENT_NAME) or []
    if not contents:
        raise DomainError.of("file", PDF_REFUSAL)
    raw = contents[0]
    if len(raw) > MAX_ATTACHMENT_BYTES:
        raise DomainError.of("file", PDF_REFUSAL)
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise DomainError.of("file", "PDF 中的电子证照数据已损坏") from error
    if not isinstance(document, dict):
        raise DomainError.of("file", "PDF 中的电子证照数据已损坏")
    return document
