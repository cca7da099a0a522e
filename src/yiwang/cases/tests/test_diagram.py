"""The process diagram: each template drawn as SVG from its own BPMN, with the case's place in it.

No database needed. The drawings land in test-artifacts/ (git-ignored) so a person can look at
them.
"""

from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from yiwang.cases.diagram import render_svg
from yiwang.cases.workflow import process_xml

ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
SVG = "{http://www.w3.org/2000/svg}"
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
NODE_TAGS = {"startEvent", "endEvent", "userTask", "exclusiveGateway", "parallelGateway"}
LANE_LABELS = {
    "applicant": "申请人",
    "window_clerk": "窗口受理人员",
    "reviewer": "审核人员",
    "partner_reviewer": "协办部门",
    "approver": "审批人员",
}
# Where a case stands in each template: (current tasks, completed elements).
PROGRESS = {
    "immediate": ({"accept"}, {"start"}),
    "promised": ({"review"}, {"start", "accept", "accepted"}),
    "joint": ({"review", "partner_review"}, {"start", "accept", "accepted", "fork"}),
}


def draw(name: str, **kwargs) -> ET.Element:
    active, done = PROGRESS[name]
    options = {"active": active, "done": done, "lane_labels": LANE_LABELS, **kwargs}
    return ET.fromstring(render_svg(process_xml(name), **options))


def bpmn_elements(name: str, local: str) -> list[ET.Element]:
    return list(ET.fromstring(process_xml(name)).iter(f"{BPMN}{local}"))


def nodes_by_id(svg: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-element"): g for g in svg.iter(f"{SVG}g") if g.get("data-element")}


def text_of(element: ET.Element) -> str:
    return "".join("".join(text.itertext()) for text in element.iter(f"{SVG}text"))


@pytest.mark.parametrize("name", PROGRESS)
def test_one_shape_per_bpmn_node(name):
    expected = [
        element.get("id")
        for element in ET.fromstring(process_xml(name)).find(f"{BPMN}process")
        if element.tag.removeprefix(BPMN) in NODE_TAGS
    ]
    groups = [g.get("data-element") for g in draw(name).iter(f"{SVG}g") if g.get("data-element")]
    assert sorted(groups) == sorted(expected)


@pytest.mark.parametrize("name", PROGRESS)
def test_current_tasks_are_highlighted_and_completed_ones_marked(name):
    active, done = PROGRESS[name]
    nodes = nodes_by_id(draw(name))
    for element_id, group in nodes.items():
        state = "active" if element_id in active else "done" if element_id in done else "pending"
        assert state in group.get("class").split(), element_id
    for element_id in active:
        rect = nodes[element_id].find(f"{SVG}rect")
        assert (rect.get("stroke"), rect.get("fill")) == ("#0b4ea2", "#eaf1fb")
        assert nodes[element_id].find(f"{SVG}title").text.endswith("当前环节")


def test_every_task_names_its_state_for_screen_readers():
    nodes = nodes_by_id(draw("promised"))
    titles = {element_id: group.find(f"{SVG}title").text for element_id, group in nodes.items()}
    assert titles["accept"] == "受理：已完成"
    assert titles["review"] == "审查：当前环节"
    assert titles["decide"] == "决定：未开始"


@pytest.mark.parametrize("name", PROGRESS)
def test_chinese_names_lane_labels_and_flow_names_are_written(name):
    svg = draw(name)
    nodes = nodes_by_id(svg)
    for task in bpmn_elements(name, "userTask"):
        assert text_of(nodes[task.get("id")]) == task.get("name")
    lanes = {g.get("data-lane"): text_of(g) for g in svg.iter(f"{SVG}g") if g.get("data-lane")}
    assert lanes == {
        lane.get("name"): LANE_LABELS[lane.get("name")] for lane in bpmn_elements(name, "lane")
    }
    written = text_of(svg)
    for flow in bpmn_elements(name, "sequenceFlow"):
        assert flow.get("name", "") in written


@pytest.mark.parametrize("name", PROGRESS)
def test_every_flow_ends_in_the_arrowhead(name):
    svg = draw(name)
    (marker,) = svg.iter(f"{SVG}marker")
    lines = list(svg.iter(f"{SVG}polyline"))
    assert len(lines) == len(bpmn_elements(name, "sequenceFlow"))
    assert {line.get("marker-end") for line in lines} == {f"url(#{marker.get('id')})"}


@pytest.mark.parametrize("name", PROGRESS)
def test_svg_is_accessible_and_needs_no_inline_style(name):
    markup = render_svg(process_xml(name))
    svg = ET.fromstring(markup)
    process_name = bpmn_elements(name, "process")[0].get("name")
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == svg.find(f"{SVG}title").text == process_name
    assert svg.get("width") == "100%"
    assert svg.get("viewBox").split()[:2] == ["-8", "-8"]
    assert "style=" not in markup  # the CSP forbids inline styles
    assert "WenQuanYi Micro Hei" in svg.get("font-family")


def test_title_is_escaped():
    svg = ET.fromstring(render_svg(process_xml("promised"), title='审查 <&> "一"'))
    assert svg.find(f"{SVG}title").text == '审查 <&> "一"'
    assert svg.get("aria-label") == '审查 <&> "一"'


def test_unknown_ids_are_ignored():
    svg = ET.fromstring(render_svg(process_xml("promised"), active={"nope"}, done={"flow_99"}))
    classes = {g.get("class").split()[-1] for g in nodes_by_id(svg).values()}
    assert classes == {"pending"}


def test_lanes_fall_back_to_their_role_code():
    svg = ET.fromstring(render_svg(process_xml("immediate")))
    lanes = [text_of(g) for g in svg.iter(f"{SVG}g") if g.get("data-lane")]
    assert lanes == ["applicant", "window_clerk"]


def test_long_task_names_wrap_inside_the_box():
    long_name = "核查申请人提交的全部材料并出具补正告知书和受理通知书"
    bpmn = process_xml("promised").replace('name="受理"'.encode(), f'name="{long_name}"'.encode())
    task = nodes_by_id(ET.fromstring(render_svg(bpmn)))["accept"]
    lines = [tspan.text for tspan in task.iter(f"{SVG}tspan")]
    assert len(lines) == 3
    assert all(len(line) <= 7 for line in lines)
    assert lines[0] == long_name[:7]
    assert lines[-1].endswith("…")


def test_missing_names_do_not_break_the_drawing():
    bpmn = (
        process_xml("immediate")
        .replace('name="受理并办结"'.encode(), b"")
        .replace('name="不予受理"'.encode(), b"")
        .replace(b'name="applicant"', b"")
    )
    svg = ET.fromstring(render_svg(bpmn, lane_labels={"window_clerk": "窗口受理人员"}))
    assert text_of(nodes_by_id(svg)["accept"]) == "accept"  # the id stands in for the name
    lanes = [text_of(g) for g in svg.iter(f"{SVG}g") if g.get("data-lane")]
    assert lanes == ["applicant", "窗口受理人员"]


@pytest.mark.parametrize("name", ["../workflow", "promised.bpmn", "nope", ""])
def test_process_xml_only_reads_the_templates(name):
    with pytest.raises(ValueError, match="unknown process template"):
        process_xml(name)


def test_samples_are_written_for_people_to_look_at():
    ARTIFACTS.mkdir(exist_ok=True)
    for name in PROGRESS:
        active, done = PROGRESS[name]
        svg = render_svg(process_xml(name), active=active, done=done, lane_labels=LANE_LABELS)
        (ARTIFACTS / f"diagram-{name}.svg").write_text(svg, encoding="utf-8")
        assert ET.parse(ARTIFACTS / f"diagram-{name}.svg").getroot().tag == f"{SVG}svg"


def test_a_multi_instance_task_carries_the_parallel_marker():
    marked = {
        element_id
        for element_id, group in nodes_by_id(draw("joint")).items()
        if any(path.get("class") == "bpmn-instances parallel" for path in group.iter(f"{SVG}path"))
    }
    assert marked == {"partner_review"}
