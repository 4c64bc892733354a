"""A typographic cover image (PNG) in the house style, for papers without a usable image."""
from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

from ..model import Paper
from .common import author_line, display_date

WIDTH, HEIGHT = 1600, 2400
PAPER = (250, 247, 240)
INK = (29, 29, 31)
ACCENT = (138, 47, 28)


def _font(size: int, weight: str = "Regular", italic: bool = False):
    from .pdf import font_files

    path = font_files()["italic" if italic else "roman"]
    font = ImageFont.truetype(str(path), size)
    try:
        font.set_variation_by_name(weight if not italic else ("Italic" if weight == "Regular" else f"{weight} Italic"))
    except (OSError, ValueError):
        pass
    return font


def _wrap(draw, text: str, font, max_width: int) -> list[str]:
    words = text.split()
    lines: list[str] = []
    line = ""
    for w in words:
        trial = f"{line} {w}".strip()
        if draw.textlength(trial, font=font) <= max_width or not line:
            line = trial
        else:
            lines.append(line)
            line = w
    if line:
        lines.append(line)
    return lines


def make_cover(paper: Paper, title: str) -> bytes:
    """Render the cover as PNG bytes (deterministic for the same paper)."""
    img = Image.new("RGB", (WIDTH, HEIGHT), PAPER)
    d = ImageDraw.Draw(img)
    margin = 150
    d.rectangle([0, 0, WIDTH, 40], fill=ACCENT)
    y = 330
    if paper.series or paper.publisher:
        f = _font(46, "Semibold")
        d.text((margin, y), (paper.series or paper.publisher).upper(), font=f, fill=ACCENT)
        y += 120
    size = 150 if len(title) < 40 else 120 if len(title) < 80 else 92
    f = _font(size, "Bold")
    for line in _wrap(d, title, f, WIDTH - 2 * margin)[:7]:
        d.text((margin, y), line, font=f, fill=INK)
        y += int(size * 1.15)
    if paper.subtitle:
        y += 30
        f = _font(64, "Regular", italic=True)
        for line in _wrap(d, paper.subtitle, f, WIDTH - 2 * margin)[:4]:
            d.text((margin, y), line, font=f, fill=(70, 70, 74))
            y += 84
    d.line([margin, HEIGHT - 560, margin + 300, HEIGHT - 560], fill=ACCENT, width=6)
    f = _font(68, "Semibold")
    yy = HEIGHT - 500
    for line in textwrap.wrap(author_line(paper), 38)[:3]:
        d.text((margin, yy), line, font=f, fill=INK)
        yy += 90
    f = _font(52)
    d.text((margin, yy + 20), display_date(paper.date), font=f, fill=(90, 90, 94))
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=True)
    return buf.getvalue()
