"""Page numbers of the PDF edition carried into the EPUB (`page-list` and pagebreak markers).

The PDF side reads WeasyPrint's laid-out pages and records, for each page, the block element the
page begins in and the first words on it (`from_weasyprint`). The EPUB side finds the same block
in its own XHTML, by tag and text, and inserts an empty `<span epub:type="pagebreak">` at that
word (`insert_markers`). Both editions are made from the same pandoc output, so the blocks agree;
a page whose block cannot be found is left out rather than guessed.
"""
from __future__ import annotations

import re

from lxml import etree

from ..model import PageStart
from .xhtml import EPUB, XHTML

# Elements a page can begin in; the innermost one around the first line of a page is used.
BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "figcaption", "figure", "td", "th", "dt", "dd",
          "blockquote", "table", "aside", "div", "section", "header", "footer", "ul", "ol", "dl"}
# Markers go before these, never inside them (a heading's accessible name must stay its text).
BEFORE = {"h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "dl", "figure"}
SKIP = {"math", "svg", "script", "style"}
TEXT_KEY = 60  # characters of a block's text used to recognise it


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _text(el) -> str:
    """Whitespace-collapsed text of EL, without math/svg content."""
    parts = []

    def walk(node):
        if _local(node.tag) in SKIP:
            return
        parts.append(node.text or "")
        for child in node:
            walk(child)
            parts.append(child.tail or "")
    walk(el)
    return _norm("".join(parts))


def from_weasyprint(document, root) -> list[PageStart]:
    """PageStart for every PDF page that begins in the title page or the text (not the contents).

    DOCUMENT is WeasyPrint's rendered Document, ROOT the element tree it was rendered from.
    Page labels are the physical page numbers, which is what `counter(page)` prints.
    """
    from weasyprint.formatting_structure import boxes

    parent = {child: node for node in root.iter() for child in node}

    def context(el):
        """(innermost block, part, in a table header/footer) for an element; (None, None, False) outside
        the title page and the text."""
        block, node, repeats = None, el, False
        while node is not None:
            tag = _local(node.tag)
            if block is None and tag in BLOCKS:
                block = node
            repeats = repeats or tag in ("thead", "tfoot")
            if tag == "main":
                return block, "text", repeats
            if tag == "section" and "title-page" in (node.get("class") or "").split():
                return block, "title", repeats
            if tag == "nav":
                return None, None, False
            node = parent.get(node)
        return None, None, False

    seen: dict[int, int] = {}  # id(block) → characters laid out so far
    starts = []
    for number, page in enumerate(document.pages, start=1):
        first, needle = None, ""
        for box in page._page_box.descendants():
            if not isinstance(box, (boxes.TextBox, boxes.ReplacedBox)) or box.element is None:
                continue
            block, part, repeats = context(box.element)
            if block is None or repeats and seen.get(id(block)) and first is None:
                continue  # nothing here, or a table header repeated at the top of a continued table
            if first is None:
                first = (box, block, part, seen.get(id(block), 0))
            if isinstance(box, boxes.TextBox):
                if block is first[1] and not needle:
                    needle = _norm(box.text)[:30].strip()  # the page's first words in its first block
                seen[id(block)] = seen.get(id(block), 0) + len(box.text)
        if first is None:
            continue
        box, block, part, before = first
        text = _text(block)
        offset = 0
        if before:  # the page begins inside a block that started on an earlier page
            offset = _nearest(text, needle, before)
        else:
            needle = ""
        starts.append(PageStart(str(number), part, _local(block.tag), text[:TEXT_KEY], needle, offset))
    return starts


def _nearest(text: str, needle: str, around: int) -> int:
    """The index of the occurrence of NEEDLE in TEXT closest to AROUND (AROUND itself when absent)."""
    if not needle:
        return min(around, len(text))
    hits = [m.start() for m in re.finditer(re.escape(needle), text)]
    if not hits:
        return min(around, len(text))
    return min(hits, key=lambda i: abs(i - around))


def _marker(label: str):
    span = etree.Element(f"{{{XHTML}}}span")
    span.set(f"{{{EPUB}}}type", "pagebreak")
    span.set("role", "doc-pagebreak")
    span.set("id", f"page-{label}")
    span.set("aria-label", label)
    return span


def _insert_at(block, pos: int, span) -> None:
    """Insert SPAN into BLOCK at character POS of its collapsed text, at the start of that word."""
    segments = []  # (owner, "text"|"tail", raw start index)
    raw = []

    def walk(node):
        segments.append((node, "text", sum(map(len, raw))))
        raw.append(node.text or "")
        for child in node:
            if _local(child.tag) not in SKIP and _local(child.tag) != "a":
                walk(child)
            else:  # math, svg and links are atoms: a marker never goes inside them
                segments.append((child, "atom", sum(map(len, raw))))
            segments.append((child, "tail", sum(map(len, raw))))
            raw.append(child.tail or "")
    walk(block)
    whole = "".join(raw)
    # Map collapsed positions to raw positions.
    index, prev_space = [], True
    for i, ch in enumerate(whole):
        if ch.isspace():
            if prev_space:
                continue
            prev_space = True
        else:
            prev_space = False
        index.append(i)
    if pos <= 0 or pos >= len(index):
        span.tail = block.text
        block.text = None
        block.insert(0, span)
        return
    at = index[pos]
    while at > 0 and not whole[at - 1].isspace():  # back to the start of the word
        at -= 1
    owner, kind, start = None, None, 0
    for seg in segments:
        if seg[1] != "atom" and seg[2] <= at:
            owner, kind, start = seg
    if owner is None:
        owner, kind, start = block, "text", 0
    k = at - start
    if kind == "text":
        text = owner.text or ""
        owner.text, span.tail = text[:k] or None, text[k:] or None
        owner.insert(0, span)
    else:
        text = owner.tail or ""
        owner.tail = text[:k] or None
        owner.addnext(span)  # lxml moves no text: the rest of the tail goes after the marker
        span.tail = text[k:] or None


def insert_markers(docs: list[tuple[str, list]], starts: list[PageStart]) -> list[tuple[str, str]]:
    """Insert pagebreak markers into the XHTML of DOCS ([(file, elements)], spine order, the title page
    first); returns [(label, 'file#page-N')] for the page-list, in reading order."""
    blocks = []  # (file, element, part)
    for n, (fname, elements) in enumerate(docs):
        part = "title" if n == 0 else "text"
        for el in elements:
            for node in el.iter():
                if _local(node.tag) in BLOCKS:
                    blocks.append((fname, node, part))
    found, cursor = [], {"title": 0, "text": 0}
    for ps in starts:
        key = ps.text[:40]
        for i in range(cursor[ps.part], len(blocks)):
            fname, node, part = blocks[i]
            if part != ps.part or _local(node.tag) != ps.tag:
                continue
            text = _text(node)
            if text[:40] == key:
                cursor[ps.part] = i
                found.append((ps, fname, node, text))
                break
    out = []
    for ps, fname, node, text in found:
        span = _marker(ps.label)
        if ps.tag in BEFORE and node.getparent() is not None:
            node.addprevious(span)
        elif ps.tag in ("table", "ul", "ol", "dl"):
            continue  # a top-level list or table: no valid place for a marker
        else:
            _insert_at(node, _nearest(text, ps.needle, ps.offset) if ps.needle else 0, span)
        out.append((ps.label, f"{fname}#page-{ps.label}"))
    return out
