"""Raw HTML from posts and theme includes made valid for every edition (HTML, EPUB, PDF).

Themes and authors write HTML that browsers forgive but validators (Nu, EPUBCheck) and the PDF path do
not. `clean(root)` fixes, on a parsed fragment (body.parse()):

- void elements parsed as containers: lxml's HTML parser does not know `<source>` or `<track>` as
  empty, so `<picture><source …><img …></picture>` put the `<img>` inside the `<source>`, and removing
  the source removed the image (figures vanished from the PDF). Their content is moved out after them.
- `width`/`height` on img, iframe, video, canvas, embed, object, source, td, th, col: a non-negative
  integer is kept (`70px` → `70`); a percentage or a length becomes CSS (`style="width: 80%"`);
  `auto` and anything else are dropped. `min-width`/`max-width`/`min-height`/`max-height` written as
  attributes become CSS as well, and `align` on an image becomes a float.
- event handlers (`onerror=`, `onclick=` …) are removed in every edition, and theme scripts (code
  from the site's own files, `<script src="/assets/js/…">`, or inline jQuery, neither of which the
  edition ships) are removed from the HTML edition too; other scripts follow `html_policy`.
- `markdown="1"` left on an HTML block and `close` on `<details>` are dropped; `start` on a div around
  a list (a kramdown IAL `{:start="4"}`) moves to the list.
- an `<img>` without `alt` gets an empty one (HTML requires the attribute).
- boolean attributes written with a value (`allowfullscreen="true"`) get the empty value HTML requires;
  obsolete iframe attributes (`frameborder`, `scrolling`, `marginwidth`, `marginheight`) are dropped.
- obsolete elements renamed: `<strike>` → `<s>`, `<tt>` → `<code>`, `<acronym>` → `<abbr>`, `<font>`
  and `<big>` → `<span>` (a font colour kept as CSS).
- `<source>` outside `<picture>`, `<video>` or `<audio>` is removed, and inside them it moves before
  the other content; `<figcaption>` outside a `<figure>` becomes `<p class="caption">`, and inside
  one it moves to the end when it is neither first nor last; `<details>` without a `<summary>` gets
  one ("Details").
"""
from __future__ import annotations

import re

from lxml import html as lxml_html

VOID = ("area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param", "source",
        "track", "wbr")
SIZED = ("img", "iframe", "video", "canvas", "embed", "object", "source", "td", "th", "col", "colgroup", "table")
CSS_SIZES = ("min-width", "max-width", "min-height", "max-height")
BOOLEAN = ("allowfullscreen", "autoplay", "controls", "loop", "muted", "playsinline", "open", "hidden", "async",
           "defer", "disabled", "checked", "novalidate", "reversed", "default", "ismap", "itemscope")
OBSOLETE_IFRAME = ("frameborder", "scrolling", "marginwidth", "marginheight", "longdesc")
MEDIA_PARENTS = ("picture", "video", "audio")
_INTEGER = re.compile(r"^\s*(\d+)\s*(?:px)?\s*$", re.I)
_LENGTH = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|px|em|rem|ex|ch|vw|vh|vmin|vmax|pt|pc|cm|mm|in)\s*$", re.I)


def unnest_void(root) -> None:
    """Move whatever the parser put inside a void element (`<source>`, `<track>` …) out after it."""
    for el in list(root.iter(*VOID)):
        parent = el.getparent()
        if parent is None or (not len(el) and el.text is None):
            continue
        text, tail, children = el.text, el.tail, list(el)
        el.text, el.tail = None, text
        at = parent.index(el)
        for i, child in enumerate(children, start=1):
            parent.insert(at + i, child)
        last = children[-1] if children else el
        if tail:
            last.tail = (last.tail or "") + tail


def _style_add(el, prop: str, value: str) -> None:
    style = (el.get("style") or "").strip().rstrip(";")
    if re.search(r"(^|;)\s*" + re.escape(prop) + r"\s*:", style, re.I):
        return  # the author's own CSS wins
    el.set("style", (style + "; " if style else "") + f"{prop}: {value}")


def dimensions(root) -> None:
    """width/height attributes made valid (integers), lengths and percentages moved to CSS."""
    for el in root.iter(*SIZED):
        for attr in ("width", "height"):
            value = el.get(attr)
            if value is None:
                continue
            m = _INTEGER.match(value)
            if m and el.tag not in ("td", "th", "col", "colgroup", "table"):
                el.set(attr, m.group(1))
                continue
            del el.attrib[attr]
            length = _LENGTH.match(value) or (m and _LENGTH.match(m.group(1) + "px"))
            if length:
                _style_add(el, attr, length.group(1) + length.group(2).lower())
        for attr in CSS_SIZES:
            value = el.get(attr)
            if value is None:
                continue
            del el.attrib[attr]
            length = _LENGTH.match(value) or (_INTEGER.match(value) and _LENGTH.match(value.strip() + "px"))
            if length:
                _style_add(el, attr, length.group(1) + length.group(2).lower())
    for img in root.iter("img"):
        align = (img.get("align") or "").strip().lower()
        if "align" in img.attrib:
            del img.attrib["align"]
            if align in ("left", "right"):
                _style_add(img, "float", align)


def attributes(root, html_edition: bool = False) -> None:
    """Event handlers removed; boolean attributes with the empty value; obsolete iframe attributes dropped.
    HTML_EDITION: also remove theme scripts (_theme_script)."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        for name in list(el.attrib):
            lname = name.lower()
            if lname.startswith("on") and len(lname) > 2:
                del el.attrib[name]
            elif lname in BOOLEAN and el.get(name) not in ("", lname):
                el.set(name, "")
            elif el.tag == "iframe" and lname in OBSOLETE_IFRAME:
                del el.attrib[name]
    for el in root.iter():
        if isinstance(el.tag, str) and "markdown" in el.attrib:  # kramdown's, left on an HTML block
            del el.attrib["markdown"]
    for details in root.iter("details"):
        details.attrib.pop("close", None)  # not an attribute (only `open` is)
    for div in root.iter("div"):  # a kramdown IAL `{:start="4"}` on a list became a div around it
        start = div.attrib.pop("start", None)
        first = next((c for c in div if isinstance(c.tag, str)), None)
        if start is not None and first is not None and first.tag == "ol" and first.get("start") is None \
                and start.strip().lstrip("-").isdigit():
            first.set("start", start.strip())
    for img in root.iter("img"):
        if img.get("alt") is None:  # required in HTML; remote images kept by the web page had none
            img.set("alt", "")
    if html_edition:
        for script in list(root.iter("script")):
            if script.getparent() is not None and _theme_script(script):
                script.drop_tree()


def _theme_script(script) -> bool:
    """A script that needs the theme: its code from the site's own files (`/assets/js/…`, which the
    edition does not ship) or inline code calling jQuery (which the edition does not load)."""
    src = (script.get("src") or "").strip()
    if src:
        return not re.match(r"^(?:[a-z][a-z0-9+.-]*:)?//", src, re.I)
    kind = (script.get("type") or "text/javascript").lower()
    return "javascript" in kind and bool(re.search(r"(?<![\w$])(?:\$|jQuery)\s*[(.]", script.text or ""))


def placement(root) -> None:
    """<source>, <figcaption> and <details>/<summary> where HTML allows them."""
    for source in list(root.iter("source")):
        parent = source.getparent()
        if parent is None:
            continue
        if parent.tag not in MEDIA_PARENTS:
            source.drop_tree()
            continue
        first = next((c for c in parent if isinstance(c.tag, str) and c.tag != "source"), None)
        if first is not None and parent.index(first) < parent.index(source):
            _detach(source)
            first.addprevious(source)
    for cap in list(root.iter("figcaption")):
        parent = cap.getparent()
        if parent is None:
            continue
        if parent.tag != "figure":
            cap.tag = "p" if parent.tag not in ("p", "span", "a", "em", "strong", "li", "td", "th") else "span"
            cap.set("class", " ".join(((cap.get("class") or "").split()) + ["caption"]))
            continue
        elements = [c for c in parent if isinstance(c.tag, str)]
        if elements and cap is not elements[0] and cap is not elements[-1]:
            _move_to_end(cap, parent)
    for details in list(root.iter("details")):
        summary = next((c for c in details if c.tag == "summary"), None)
        if summary is None:
            summary = lxml_html.Element("summary")
            summary.text = "Details"
            summary.tail, details.text = details.text, None
            details.insert(0, summary)
        elif details.index(summary) != 0 or (details.text or "").strip():
            _detach(summary)
            summary.tail, details.text = details.text, None
            details.insert(0, summary)


def _detach(el) -> None:
    """Take EL out of its parent, leaving the text after it in place."""
    parent, prev, tail = el.getparent(), el.getprevious(), el.tail
    el.tail = None
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _move_to_end(el, parent) -> None:
    _detach(el)
    parent.append(el)


OBSOLETE = {"strike": "s", "tt": "code", "acronym": "abbr", "big": "span", "font": "span", "blink": "span",
            "marquee": "span", "nobr": "span", "spacer": "span"}


def obsolete_elements(root) -> None:
    """Elements HTML5 and EPUB no longer allow, renamed to their equivalent (`<strike>` → `<s>`,
    `<tt>` → `<code>`, `<acronym>` → `<abbr>`, `<font color>` → `<span style="color">`)."""
    for el in list(root.iter(*OBSOLETE)):
        old = el.tag
        el.tag = OBSOLETE[old]
        if old == "font":
            color = (el.get("color") or "").strip()
            for attr in ("color", "face", "size"):
                el.attrib.pop(attr, None)
            if re.fullmatch(r"#?[\w]+", color):
                _style_add(el, "color", color)
        elif old == "big":
            el.set("class", " ".join((el.get("class") or "").split() + ["big"]))


def clean(root, html_edition: bool = False) -> None:
    """All of the above, in place, on a container made by body.parse()."""
    unnest_void(root)
    obsolete_elements(root)
    dimensions(root)
    attributes(root, html_edition)
    placement(root)
