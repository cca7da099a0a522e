"""The written notices of a case (行政许可法 Art. 32, 38): wording, layout and the QR code.

Text is read back with pypdf. Samples of every kind land in test-artifacts/ (git-ignored) so a
person can look at them.
"""

import dataclasses
import io
import re
from datetime import date
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from yiwang.cases.notices import (
    FONT,
    Notice,
    NoticeKind,
    chinese_date,
    qr_modules,
    render_pdf,
    wrap_text,
)

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
# implementation code (agency USCC + level + basic code) + date + daily sequence: 43 characters
CASE = "11430102006123456X4XK0010200000202611220123"
URL = "https://zwfw.hunan.gov.cn/yiwang/progress/43010220261122000123?code=7F3K9Q"
LONG_FAULT = (
    "《食品经营许可申请书》第三页“经营项目”一栏勾选了“热食类食品制售”，但提交的经营场所平面图"
    "未标明粗加工、切配、烹饪、餐用具清洗消毒等操作区域及其面积，请按实际布局重新绘制并由"
    "法定代表人签字、加盖公章"
)
FAULTS = [
    "法定代表人身份证复印件不清晰，请重新提交",
    LONG_FAULT,
    "食品安全管理制度文本缺少“从业人员健康管理”章节",
]


def notice(kind: NoticeKind = NoticeKind.ACCEPTANCE, **changes) -> Notice:
    base = Notice(
        kind=kind,
        case_number=CASE,
        applicant="长沙市芙蓉区丽华餐饮店",
        applicant_id_masked="92430102MA4******X",
        item_name="食品经营许可（新办）",
        agency="长沙市芙蓉区市场监督管理局",
        issued_on=date(2026, 11, 22),
        progress_url=URL,
        deadline=date(2026, 12, 18),
        reference="芙市监受〔2026〕123号",
        basis=(
            "申请材料中的经营场所不符合《食品经营许可审查通则》规定的条件"
            if kind in (NoticeKind.REJECTION, NoticeKind.DECISION_DENIED)
            else ""
        ),
        faults=FAULTS if kind is NoticeKind.CORRECTION else (),
    )
    return dataclasses.replace(base, **changes)


def read(pdf: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(pdf))


def text_of(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in read(pdf).pages)


def flat(text: str) -> str:
    """Text without the line breaks and spaces that wrapping and extraction put in."""
    return re.sub(r"\s+", "", text)


# --- Chinese dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 22), "二〇二六年十一月二十二日"),
        (date(2027, 1, 1), "二〇二七年一月一日"),
        (date(2026, 10, 10), "二〇二六年十月十日"),
        (date(2026, 12, 31), "二〇二六年十二月三十一日"),
        (date(2030, 2, 20), "二〇三〇年二月二十日"),
    ],
)
def test_chinese_date(day, expected):
    assert chinese_date(day) == expected


# --- Wrapping --------------------------------------------------------------------------------


def test_wrapping_measures_each_character_and_keeps_punctuation_off_line_starts():
    width = 20 * 12.0
    lines = wrap_text(LONG_FAULT, size=12, width=width)

    assert len(lines) > 3
    assert "".join(lines) == LONG_FAULT
    for line in lines:
        assert line[0] not in "，。、；：”）》"
        body = line.rstrip("，。、；：”）》")
        assert pdfmetrics.stringWidth(body, FONT, 12) <= width
    assert not any(line.endswith(("“", "《", "（")) for line in lines)


def test_wrapping_indents_the_first_line_and_honours_line_breaks():
    lines = wrap_text("甲" * 30 + "\n乙", size=12, width=120, first_width=96)

    assert lines == ["甲" * 8, "甲" * 10, "甲" * 10, "甲" * 2, "乙"]


# --- The document ------------------------------------------------------------------------------


def test_acceptance_notice_reads_as_a_written_notice():
    pdf = render_pdf(notice())

    assert pdf.startswith(b"%PDF-")
    text = flat(text_of(pdf))
    for expected in (
        "长沙市芙蓉区市场监督管理局",
        "受理通知书",
        "芙市监受〔2026〕123号",
        "长沙市芙蓉区丽华餐饮店（92430102MA4******X）：",
        "“食品经营许可（新办）”",
        "第三十二条第一款第（五）项",
        "决定予以受理",
        "我机关将于二〇二六年十二月十八日前作出决定",
        f"办件编号：{CASE}",
        "二〇二六年十一月二十二日",
        "（印章）",
        "扫码查询办理进度",
    ):
        assert expected in text


def test_metadata_names_the_notice_the_case_and_the_agency():
    meta = read(render_pdf(notice())).metadata

    assert meta.title == f"受理通知书 {CASE}"
    assert meta.author == "长沙市芙蓉区市场监督管理局"
    assert meta.subject == "食品经营许可（新办）（长沙市芙蓉区丽华餐饮店）"


def test_only_the_title_is_set_bold():
    content = read(render_pdf(notice())).pages[0].get_contents().get_data().decode("latin-1")

    # the fake bold (text render mode 2) stays inside its own saved graphics state
    assert content.count(" Tr ") == 1
    assert re.search(r"\bq\n[^Q]*\b2 Tr\b[^Q]*\bQ\b", content)


def test_correction_notice_lists_every_fault_numbered_at_once():
    pdf = render_pdf(notice(NoticeKind.CORRECTION))
    raw = text_of(pdf)
    text = flat(raw)

    assert "补正材料告知书" in text
    assert "请一次性补正：" in text
    for number, fault in enumerate(FAULTS, start=1):
        assert flat(f"{number}. {fault}") in text
    # the long fault was wrapped over several lines and still reads whole
    assert not any(LONG_FAULT in line for line in raw.splitlines())
    assert "第三十二条第一款第（四）项" in text
    assert "请于二〇二六年十二月十八日前补正上述全部材料" in text
    assert "自收到全部补正材料之日起计算" in text


def test_forty_faults_flow_onto_more_pages_with_the_qr_code_on_the_last():
    faults = [f"第{n}项材料“申请人承诺书”未签字，请补签后提交原件" for n in range(1, 41)]
    pdf = render_pdf(notice(NoticeKind.CORRECTION, faults=faults))
    pages = read(pdf).pages

    assert len(pages) >= 2
    text = flat(text_of(pdf))
    for number, fault in enumerate(faults, start=1):
        assert flat(f"{number}. {fault}") in text
    assert f"第1页共{len(pages)}页" in text
    assert "扫码查询办理进度" in flat(pages[-1].extract_text())
    assert all("扫码查询办理进度" not in flat(page.extract_text()) for page in pages[:-1])


def test_the_seal_never_stands_on_a_page_without_text_of_the_notice():
    for count in range(20, 56):
        faults = [f"第{n}项材料“申请人承诺书”未签字，请补签后提交原件" for n in range(count)]
        last = flat(
            read(render_pdf(notice(NoticeKind.CORRECTION, faults=faults))).pages[-1].extract_text()
        )

        assert "（印章）" in last
        assert "办件编号" in last
        assert last.index("办件编号") > len("第1项")  # some of the notice's text comes first


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (NoticeKind.REJECTION, ["第三十二条第一款", "决定不予受理"]),
        (NoticeKind.DECISION_DENIED, ["第三十八条第二款", "决定不予行政许可"]),
    ],
)
def test_refusals_give_the_reason_and_the_remedies(kind, expected):
    text = flat(text_of(render_pdf(notice(kind))))

    assert kind.value in text
    assert "经审查，申请材料中的经营场所不符合《食品经营许可审查通则》规定的条件。" in text
    for phrase in [
        *expected,
        "六十日内依照《中华人民共和国行政复议法》的规定申请行政复议",
        "六个月内依照《中华人民共和国行政诉讼法》的规定向人民法院提起行政诉讼",
    ]:
        assert phrase in text


def test_approval_decides_with_the_basis_and_no_remedies():
    approval = notice(NoticeKind.DECISION_APPROVED, basis="申请符合《食品经营许可管理办法》规定")
    text = flat(text_of(render_pdf(approval)))

    assert "准予行政许可决定书" in text
    assert "经审查，申请符合《食品经营许可管理办法》规定。" in text
    assert "第三十八条第一款" in text
    assert "行政复议" not in text


def test_body_paragraphs_follow_the_standard_wording():
    extra = "请携带身份证原件于受理之日起五个工作日内到芙蓉区政务服务中心3号窗口领取。"
    text = flat(text_of(render_pdf(notice(body=[extra]))))

    assert text.index("决定予以受理") < text.index(flat(extra)) < text.index("办件编号")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": NoticeKind.CORRECTION}, "一次性告知"),
        ({"kind": NoticeKind.REJECTION}, "reason"),
        ({"kind": NoticeKind.DECISION_DENIED, "basis": " "}, "reason"),
        ({"progress_url": "/progress/123"}, "absolute"),
    ],
)
def test_a_notice_the_law_would_not_accept_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        dataclasses.replace(notice(), **changes)


# --- The QR code -------------------------------------------------------------------------------


def test_qr_modules_are_segnos_dark_modules():
    matrix = segno.make(URL).matrix
    expected = {(c, r) for r, row in enumerate(matrix) for c, on in enumerate(row) if on}

    assert set(qr_modules(URL)) == expected


def test_a_short_url_still_gets_a_full_qr_code_not_micro_qr():
    modules = qr_modules("https://a.cn/")

    assert 1 + max(max(m) for m in modules) >= 21  # Micro QR tops out at 17 × 17


def test_the_drawn_squares_are_the_qr_code_of_the_progress_page():
    pdf = render_pdf(notice())
    content = read(pdf).pages[-1].get_contents().get_data().decode("latin-1")
    squares = [
        tuple(float(v) for v in m.groups())
        for m in re.finditer(r"([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) re", content)
    ]
    size = squares[0][2]
    left = min(x for x, _, _, _ in squares)
    top = max(y + h for _, y, _, h in squares)
    drawn = {(round((x - left) / size), round((top - y - h) / size)) for x, y, _, h in squares}

    assert all(w == h == size for _, _, w, h in squares)
    assert 28 * 2.834 < size * (1 + max(c for c, _ in drawn)) < 32 * 2.834  # about 30 mm
    assert drawn == set(qr_modules(URL))


# --- Samples for a person to look at ------------------------------------------------------------


def test_samples_of_every_kind_are_written_for_review():
    ARTIFACTS.mkdir(exist_ok=True)
    for kind in NoticeKind:
        pdf = render_pdf(notice(kind, body=["本通知书一式两份，一份送达申请人，一份存档。"]))
        (ARTIFACTS / f"notice-{kind.name.lower()}.pdf").write_bytes(pdf)
    faults = [f"第{n}项材料“申请人承诺书”未签字，请补签后提交原件" for n in range(1, 41)]
    long = render_pdf(notice(NoticeKind.CORRECTION, faults=[*FAULTS, *faults]))
    (ARTIFACTS / "notice-correction-long.pdf").write_bytes(long)
