"""What Ace by DAISY (axe-core) asks of an EPUB chapter that the author's markup does not give (issue 14).

`for_epub(root)` adapts the body (the tree of body.parse) for the EPUB, and `tab_order(elements)` sets the
tab order on the sanitized chapter (the sanitizer drops tabindex):

- wide display formulas scroll sideways inside a focusable wrapper (`span.math-scroll`, tabindex 0), so a
  keyboard can scroll them (axe: scrollable-region-focusable);
- `<details>`/`<summary>` become plain blocks, shown open: a summary may hold links (citations), which
  an interactive summary must not (nested-interactive), and a summary without text has no name
  (summary-name); most reading systems do not fold them anyway;
- a table header cell without text becomes a data cell (empty-table-header);
- the empty links pandoc puts before numbered code lines (`<a href="#cb1-1"></a>`) are hidden from
  assistive technology and taken out of the tab order (link-name), as pandoc does for unnumbered ones;
- an inline `color:` the author wrote (#hex, rgb(), a name …; without a background-color of their own)
  is darkened until it reads on white (color-contrast), as the syntax-highlighting colours are
  (readable_colours).
"""
from __future__ import annotations

import re

from lxml import html as lxml_html

from .body import _add_class, _classes
from .xhtml import XHTML


def for_epub(root) -> None:
    """Apply every adaptation above to ROOT (a container made by body.parse), in place."""
    scrollable_math(root)
    open_details(root)
    empty_header_cells(root)
    code_line_links(root)
    readable_inline_colours(root)


def tab_order(elements) -> None:
    """On a chapter's XHTML ELEMENTS, after sanitizing (which drops tabindex): links hidden from assistive
    technology (pandoc's code-line anchors) leave the tab order; the formula wrappers join it."""
    for el in elements:
        for a in el.iter(f"{{{XHTML}}}a"):
            if a.get("aria-hidden") == "true" and a.get("href") is not None:
                a.set("tabindex", "-1")
        for span in el.iter(f"{{{XHTML}}}span"):
            if span.get("class") == "math-scroll":
                span.set("tabindex", "0")


def scrollable_math(root) -> None:
    """Wrap each display formula (outside a numbered .equation, which does not scroll) in a span that
    scrolls sideways (epub.css: .math-scroll) and takes the focus (tab_order)."""
    for math in list(root.iter("math")):
        if math.get("display") != "block" or _in_class(math, ("equation", "math-scroll")):
            continue
        wrap = lxml_html.Element("span")
        wrap.set("class", "math-scroll")
        wrap.tail, math.tail = math.tail, None
        math.getparent().replace(math, wrap)
        wrap.append(math)


def open_details(root) -> None:
    """<details> → div.details and its <summary> → div.details-summary: the content shown, nothing to fold."""
    for details in list(root.iter("details")):
        details.tag = "div"
        details.attrib.pop("open", None)
        _add_class(details, "details")
        for summary in details.findall("summary"):
            summary.tag = "div"
            _add_class(summary, "details-summary")


def empty_header_cells(root) -> None:
    """A <th> with no text and no image becomes a <td> (a header must name its column or row)."""
    for th in list(root.iter("th")):
        if not th.text_content().strip() and not any(img.get("alt") for img in th.iter("img")):
            th.tag = "td"
            for name in ("scope", "abbr"):
                th.attrib.pop(name, None)


def code_line_links(root) -> None:
    """Empty links to their own code line (pandoc's numbered lines) get aria-hidden and tabindex -1."""
    for a in root.iter("a"):
        parent = a.getparent()
        href = a.get("href") or ""
        if (href.startswith("#") and parent is not None and parent.get("id") == href[1:]
                and not a.text_content().strip() and len(a) == 0):
            a.set("aria-hidden", "true")  # tab_order takes it out of the tab order


def readable_inline_colours(root) -> None:
    """`style="color: …"` (any CSS colour: #hex, rgb(), hsl(), a name) darkened to WCAG AA on white, unless
    the same style sets a background-color (the `background` shorthand does not reach the EPUB:
    publisher.safety keeps background-color only)."""
    for el in root.iter():
        style = el.get("style") if isinstance(el.tag, str) else None
        if style and "color" in style and not re.search(r"background-color", style, re.I):
            fixed = _INLINE_COLOUR.sub(_readable_declaration, style)
            if fixed != style:
                el.set("style", fixed)


_INLINE_COLOUR = re.compile(r"((?<![-\w])color\s*:\s*)([^;!]+?)(\s*(?:!important\s*)?(?:;|$))", re.I)


def _readable_declaration(m) -> str:
    from tinycss2.color3 import parse_color

    colour = parse_color(m.group(2).strip())
    if not hasattr(colour, "alpha") or colour.alpha < 1:
        return m.group(0)  # currentColor, inherit, a translucent colour: left as written
    rgb = tuple(round(c * 255) for c in colour[:3])
    darker = _darken(rgb)
    return m.group(0) if darker == rgb else f"{m.group(1)}#{''.join(f'{c:02x}' for c in darker)}{m.group(3)}"


def _darken(rgb: tuple[int, int, int], minimum: float = 4.6) -> tuple[int, int, int]:
    """RGB darkened step by step until it reaches MINIMUM contrast on white."""
    while 1.05 / (_luminance(rgb) + 0.05) < minimum:
        rgb = tuple(int(c * 0.9) for c in rgb)
    return rgb


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = map(channel, rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def readable_colours(css: str, minimum: float = 4.6) -> str:
    """CSS with every `color: #hex` darkened until it reaches MINIMUM contrast on white (WCAG AA).

    Syntax-highlighting themes use light greys and greens that fail on white paper and on e-ink."""
    def fix(m):
        value = m.group(2)
        if len(value) == 3:
            value = "".join(c * 2 for c in value)
        rgb = _darken(tuple(int(value[i:i + 2], 16) for i in (0, 2, 4)), minimum)
        return f"{m.group(1)}#{''.join(f'{c:02x}' for c in rgb)}"
    return re.sub(r"((?<![-\w])color:\s*)#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b", fix, css)


def _in_class(el, names: tuple[str, ...]) -> bool:
    return any(set(_classes(a)) & set(names) for a in el.iterancestors())
