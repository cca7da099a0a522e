"""The seal's specimen (印模): a round red seal with the agency's name along the upper rim, a
five-pointed star in the middle and the seal's name beneath it, the usual face of an official
seal.

It is a reportlab Drawing of vector shapes in the built-in CID font STSong-Light, so neither a
font file nor an image library ships with the project: `specimen_pdf` gives the one-page PDF
kept with the seal, and a license PDF stamps the same drawing with
`reportlab.graphics.renderPDF.draw(seal_drawing(...), canvas, x, y)`.
"""

from __future__ import annotations

import functools
import io
import math

from reportlab.graphics import renderPDF
from reportlab.graphics.shapes import Circle, Drawing, Group, Polygon, String
from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

FONT = "STSong-Light"
RED = Color(0.85, 0.07, 0.11)
DIAMETER = 42 * mm  # the common size of an agency's seal
RIM_SPAN_DEGREES = 220  # how much of the circle the agency's name may cover, centred on top
STAR_POINTS = 5


@functools.cache
def _register_font() -> None:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def seal_drawing(*, agency_name: str, seal_name: str, diameter: float = DIAMETER) -> Drawing:
    _register_font()
    radius = diameter / 2
    drawing = Drawing(diameter, diameter)
    ring_width = diameter * 0.035
    drawing.add(
        Circle(
            radius,
            radius,
            radius - ring_width / 2,
            strokeColor=RED,
            strokeWidth=ring_width,
            fillColor=None,
        )
    )
    drawing.add(_star(radius, radius, radius * 0.3))
    for glyph in _rim_text(agency_name, radius):
        drawing.add(glyph)
    drawing.add(_seal_name(seal_name, radius))
    return drawing


def specimen_pdf(*, agency_name: str, seal_name: str) -> bytes:
    """A page the size of the seal holding only the seal. `invariant` leaves out the creation
    time, so equal names give equal bytes (stored once, core.files)."""
    drawing = seal_drawing(agency_name=agency_name, seal_name=seal_name)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(drawing.width, drawing.height), invariant=1)
    canvas.setTitle(f"{agency_name}{seal_name}印模")
    renderPDF.draw(drawing, canvas, 0, 0)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _star(cx: float, cy: float, outer: float) -> Polygon:
    """A five-pointed star, one point up; inner vertices on the golden-ratio circle."""
    inner = outer * 0.382
    points: list[float] = []
    for step in range(STAR_POINTS * 2):
        angle = math.pi / 2 + step * math.pi / STAR_POINTS
        length = outer if step % 2 == 0 else inner
        points += [cx + length * math.cos(angle), cy + length * math.sin(angle)]
    return Polygon(points, fillColor=RED, strokeColor=None)


def _rim_text(text: str, radius: float) -> list[Group]:
    """One glyph per character, left to right over the top, each upright toward the rim."""
    characters = list(text.strip())
    if not characters:
        return []
    step = min(30.0, RIM_SPAN_DEGREES / len(characters))
    size = min(radius * 0.26, 2 * math.pi * radius * 0.7 * step / 360 * 0.95)
    baseline = radius * 0.9 - size  # the glyphs' tops stay clear of the ring
    first = 90 + step * (len(characters) - 1) / 2
    glyphs = []
    for position, character in enumerate(characters):
        degrees = first - position * step
        angle = math.radians(degrees)
        glyph = Group(
            String(
                0, 0, character, fontName=FONT, fontSize=size, fillColor=RED, textAnchor="middle"
            )
        )
        glyph.translate(radius + baseline * math.cos(angle), radius + baseline * math.sin(angle))
        glyph.rotate(degrees - 90)
        glyphs.append(glyph)
    return glyphs


def _seal_name(text: str, radius: float) -> String:
    """The seal's name on one line beneath the star, shrunk to fit inside the ring."""
    size = radius * 0.17
    width = pdfmetrics.stringWidth(text, FONT, size)
    if width > radius * 1.2:
        size *= radius * 1.2 / width
    return String(
        radius,
        radius * 0.42,
        text,
        fontName=FONT,
        fontSize=size,
        fillColor=RED,
        textAnchor="middle",
    )
