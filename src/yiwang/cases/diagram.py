"""Draw a BPMN 2.0 process template as SVG on the server, marking where a case stands.

Why server-side: case pages must work without JavaScript (no bpmn-js) under a CSP that forbids
inline styles. The picture follows the template's own BPMNDiagram section (dc:Bounds,
di:waypoint), so it looks as the modeller laid it out. Colours are SVG presentation attributes,
so the drawing is readable without any stylesheet; the class names (`active`, `done`, `pending`,
`bpmn-*`) let the site stylesheet refine it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

# defusedxml is not installed; plain ElementTree is acceptable because we only ever parse our
# own templates from processes/ (never uploaded XML).
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from itertools import product
from xml.sax.saxutils import escape

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
}
FONT_FAMILY = (
    "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif"
)
BRAND = "#0b4ea2"
INK = "#1f2933"
LINE = "#5f6b7a"
MARGIN = 8
LEGEND_HEIGHT = 30
HEADER_WIDTH = 30  # the strip at a pool's or lane's left that carries its name
TASK_FONT, TASK_LINE, TASK_PADDING, TASK_MAX_LINES = 13, 16, 8, 3
LABEL_FONT, HEADER_FONT = 12, 13
GAP = 3  # between a label and the line or shape it belongs to
# Chinese punctuation must not start a line (禁则), so it stays on the line before.
NO_LINE_START = set("，。、：；！？）》」』”’")

Point = tuple[float, float]


@dataclass(frozen=True)
class Style:
    fill: str
    stroke: str
    width: float
    text: str
    bold: bool = False
    tick: bool = False  # so "done" is not told by colour alone


STYLES = {
    "active": Style(fill="#eaf1fb", stroke=BRAND, width=3, text=BRAND, bold=True),
    "done": Style(fill="#e6f2ea", stroke="#3d7a52", width=1.5, text=INK, tick=True),
    "pending": Style(fill="#ffffff", stroke=LINE, width=1.5, text=INK),
}
STATE_NAMES = {"active": "当前环节", "done": "已完成", "pending": "未开始"}


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    def grow(self, dx: float, dy: float) -> Box:
        return Box(self.x - dx, self.y - dy, self.w + 2 * dx, self.h + 2 * dy)

    def overlap(self, other: Box) -> float:
        """Area shared with `other` (0 when they only touch)."""
        w = min(self.right, other.right) - max(self.x, other.x)
        h = min(self.bottom, other.bottom) - max(self.y, other.y)
        return max(w, 0) * max(h, 0)

    def contains(self, other: Box) -> bool:
        return (
            self.x <= other.x
            and self.y <= other.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def crosses(self, a: Point, b: Point) -> bool:
        """Whether the segment a–b passes through this box (Liang–Barsky clipping)."""
        (x0, y0), (x1, y1) = a, b
        dx, dy = x1 - x0, y1 - y0
        t0, t1 = 0.0, 1.0
        edges = (
            (-dx, x0 - self.x),
            (dx, self.right - x0),
            (-dy, y0 - self.y),
            (dy, self.bottom - y0),
        )
        for p, q in edges:
            t0, t1 = _clip(p, q, t0, t1)
        return t0 <= t1


def _clip(p: float, q: float, t0: float, t1: float) -> tuple[float, float]:
    if p == 0:
        return (t0, t1) if q >= 0 else (1.0, 0.0)
    t = q / p
    return (max(t0, t), t1) if p < 0 else (t0, min(t1, t))


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # start, end, event, task, exclusive, parallel, gateway
    name: str
    box: Box
    instances: str = ""  # multi-instance task: "parallel" or "sequential"


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    points: tuple[Point, ...]

    @property
    def segments(self) -> list[tuple[Point, Point]]:
        return list(zip(self.points, self.points[1:], strict=False))


@dataclass(frozen=True)
class Lane:
    id: str
    name: str
    box: Box


@dataclass(frozen=True)
class Diagram:
    process_id: str
    name: str
    pool: Box
    lanes: tuple[Lane, ...]
    nodes: tuple[Node, ...]
    flows: tuple[Flow, ...]


def render_svg(
    bpmn_xml: bytes,
    *,
    active: AbstractSet[str] = frozenset(),
    done: AbstractSet[str] = frozenset(),
    lane_labels: Mapping[str, str] | None = None,
    title: str = "",
) -> str:
    """The process as an <svg> for inlining in HTML; `active` and `done` are BPMN element ids
    (unknown ones are ignored), `lane_labels` maps a lane's role code to its Chinese name."""
    diagram = _parse(bpmn_xml)
    title = title or diagram.name or diagram.process_id
    states = {node.id: _state(node.id, active, done) for node in diagram.nodes}
    states |= {flow.id: _state(flow.id, active, done) for flow in diagram.flows}
    prefix = _id_prefix(diagram, bpmn_xml, active, done, title)
    view = diagram.pool.grow(MARGIN, MARGIN)
    view = Box(view.x, view.y, view.w, view.h + LEGEND_HEIGHT)
    placer = _LabelPlacer(diagram)
    flow_labels = [_flow_label(flow, placer, states[flow.id]) for flow in diagram.flows]
    parts = [
        _el("title", {"id": f"{prefix}-title"}, escape(title)),
        _el("desc", {"id": f"{prefix}-desc"}, escape(_summary(diagram, states))),
        _defs(prefix),
        _pool(diagram),
        *(_lane(lane, i, lane_labels or {}) for i, lane in enumerate(diagram.lanes)),
        *(_flow(flow, states[flow.id], prefix) for flow in diagram.flows),
        *(_node(node, states[node.id], placer) for node in diagram.nodes),
        *flow_labels,
        _legend(diagram.pool),
    ]
    attrs = {
        "xmlns": "http://www.w3.org/2000/svg",
        "viewBox": " ".join(_n(v) for v in (view.x, view.y, view.w, view.h)),
        "width": "100%",
        "role": "img",
        "aria-label": title,
        "aria-describedby": f"{prefix}-desc",
        "class": "bpmn-diagram",
        "font-family": FONT_FAMILY,
        "font-size": TASK_FONT,
        "fill": INK,
    }
    return _el("svg", attrs, *parts)


# --- reading the BPMN ------------------------------------------------------------------------


def _parse(bpmn_xml: bytes) -> Diagram:
    root = ET.fromstring(bpmn_xml)
    process = root.find("bpmn:process", NS)
    if process is None:
        raise ValueError("the BPMN has no bpmn:process")
    process_id = process.get("id", "")
    shapes = _shape_bounds(root)
    participant = _participant(root, process_id)
    lanes = tuple(
        Lane(lane.get("id", ""), lane.get("name") or lane.get("id", ""), shapes[lane.get("id", "")])
        for lane in process.iterfind(".//bpmn:lane", NS)
        if lane.get("id") in shapes
    )
    nodes = tuple(_nodes(process, shapes))
    flows = tuple(_flows(process, _edge_points(root)))
    pool = shapes.get(participant.get("id", "")) if participant is not None else None
    name = (participant.get("name") if participant is not None else None) or process.get("name")
    return Diagram(
        process_id=process_id,
        name=(name or "").strip(),
        pool=pool or _union([item.box for item in (*lanes, *nodes)]),
        lanes=lanes,
        nodes=nodes,
        flows=flows,
    )


def _participant(root: ET.Element, process_id: str) -> ET.Element | None:
    for participant in root.iterfind("bpmn:collaboration/bpmn:participant", NS):
        if participant.get("processRef") == process_id:
            return participant
    return None


def _shape_bounds(root: ET.Element) -> dict[str, Box]:
    boxes = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        bounds = shape.find("dc:Bounds", NS)
        if bounds is not None and shape.get("bpmnElement"):
            values = (float(bounds.get(key, 0)) for key in ("x", "y", "width", "height"))
            boxes[shape.get("bpmnElement", "")] = Box(*values)
    return boxes


def _edge_points(root: ET.Element) -> dict[str, tuple[Point, ...]]:
    return {
        edge.get("bpmnElement", ""): tuple(
            (float(point.get("x", 0)), float(point.get("y", 0)))
            for point in edge.iterfind("di:waypoint", NS)
        )
        for edge in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }


def _kind(tag: str) -> str | None:
    local = tag.rpartition("}")[2]
    named = {"startEvent": "start", "endEvent": "end", "exclusiveGateway": "exclusive"}
    named["parallelGateway"] = "parallel"
    if local in named:
        return named[local]
    if local == "task" or local.endswith("Task"):
        return "task"
    for suffix, kind in (("Gateway", "gateway"), ("Event", "event")):
        if local.endswith(suffix):
            return kind
    return None


def _nodes(process: ET.Element, shapes: Mapping[str, Box]) -> Iterable[Node]:
    for element in process:
        kind, node_id = _kind(element.tag), element.get("id", "")
        if kind and node_id in shapes:  # a node without bounds cannot be placed, so skip it
            name = (element.get("name") or "").strip()
            yield Node(node_id, kind, name, shapes[node_id], _instances(element))


def _instances(element: ET.Element) -> str:
    loop = element.find("bpmn:multiInstanceLoopCharacteristics", NS)
    if loop is None:
        return ""
    return "sequential" if loop.get("isSequential") == "true" else "parallel"


def _flows(process: ET.Element, edges: Mapping[str, tuple[Point, ...]]) -> Iterable[Flow]:
    for element in process.iterfind("bpmn:sequenceFlow", NS):
        points = edges.get(element.get("id", ""), ())
        if len(points) >= 2:
            yield Flow(element.get("id", ""), (element.get("name") or "").strip(), points)


def _union(boxes: list[Box]) -> Box:
    if not boxes:
        return Box(0, 0, 200, 100)
    x, y = min(b.x for b in boxes), min(b.y for b in boxes)
    return Box(x, y, max(b.right for b in boxes) - x, max(b.bottom for b in boxes) - y)


# --- state and identity ----------------------------------------------------------------------


def _state(element_id: str, active: AbstractSet[str], done: AbstractSet[str]) -> str:
    if element_id in active:
        return "active"
    return "done" if element_id in done else "pending"


def _id_prefix(
    diagram: Diagram,
    bpmn_xml: bytes,
    active: AbstractSet[str],
    done: AbstractSet[str],
    title: str,
) -> str:
    """Ids unique per drawing, so two diagrams inlined in one page don't share <marker>/<desc>."""
    key = repr((bpmn_xml, sorted(active), sorted(done), title)).encode()
    digest = hashlib.sha1(key, usedforsecurity=False).hexdigest()[:8]
    return f"bpmn-{re.sub(r'[^A-Za-z0-9_-]', '', diagram.process_id) or 'process'}-{digest}"


def _summary(diagram: Diagram, states: Mapping[str, str]) -> str:
    """What a screen reader hears beyond the title: where the case stands."""
    parts = []
    for state in ("active", "done"):
        names = [
            n.name or n.id for n in diagram.nodes if states[n.id] == state and n.kind == "task"
        ]
        if names:
            parts.append(f"{STATE_NAMES[state]}：{'、'.join(names)}")
    return "；".join(parts) + "。" if parts else "尚未开始。"


# --- text ------------------------------------------------------------------------------------


def _char_width(char: str, size: float) -> float:
    return size if unicodedata.east_asian_width(char) in "WF" else size * 0.6


def _text_width(text: str, size: float) -> float:
    return sum(_char_width(char, size) for char in text)


def _tokens(text: str) -> list[str]:
    """Latin words stay whole when wrapping; every CJK character is a breaking point."""
    return re.findall(r"[!-~]+ ?|\s|.", text)


def _wrap(text: str, width: float, size: float, max_lines: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in _tokens(" ".join(text.split())):
        fits = _text_width(line + token.rstrip(), size) <= width
        if not line or fits or token in NO_LINE_START:
            line += token
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
    lines.append(line.rstrip())
    lines = [_ellipsize(line, width, size) for line in lines if line]
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _ellipsize(lines[max_lines - 1] + "…", width, size)]
    return lines


def _ellipsize(text: str, width: float, size: float) -> str:
    if _text_width(text, size) <= width:
        return text
    while text and _text_width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip("…") + "…"


def _is_latin(text: str) -> bool:
    return bool(re.search(r"[A-Za-z0-9]", text))


def _vertical_text(box: Box, text: str, size: float, weight: str = "normal") -> str:
    """A header name read top to bottom: CJK upright, one character a row; Latin rotated."""
    common = {"font-size": size, "font-weight": weight, "text-anchor": "middle", "fill": INK}
    if _is_latin(text):
        shown = _ellipsize(text, box.h - 8, size)
        attrs = {"x": box.cx, "y": box.cy + size * 0.35, **common}
        attrs["transform"] = f"rotate(-90 {_n(box.cx)} {_n(box.cy)})"
        return _el("text", attrs, escape(shown))
    # Arrows in a name point along the reading direction, which is down here.
    chars = [char for char in text.replace("→", "↓") if not char.isspace()]
    step = size + 1  # CJK set solid, as in vertical typesetting
    fit = max(int((box.h - 8) // step), 1)
    if len(chars) > fit:
        chars = [*chars[: fit - 1], "…"]
    top = box.cy - step * (len(chars) - 1) / 2 + size * 0.35
    rows = [
        _el("tspan", {"x": box.cx, "y": top + i * step}, escape(char))
        for i, char in enumerate(chars)
    ]
    return _el("text", common, *rows)


# --- label placement -------------------------------------------------------------------------


class _LabelPlacer:
    """Puts each small label at its first candidate spot that covers no shape, line or other
    label (else the least bad one), because the BPMN files carry no label bounds."""

    def __init__(self, diagram: Diagram) -> None:
        self._area = diagram.pool
        headers = [Box(lane.box.x, lane.box.y, HEADER_WIDTH, lane.box.h) for lane in diagram.lanes]
        self._boxes = [node.box for node in diagram.nodes] + headers
        self._boxes.append(Box(diagram.pool.x, diagram.pool.y, HEADER_WIDTH, diagram.pool.h))
        self._segments = [seg for flow in diagram.flows for seg in flow.segments]

        self._labels: list[Box] = []

    def place(self, candidates: list[Box]) -> Box:
        best = min(candidates, key=self._cost)
        # Keep a little air around placed labels, so two labels never read as one.
        self._labels.append(best.grow(2 * GAP, 2 * GAP))
        return best

    def _cost(self, box: Box) -> float:
        crossings = sum(box.crosses(a, b) for a, b in self._segments)
        outside = 0 if self._area.contains(box) else 10_000
        covered = sum(box.overlap(other) for other in self._boxes + self._labels)
        return outside + 1_000 * crossings + covered


def _label_size(text: str, size: float) -> tuple[float, float]:
    return _text_width(text, size) + 4, size + 4


def _flow_candidates(flow: Flow, w: float, h: float) -> list[Box]:
    """Beside each segment, longest segment first: at its middle, then slid off a shape that
    may sit on the line; failing all, one label height further out (a short segment between
    two shapes)."""
    candidates = []
    segments = sorted(flow.segments, key=_length, reverse=True)
    for gap, ((x0, y0), (x1, y1)), t in product((GAP, GAP + h), segments, (0.5, 0.3, 0.7)):
        x, y = x0 + (x1 - x0) * t, y0 + (y1 - y0) * t
        if abs(x1 - x0) >= abs(y1 - y0):  # horizontal: above, then below
            candidates += [Box(x - w / 2, y - gap - h, w, h), Box(x - w / 2, y + gap, w, h)]
        else:  # vertical: right, then left
            candidates += [Box(x + gap, y - h / 2, w, h), Box(x - gap - w, y - h / 2, w, h)]
    return candidates


def _length(segment: tuple[Point, Point]) -> float:
    (x0, y0), (x1, y1) = segment
    return abs(x1 - x0) + abs(y1 - y0)


def _node_candidates(node: Node, w: float, h: float) -> list[Box]:
    """Events are labelled below by convention, gateways above; then the other sides."""
    b = node.box
    above, below = b.y - GAP - h, b.bottom + GAP
    spots = {
        "above": Box(b.cx - w / 2, above, w, h),
        "below": Box(b.cx - w / 2, below, w, h),
        "top_right": Box(b.cx + GAP, above, w, h),
        "bottom_right": Box(b.cx + GAP, below, w, h),
        "top_left": Box(b.cx - GAP - w, above, w, h),
        "bottom_left": Box(b.cx - GAP - w, below, w, h),
        "right": Box(b.right + GAP, b.cy - h / 2, w, h),
        "left": Box(b.x - GAP - w, b.cy - h / 2, w, h),
    }
    order = list(spots)
    if node.kind not in {"exclusive", "parallel", "gateway"}:
        order = ["below", "above", "right", "left", "bottom_right", "top_right"]
    return [spots[key] for key in order]


def _label(box: Box, text: str, fill: str, group: Mapping[str, object]) -> str:
    """Text on a white patch, so a line running behind it doesn't strike it through."""
    patch = {"x": box.x, "y": box.y, "width": box.w, "height": box.h, "rx": 2, "fill": "#ffffff"}
    text_attrs = {
        "x": box.cx,
        "y": box.cy + LABEL_FONT * 0.35,
        "font-size": LABEL_FONT,
        "text-anchor": "middle",
        "fill": fill,
    }
    return _el("g", group, _el("rect", patch), _el("text", text_attrs, escape(text)))


# --- shapes ----------------------------------------------------------------------------------


def _defs(prefix: str) -> str:
    arrow = _el("path", {"d": "M0,0 L10,5 L0,10 z", "fill": LINE})
    marker_attrs = {
        "id": f"{prefix}-arrow",
        "viewBox": "0 0 10 10",
        "refX": 10,
        "refY": 5,
        "markerWidth": 10,
        "markerHeight": 10,
        "markerUnits": "userSpaceOnUse",
        "orient": "auto",
    }
    return _el("defs", {}, _el("marker", marker_attrs, arrow))


def _pool(diagram: Diagram) -> str:
    pool = diagram.pool
    header = Box(pool.x, pool.y, HEADER_WIDTH, pool.h)
    return _el(
        "g",
        {"class": "bpmn-pool"},
        _rect(pool, fill="#ffffff", stroke="#9aa5b1", width=1.5),
        _rect(header, fill="#eef2f7", stroke="#9aa5b1", width=1.5),
        _vertical_text(header, diagram.name, HEADER_FONT, weight="600"),
    )


def _lane(lane: Lane, index: int, lane_labels: Mapping[str, str]) -> str:
    label = lane_labels.get(lane.name) or lane_labels.get(lane.id) or lane.name or lane.id
    header = Box(lane.box.x, lane.box.y, HEADER_WIDTH, lane.box.h)
    band = "#ffffff" if index % 2 == 0 else "#f8fafc"  # alternate so lanes read as rows
    return _el(
        "g",
        {"class": "bpmn-lane", "data-lane": lane.name},
        _rect(lane.box, fill=band, stroke="#c5ccd6", width=1),
        _rect(header, fill="#f3f5f8", stroke="#c5ccd6", width=1),
        _vertical_text(header, label, HEADER_FONT),
    )


def _flow(flow: Flow, state: str, prefix: str) -> str:
    style = STYLES[state]
    stroke = LINE if state == "pending" else style.stroke
    line = {
        "points": " ".join(f"{_n(x)},{_n(y)}" for x, y in flow.points),
        "fill": "none",
        "stroke": stroke,
        "stroke-width": 2 if state == "active" else 1.5,
        "stroke-linejoin": "round",
        "marker-end": f"url(#{prefix}-arrow)",
    }
    attrs = {"class": f"bpmn-flow {state}", "data-flow": flow.id}
    return _el("g", attrs, _el("polyline", line))


def _flow_label(flow: Flow, placer: _LabelPlacer, state: str) -> str:
    if not flow.name:
        return ""
    w, h = _label_size(flow.name, LABEL_FONT)
    box = placer.place(_flow_candidates(flow, w, h))
    fill = BRAND if state == "active" else "#3e4c59"
    return _label(box, flow.name, fill, {"class": "bpmn-flow-label", "data-flow": flow.id})


def _node(node: Node, state: str, placer: _LabelPlacer) -> str:
    style = STYLES[state]
    shape = SHAPES[node.kind](node, style)
    children = [_el("title", {}, escape(f"{node.name or node.id}：{STATE_NAMES[state]}")), shape]
    if node.kind != "task" and node.name:
        w, h = _label_size(node.name, LABEL_FONT)
        box = placer.place(_node_candidates(node, w, h))
        children.append(_label(box, node.name, style.text, {"class": "bpmn-label"}))
    attrs = {"class": f"bpmn-node bpmn-{node.kind} {state}", "data-element": node.id}
    return _el("g", attrs, *children)


def _task(node: Node, style: Style) -> str:
    box = node.box
    max_lines = max(min(TASK_MAX_LINES, int((box.h - TASK_PADDING) // TASK_LINE)), 1)
    lines = _wrap(node.name or node.id, box.w - 2 * TASK_PADDING, TASK_FONT, max_lines)
    top = box.cy - TASK_LINE * (len(lines) - 1) / 2 + TASK_FONT * 0.35
    weight = "600" if style.bold else "normal"
    text_attrs = {"text-anchor": "middle", "fill": style.text, "font-weight": weight}
    rows = [
        _el("tspan", {"x": box.cx, "y": top + i * TASK_LINE}, escape(line))
        for i, line in enumerate(lines)
    ]
    parts = [
        _rect(box, style.fill, style.stroke, style.width, rx=10),
        _el("text", text_attrs, *rows),
    ]
    if style.tick:
        parts.append(_tick_badge(box.right - 2, box.y + 2, style.stroke))
    if node.instances:
        parts.append(_instances_marker(box, node.instances, style.stroke))
    return "".join(parts)


def _instances_marker(box: Box, instances: str, colour: str) -> str:
    """BPMN's multi-instance marker at the bottom centre: three bars, upright when parallel."""
    top = box.bottom - 13
    if instances == "parallel":
        bars = "".join(f"M{_n(box.cx + dx)},{_n(top)} v10 " for dx in (-4, 0, 4))
    else:
        bars = "".join(f"M{_n(box.cx - 5)},{_n(top + dy)} h10 " for dy in (1, 5, 9))
    attrs = {"d": bars.strip(), "stroke": colour, "stroke-width": 1.5, "fill": "none"}
    return _el("path", {**attrs, "class": f"bpmn-instances {instances}"})


def _tick_badge(cx: float, cy: float, colour: str) -> str:
    """A tick on the task's corner rather than inside, so it never covers a wrapped name."""
    tick = f"M{_n(cx - 4)},{_n(cy)} l3,3 l5,-6"
    return _el("circle", {"cx": cx, "cy": cy, "r": 8, "fill": colour}) + _el(
        "path", {"d": tick, "fill": "none", "stroke": "#ffffff", "stroke-width": 2}
    )


def _event(node: Node, style: Style) -> str:
    box = node.box
    width = 4 if node.kind == "end" else max(style.width, 1.5)
    radius = min(box.w, box.h) / 2 - (width / 2 if node.kind == "end" else 0)
    circle = {"cx": box.cx, "cy": box.cy, "r": radius, "fill": style.fill, "stroke": style.stroke}
    shapes = [_el("circle", {**circle, "stroke-width": width})]
    if node.kind == "event":  # intermediate events have a double rim
        shapes.append(_el("circle", {**circle, "r": radius - 3, "fill": "none", "stroke-width": 1}))
    return "".join(shapes)


def _gateway(node: Node, style: Style) -> str:
    b = node.box
    corners = ((b.cx, b.y), (b.right, b.cy), (b.cx, b.bottom), (b.x, b.cy))
    diamond = {
        "points": " ".join(f"{_n(x)},{_n(y)}" for x, y in corners),
        "fill": style.fill,
        "stroke": style.stroke,
        "stroke-width": style.width,
        "stroke-linejoin": "round",
    }
    s = min(b.w, b.h) * (0.18 if node.kind == "exclusive" else 0.24)
    marks = {
        "exclusive": f"M{_n(b.cx - s)},{_n(b.cy - s)} l{_n(2 * s)},{_n(2 * s)} "
        f"m0,{_n(-2 * s)} l{_n(-2 * s)},{_n(2 * s)}",  # ×
        "parallel": f"M{_n(b.cx)},{_n(b.cy - s)} v{_n(2 * s)} "
        f"M{_n(b.cx - s)},{_n(b.cy)} h{_n(2 * s)}",  # +
    }
    parts = [_el("polygon", diamond)]
    if node.kind in marks:
        mark = {"d": marks[node.kind], "stroke": style.stroke, "stroke-width": 3, "fill": "none"}
        parts.append(_el("path", {**mark, "stroke-linecap": "round"}))
    return "".join(parts)


SHAPES: dict[str, Callable[[Node, Style], str]] = {
    "task": _task,
    "start": _event,
    "end": _event,
    "event": _event,
    "exclusive": _gateway,
    "parallel": _gateway,
    "gateway": _gateway,
}


def _legend(pool: Box) -> str:
    """A key below the pool, so the colours need no guessing."""
    items = []
    x, y = pool.x + 4, pool.bottom + MARGIN + 6
    for state in ("active", "done", "pending"):
        style = STYLES[state]
        items.append(_rect(Box(x, y, 22, 14), style.fill, style.stroke, style.width, rx=4))
        text_attrs = {"x": x + 28, "y": y + 11, "font-size": LABEL_FONT, "fill": INK}
        items.append(_el("text", text_attrs, escape(STATE_NAMES[state])))
        x += 28 + _text_width(STATE_NAMES[state], LABEL_FONT) + 20
    return _el("g", {"class": "bpmn-legend"}, *items)


# --- SVG writing -----------------------------------------------------------------------------


def _rect(box: Box, fill: str, stroke: str, width: float, rx: float = 0) -> str:
    attrs: dict[str, object] = {"x": box.x, "y": box.y, "width": box.w, "height": box.h}
    attrs |= {"fill": fill, "stroke": stroke, "stroke-width": width}
    if rx:
        attrs["rx"] = rx
    return _el("rect", attrs)


def _n(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _attr(value: object) -> str:
    text = _n(value) if isinstance(value, float) else str(value)
    return escape(text, {'"': "&quot;"})


def _el(tag: str, attrs: Mapping[str, object], *children: str) -> str:
    """One element; attribute values are escaped here, text children by the caller."""
    attr_text = "".join(f' {key}="{_attr(value)}"' for key, value in attrs.items())
    body = "".join(children)
    return f"<{tag}{attr_text}>{body}</{tag}>" if body else f"<{tag}{attr_text}/>"
