"""Math for the PDF: MathML (from pandoc) → SVG with ziamath, since WeasyPrint cannot lay out MathML.

Each formula becomes a small vector image sized in em, so it follows the size of the text around it
(body, footnote, caption) and sits on the text's baseline. A formula ziamath cannot draw is reported
with file:line by the caller and shown as its TeX source instead.
"""
from __future__ import annotations

import base64
import logging
import re
import threading
import warnings
from functools import lru_cache

from lxml import etree

MATHML = "http://www.w3.org/1998/Math/MathML"
EM_PX = 14.0  # ziamath draws at this size (CSS px); sizes are then expressed in em
_LOCK = threading.Lock()


class MathError(ValueError):
    """A formula that cannot be drawn."""


class _Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def presentation(mathml: str) -> str:
    """The presentation MathML of a <math> element, without pandoc's <semantics>/<annotation> wrapper."""
    root = etree.fromstring(mathml.encode("utf-8"))
    for sem in list(root.iter(f"{{{MATHML}}}semantics", "semantics")):
        parent = sem.getparent()
        kept = [c for c in sem if isinstance(c.tag, str) and etree.QName(c).localname not in
                ("annotation", "annotation-xml")]
        index = parent.index(sem)
        parent.remove(sem)
        if len(kept) == 1:
            parent.insert(index, kept[0])
        elif kept:
            row = etree.Element(f"{{{MATHML}}}mrow")
            row.extend(kept)
            parent.insert(index, row)
    return etree.tostring(root, encoding="unicode")


@lru_cache(maxsize=2048)
def to_svg(mathml: str) -> tuple[str, float, float, float]:
    """Draw MathML; returns (SVG text, width, height, depth below the baseline), sizes in em."""
    with warnings.catch_warnings():  # ziamath's font loading uses a deprecated importlib API
        warnings.simplefilter("ignore", DeprecationWarning)
        import ziamath

    handler = _Collect()
    logger = logging.getLogger()
    with _LOCK:  # ziamath logs through the root logger
        logger.addHandler(handler)
        try:
            with warnings.catch_warnings():  # ziamath's font loading uses a deprecated importlib API
                warnings.simplefilter("ignore", DeprecationWarning)
                svg = ziamath.Math(presentation(mathml), size=EM_PX).svg()
        except Exception as exc:  # noqa: BLE001 - ziamath raises many kinds of errors on odd input
            raise MathError(f"{type(exc).__name__}: {exc}") from None
        finally:
            logger.removeHandler(handler)
    undefined = [m for m in handler.messages if "Undefined" in m or "not supported" in m.lower()]
    if undefined:
        names = sorted(set(re.findall(r"<Element '([^']+)'", " ".join(undefined)))) or undefined[:1]
        raise MathError("unsupported MathML: " + ", ".join(names))
    m = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+)"', svg)
    if not m:
        raise MathError("no drawing produced")
    _x, y, w, h = (float(v) for v in m.groups())
    if w <= 0 or h <= 0 or h > 5000:
        raise MathError("empty or degenerate drawing")
    return svg, w / EM_PX, h / EM_PX, max(0.0, (y + h)) / EM_PX


def svg_img(mathml: str, alt: str, display: bool):
    """An <img> element (lxml.html) holding the formula as an SVG data URI, sized and aligned in em."""
    from lxml import html as lxml_html

    svg, w, h, depth = to_svg(mathml)
    img = lxml_html.Element("img")
    img.set("class", "math-svg display" if display else "math-svg inline")
    img.set("src", "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii"))
    img.set("alt", alt)
    # a display formula's height follows its width (the drawing's ratio), so that a wide one can shrink
    # to the text block
    img.set("style", f"width:{w:.3f}em" if display else f"width:{w:.3f}em;height:{h:.3f}em;vertical-align:-{depth:.3f}em")
    return img
