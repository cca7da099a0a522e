"""The written notices of a case, as PDF: acceptance, refusal, correction and the decision.

Why they read as they do (行政许可法):
- Art. 32: acceptance and refusal are given in writing, dated and sealed; a refusal cites the
  reason. Faults in the materials are told all at once (一次性告知), so the correction notice
  numbers every fault, and the time limit runs from the day the complete materials arrive.
- Art. 38: a denial states its reasons and the applicant's rights to 行政复议 (60 days,
  行政复议法 Art. 20) and 行政诉讼 (6 months, 行政诉讼法 Art. 46); a refusal to accept says the
  same. Art. 44: the license follows within 10 days of an approval.

The PDF uses reportlab's built-in CID font STSong-Light, so no font file ships with the project,
and the QR code (the public progress page) is drawn as vector squares, so no image library is
needed. Layout is done first (pages of positioned lines), drawing second, so the footer can
say "第 n 页 共 m 页" and the QR code lands on the last page.
"""

from __future__ import annotations

import enum
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlsplit

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import FILL_NON_ZERO, Canvas

FONT = "STSong-Light"


class NoticeKind(enum.Enum):
    ACCEPTANCE = "受理通知书"
    REJECTION = "不予受理通知书"
    CORRECTION = "补正材料告知书"
    DECISION_APPROVED = "准予行政许可决定书"
    DECISION_DENIED = "不予行政许可决定书"


# Kinds that refuse something: the law asks for the reason and the applicant's remedies.
_ADVERSE = {NoticeKind.REJECTION, NoticeKind.DECISION_DENIED}


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    case_number: str
    applicant: str  # a person's name or an organization's name
    applicant_id_masked: str  # masked ID number or USCC
    item_name: str
    agency: str  # the issuing agency's name
    issued_on: date
    progress_url: str  # absolute URL of the public progress page; encoded in the QR code
    body: Sequence[str] = ()  # paragraphs specific to this notice
    faults: Sequence[str] = ()  # CORRECTION: every fault, numbered (一次性告知)
    basis: str = ""  # legal basis or reason (refusal, decisions)
    deadline: date | None = None  # promised decision date (acceptance) or correction deadline
    reference: str = ""  # 文号, e.g. 芙市监受〔2026〕123号

    def __post_init__(self) -> None:
        if self.kind is NoticeKind.CORRECTION and not self.faults:
            raise ValueError("a correction notice lists every fault at once (一次性告知)")
        if self.kind in _ADVERSE and not self.basis.strip():
            raise ValueError(f"a {self.kind.value} must state its reason (行政许可法 Art. 32, 38)")
        url = urlsplit(self.progress_url)
        if url.scheme not in ("http", "https") or not url.netloc:
            raise ValueError("progress_url must be an absolute http(s) URL")


# --- Chinese dates -------------------------------------------------------------------------

_DIGITS = "〇一二三四五六七八九"


def _chinese_count(n: int) -> str:
    """1–99 the way dates write them: 十, 十一, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _DIGITS[ones]
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def chinese_date(day: date) -> str:
    """2026-11-22 → 二〇二六年十一月二十二日 (the year digit by digit, month and day counted)."""
    year = "".join(_DIGITS[int(d)] for d in str(day.year))
    return f"{year}年{_chinese_count(day.month)}月{_chinese_count(day.day)}日"


# --- QR code -------------------------------------------------------------------------------


def qr_modules(url: str) -> list[tuple[int, int]]:
    """Dark modules of the QR code for `url`, as (column, row) with row 0 at the top.

    segno.make_qr is segno.make without Micro QR, which a short URL would otherwise get and
    which most phone cameras cannot read.
    """
    matrix = segno.make_qr(url).matrix
    return [
        (col, row) for row, cells in enumerate(matrix) for col, dark in enumerate(cells) if dark
    ]


# --- Text wrapping -------------------------------------------------------------------------


@functools.cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


# Chinese line-breaking rules (禁则): these never start a line (they hang in the margin
# instead), and those never end one (they move down with the next character).
_NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…,.;:?!)]}%")
_NO_LINE_END = set("（《「『【〔〈“‘([{")


def wrap_text(
    text: str, *, size: float, width: float, first_width: float | None = None
) -> list[str]:
    """Break `text` into lines no wider than `width` points (the first: `first_width`).

    Chinese has no spaces to break at, so this measures character by character. Closing
    punctuation hangs past the width rather than starting a line; "\\n" forces a break.
    """
    _register_font()
    lines: list[str] = []
    line, line_width = "", 0.0
    available = width if first_width is None else first_width
    for char in text:
        if char == "\n":
            lines.append(line)
            line, line_width, available = "", 0.0, width
            continue
        char_width = pdfmetrics.stringWidth(char, FONT, size)
        if not line or line_width + char_width <= available or char in _NO_LINE_START:
            line, line_width = line + char, line_width + char_width
            continue
        kept = line.rstrip("".join(_NO_LINE_END)) or line
        carried = line[len(kept) :]
        lines.append(kept)
        line = (carried + char).lstrip(" ")
        line_width = pdfmetrics.stringWidth(line, FONT, size)
        available = width
    lines.append(line)
    return lines


# --- The standard wording --------------------------------------------------------------------

_LAW = "《中华人民共和国行政许可法》"
_REMEDIES = (
    "如不服本{what}，可以自收到本{what}之日起六十日内依照《中华人民共和国行政复议法》的规定"
    "申请行政复议，或者自收到本{what}之日起六个月内依照《中华人民共和国行政诉讼法》的规定"
    "向人民法院提起行政诉讼。"
)


def _reason(basis: str) -> str:
    return basis.strip().rstrip("。；;.")


def _standard_paragraphs(notice: Notice) -> list[str]:
    applied = f"你（单位）提交的“{notice.item_name}”申请"
    kind = notice.kind
    if kind is NoticeKind.ACCEPTANCE:
        when = (
            f"我机关将于{chinese_date(notice.deadline)}前作出决定。"
            if notice.deadline
            else "我机关将在法定期限内作出决定。"
        )
        return [
            f"{applied}，经审查，申请材料齐全、符合法定形式，根据{_LAW}第三十二条第一款"
            f"第（五）项的规定，决定予以受理。{when}"
        ]
    if kind is NoticeKind.REJECTION:
        return [
            f"{applied}，经审查，{_reason(notice.basis)}。根据{_LAW}第三十二条第一款的规定，"
            "决定不予受理。",
            _REMEDIES.format(what="通知"),
        ]
    if kind is NoticeKind.CORRECTION:
        return [f"经审查，{applied}的材料存在以下问题，请一次性补正："]
    if kind is NoticeKind.DECISION_APPROVED:
        reason = _reason(notice.basis) or "申请符合法定条件、标准"
        return [
            f"{applied}，我机关已依法受理。经审查，{reason}。根据{_LAW}第三十八条第一款的规定，"
            "决定准予行政许可。",
            "需要颁发行政许可证件的，我机关将自本决定作出之日起十日内向你（单位）颁发、送达。",
        ]
    return [
        f"{applied}，我机关已依法受理。经审查，{_reason(notice.basis)}。根据{_LAW}第三十八条"
        "第二款的规定，决定不予行政许可。",
        _REMEDIES.format(what="决定"),
    ]


def _correction_closing(notice: Notice) -> str:
    by = f"请于{chinese_date(notice.deadline)}前" if notice.deadline else "请"
    return (
        f"根据{_LAW}第三十二条第一款第（四）项的规定，特此一次性告知。{by}补正上述全部材料；"
        "补正的材料齐全、符合法定形式的，我机关予以受理，办理期限自收到全部补正材料之日起计算。"
    )


# --- Layout ----------------------------------------------------------------------------------

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT = 26 * mm, PAGE_WIDTH - 26 * mm
TOP, BOTTOM = PAGE_HEIGHT - 24 * mm, 22 * mm
TEXT_WIDTH = RIGHT - LEFT
BODY_SIZE, LEADING = 12.0, 22.0
INDENT = 2 * BODY_SIZE  # two characters, as Chinese paragraphs start
QR_SIZE = 30 * mm
CAPTION_SIZE = 9.0
QR_BOTTOM = BOTTOM + CAPTION_SIZE + 2.5 * mm  # the caption sits below the code
QR_TOP = QR_BOTTOM + QR_SIZE
SEAL_SPACE = 24 * mm


@dataclass(frozen=True)
class _Text:
    x: float
    y: float
    text: str
    size: float = BODY_SIZE
    align: str = "left"  # left | center | right
    bold: bool = False
    muted: bool = False


@dataclass(frozen=True)
class _Rule:
    y: float


@dataclass
class _Flow:
    """A cursor over pages: each line moves the baseline down, and past the bottom to a new page."""

    pages: list[list[_Text | _Rule]] = field(default_factory=lambda: [[]])
    y: float = TOP

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP

    def carry_over(self, *, lines: int) -> None:
        """Start a new page taking the last `lines` along, so that a page with the seal on it
        always carries text of the notice (a seal alone on a page invites misuse)."""
        page = self.pages[-1]
        tail = page[len(page) - lines :] if len(page) > lines else []
        carried = [item for item in tail if isinstance(item, _Text)]
        if len(carried) < len(tail):
            carried = []
        del page[len(page) - len(carried) :]
        self.new_page()
        if carried:
            shift = TOP - LEADING - carried[0].y
            self.pages[-1].extend(replace(item, y=item.y + shift) for item in carried)
            self.y = carried[-1].y + shift

    def down(self, distance: float) -> None:
        if self.y - distance < BOTTOM:
            self.new_page()
        self.y -= distance

    def put(
        self,
        x: float,
        text: str,
        *,
        size: float = BODY_SIZE,
        align: str = "left",
        bold: bool = False,
        muted: bool = False,
    ) -> None:
        self.pages[-1].append(_Text(x, self.y, text, size, align, bold, muted))

    def paragraph(self, text: str, *, indent: float = INDENT) -> None:
        lines = wrap_text(text, size=BODY_SIZE, width=TEXT_WIDTH, first_width=TEXT_WIDTH - indent)
        for number, line in enumerate(lines):
            self.down(LEADING)
            self.put(LEFT + (indent if number == 0 else 0), line)

    def numbered(self, number: int, text: str) -> None:
        """`1. text`, continuation lines aligned with the text after the number."""
        prefix = f"{number}. "
        hang = INDENT + pdfmetrics.stringWidth(prefix, FONT, BODY_SIZE)
        lines = wrap_text(" ".join(text.split()), size=BODY_SIZE, width=RIGHT - LEFT - hang)
        for index, line in enumerate(lines):
            self.down(LEADING)
            if index == 0:
                self.put(LEFT + INDENT, prefix + line)
            else:
                self.put(LEFT + hang, line)


def _layout(notice: Notice) -> list[list[_Text | _Rule]]:
    flow = _Flow()
    flow.down(16)
    flow.put(PAGE_WIDTH / 2, notice.agency, size=16, align="center")
    flow.down(10)
    flow.pages[-1].append(_Rule(flow.y))
    flow.down(40)
    flow.put(PAGE_WIDTH / 2, notice.kind.value, size=22, align="center", bold=True)
    if notice.reference:
        flow.down(26)
        flow.put(PAGE_WIDTH / 2, notice.reference, align="center")
    flow.down(14)

    masked = f"（{notice.applicant_id_masked}）" if notice.applicant_id_masked else ""
    flow.paragraph(f"{notice.applicant}{masked}：", indent=0)
    for paragraph in _standard_paragraphs(notice):
        flow.paragraph(paragraph)
    if notice.kind is NoticeKind.CORRECTION:
        for number, fault in enumerate(notice.faults, start=1):
            flow.numbered(number, fault)
        flow.paragraph(_correction_closing(notice))
    for paragraph in notice.body:
        flow.paragraph(paragraph)
    _close(flow, notice)
    return flow.pages


def _close(flow: _Flow, notice: Notice) -> None:
    """The case number, then the agency and the date at the right with a space for the seal
    above them (the seal is pressed on the signature), all clear of the QR code at the bottom
    of the last page. What does not fit goes over with the last lines of the text."""
    needed = 6 + LEADING + SEAL_SPACE + 2 * LEADING
    if flow.y - needed < QR_TOP + 4 * mm:
        flow.carry_over(lines=2)
    flow.down(6)
    flow.paragraph(f"办件编号：{notice.case_number}")
    issued = chinese_date(notice.issued_on)
    column = max(pdfmetrics.stringWidth(s, FONT, BODY_SIZE) for s in (notice.agency, issued))
    centre = RIGHT - INDENT - column / 2
    flow.y -= SEAL_SPACE / 2
    flow.put(centre, "（印章）", align="center", muted=True)
    flow.y -= SEAL_SPACE / 2
    for line in (notice.agency, issued):
        flow.y -= LEADING
        flow.put(centre, line, align="center")


# --- Drawing ---------------------------------------------------------------------------------


def _draw_text(canvas: Canvas, item: _Text) -> None:
    # Colour, line width and render mode belong to the graphics state: keep them to this text.
    canvas.saveState()
    canvas.setFillGray(0.55 if item.muted else 0)
    text = canvas.beginText()
    text.setFont(FONT, item.size)
    if item.bold:  # a CID font has no bold face: stroke the outline as well as filling it
        text.setTextRenderMode(2)
        canvas.setLineWidth(item.size / 40)
    width = pdfmetrics.stringWidth(item.text, FONT, item.size)
    shift = {"left": 0, "center": width / 2, "right": width}[item.align]
    text.setTextOrigin(item.x - shift, item.y)
    text.textOut(item.text)
    canvas.drawText(text)
    canvas.restoreState()


def _draw_qr(canvas: Canvas, url: str) -> None:
    modules = qr_modules(url)
    count = 1 + max(max(col, row) for col, row in modules)  # finder patterns reach both edges
    size = QR_SIZE / count
    left = RIGHT - QR_SIZE
    path = canvas.beginPath()
    for col, row in modules:
        path.rect(left + col * size, QR_TOP - (row + 1) * size, size, size)
    canvas.setFillGray(0)
    canvas.drawPath(
        path, stroke=0, fill=1, fillMode=FILL_NON_ZERO
    )  # one path: no seams between squares
    caption = _Text(RIGHT - QR_SIZE / 2, BOTTOM, "扫码查询办理进度", CAPTION_SIZE, "center")
    _draw_text(canvas, caption)


def render_pdf(notice: Notice, *, compress: bool = True) -> bytes:
    """The notice as an A4 PDF. `compress=False` leaves the page streams readable."""
    _register_font()
    pages = _layout(notice)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    canvas.setTitle(f"{notice.kind.value} {notice.case_number}")
    canvas.setAuthor(notice.agency)
    canvas.setSubject(f"{notice.item_name}（{notice.applicant}）")
    canvas.setKeywords(notice.case_number)
    canvas.setCreator("一网")
    for number, items in enumerate(pages, start=1):
        for item in items:
            if isinstance(item, _Rule):
                canvas.setLineWidth(0.8)
                canvas.line(LEFT, item.y, RIGHT, item.y)
            else:
                _draw_text(canvas, item)
        if len(pages) > 1:
            footer = f"第 {number} 页 共 {len(pages)} 页"
            _draw_text(canvas, _Text(PAGE_WIDTH / 2, 12 * mm, footer, CAPTION_SIZE, "center"))
        if number == len(pages):
            _draw_qr(canvas, notice.progress_url)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
