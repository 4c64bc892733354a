"""The shared body (one pandoc pass) adapted to each medium: notes, math, images, tables, embeds.

`for_pdf`, `for_epub` and `for_html` each take one of the Document's fragments (the body, the summary,
the author's bio), parse it once, run every step of that edition on the tree (the link rules of
edition_links.py included) and serialize it once. They never change the Document itself. The PDF's
fragment is serialized and parsed once more in the middle, for the sanitiser (nh3 works on text);
docs/core.md lists the steps.

- Notes: PDF footnotes at the foot of the page (WeasyPrint `float: footnote`), or endnotes per section or
  at the end; the EPUB and HTML keep pandoc's numbered notes with back-links (the EPUB turns them into
  EPUB 3 footnote asides, in epub.py); the HTML can add margin sidenotes for wide screens.
- Math: MathML in HTML and EPUB; SVG drawn by ziamath in the PDF (publisher.mathsvg). TeX pandoc could
  not convert is shown as TeX source in every edition.
- Images: the bytes resolved by publisher.assets; copied next to the HTML page, packed into the EPUB,
  referenced by file or data URI in the PDF; unavailable images become a placeholder with their alt text,
  remote ones the build did not fetch a captioned link to them (the web page keeps them for the browser).
- Embeds (iframe, video, audio, object): kept in HTML; a captioned link to the original in PDF and EPUB.
  <script> never reaches the PDF or the EPUB.
"""
from __future__ import annotations

import base64
import copy
import re
from pathlib import Path
from typing import Callable
from urllib.parse import parse_qs, urlsplit

from lxml import html as lxml_html

from ..assets import formula_line, source_line
from ..model import Asset, Document, Paper, Problem
from ..safety import sanitize
from . import anchors, emoji, kramdown_ids, nesting, raw_html

NOTES_MODES = ("footnotes", "endnotes", "section-endnotes")
EMBEDS = ("iframe", "video", "audio", "object", "embed")
DROP_IN_PRINT = ("script", "noscript", "style", "link", "meta", "template", "form", "input", "button", "select",
                 "textarea")
# Blocks that may appear inside a note, turned into spans (a note sits inside a paragraph in the PDF).
NOTE_BLOCKS = ("p", "div", "ul", "ol", "li", "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption",
               "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "section", "aside")
WIDE_TABLE_COLUMNS = 7
# A width written as a length in raw HTML (style="width: 704px"): capped at the text column.
_FIXED_WIDTH = re.compile(r"(^|;)(\s*(?:min-)?width\s*:\s*)"
                          r"(\d*\.?\d+\s*(?:px|pt|pc|cm|mm|in|q|em|rem|ex|ch))\s*(?=;|$)", re.I)
PARTS = ("body", "summary", "bio")  # the fragments of a Document an edition adapts
Links = Callable[[object], None]  # an edition's link rules on a parsed container (edition_links.py)


# ---- helpers shared by the editions -------------------------------------------------------------------

def parse(fragment: str):
    """An HTML fragment as an lxml <div> container (void elements such as <source> kept empty)."""
    root = lxml_html.fragment_fromstring(fragment or "", create_parent="div")
    raw_html.unnest_void(root)
    return root


def fragment(doc: Document, part: str) -> str:
    """The HTML of PART ("body", "summary" or "bio") of DOC."""
    if part not in PARTS:
        raise ValueError(f"unknown part {part!r}")
    return getattr(doc, f"{part}_html")


def serialize(root) -> str:
    """The inner HTML of a container made by parse()."""
    out = root.text or ""
    return out + "".join(lxml_html.tostring(child, encoding="unicode") for child in root)


def _classes(el) -> list[str]:
    return (el.get("class") or "").split()


def _add_class(el, name: str) -> None:
    if name not in _classes(el):
        el.set("class", " ".join(_classes(el) + [name]))


def _replace(old, new) -> None:
    """Put NEW where OLD is, keeping OLD's tail text."""
    new.tail = old.tail
    old.getparent().replace(old, new)


def _remove(el) -> None:
    """Remove EL but keep the text that follows it (lxml's drop_tree); a detached element is left alone."""
    if el.getparent() is not None:
        el.drop_tree()


def math_fallbacks(root) -> None:
    """TeX pandoc could not convert (span.math) shown as its source in a code span, without $ signs."""
    for span in list(root.iter("span")):
        cls = _classes(span)
        if "math" not in cls:
            continue
        tex = span.text_content().strip()
        if tex.startswith("$$") and tex.endswith("$$") and len(tex) > 4:
            tex = tex[2:-2]
        elif tex.startswith("$") and tex.endswith("$") and len(tex) > 2:
            tex = tex[1:-1]
        elif tex.startswith(("\\(", "\\[")) and len(tex) > 4:
            tex = tex[2:-2]
        code = lxml_html.Element("code")
        code.set("class", "math-fallback" + (" display" if "display" in cls else ""))
        code.set("title", "TeX that could not be typeset")
        code.text = tex.strip()
        _replace(span, code)


def center_elements(root) -> None:
    """Obsolete <center> → <div class="center"> (valid in HTML5 and XHTML)."""
    for el in list(root.iter("center")):
        el.tag = "div"
        _add_class(el, "center")


def header_rows(root) -> None:
    """A table whose first row is all <th> gets a <thead>, so the row repeats on every PDF page."""
    for table in root.iter("table"):
        if table.find("thead") is not None:
            continue
        body = table.find("tbody")
        holder = body if body is not None else table
        first = holder.find("tr")
        if first is None or not len(first) or any(c.tag != "th" for c in first):
            continue
        thead = lxml_html.Element("thead")
        holder.remove(first)
        first.tail = None
        thead.append(first)
        index = 0
        for i, child in enumerate(table):
            if child.tag in ("caption", "colgroup", "col"):
                index = i + 1
        table.insert(index, thead)
        if body is None:
            rows = [r for r in table if r.tag == "tr"]
            if rows:
                tbody = lxml_html.Element("tbody")
                table.insert(table.index(rows[0]), tbody)
                for r in rows:
                    tbody.append(r)


def wide_tables(root) -> None:
    """Mark tables with many columns (class "wide"), so print and EPUB can set them smaller."""
    for table in root.iter("table"):
        row = next(table.iter("tr"), None)
        if row is None:
            continue
        columns = sum(int(c.get("colspan") or 1) if (c.get("colspan") or "1").isdigit() else 1
                      for c in row if c.tag in ("td", "th"))
        if columns >= WIDE_TABLE_COLUMNS:
            _add_class(table, "wide")


def fit_widths(root) -> None:
    """Cap the widths raw HTML gives a box as a length (`style="width: 704px"` on a div, a figure or a
    table, `min-width` too) at the width of its container: `min(704px, 100%)`. A narrower box keeps its
    width. The PDF (WeasyPrint ignores `max-width` on a table) and a phone's screen then keep the box
    inside the text column. Cells and columns are left to the table, and the SVG math to the print style."""
    for el in root.iter():
        style = el.get("style") if isinstance(el.tag, str) else None
        if not style or el.tag in ("td", "th", "col", "colgroup") or "math-svg" in _classes(el):
            continue
        fitted = _FIXED_WIDTH.sub(lambda m: f"{m.group(1)}{m.group(2)}min({m.group(3).strip()}, 100%)", style)
        if fitted != style:
            el.set("style", fitted)


REMOTE = re.compile(r"^(https?:)?//", re.I)
REMOTE_ID = "_remote-image-"  # id of a remote image's stand-in in the PDF and EPUB body (the audit counts them)


def _placeholder(asset: Asset | None, img) -> object:
    """A visible stand-in for an image that could not be read: its alt text in a styled box."""
    alt = (img.get("alt") or (asset.alt if asset else "") or "").strip()
    span = lxml_html.Element("span")
    span.set("class", "image-missing")
    label = lxml_html.Element("span")
    label.set("class", "image-missing-label")
    label.text = "Image not available"
    span.append(label)
    label.tail = (": " + alt) if alt else ""
    return span


def _remote_stand_in(src: str, img, number: int | None) -> object:
    """The stand-in for a remote image the build did not fetch (network off): a captioned link to it,
    "Image online: ALT (host/path)". Inside a link (a thumbnail linking to the full image) the address
    is plain text, since links do not nest. NUMBER: the stand-in's place in the body (its id)."""
    url = "https:" + src if src.startswith("//") else src
    parts = urlsplit(url)
    figure = img.getparent()
    caption = figure.find("figcaption") if figure is not None and figure.tag == "figure" else None
    if caption is not None and " ".join(caption.text_content().split()) == " ".join((img.get("alt") or "").split()):
        img.attrib.pop("alt", None)  # the caption below says it already
    span = _placeholder(None, img)
    span.set("class", "image-missing image-remote")
    if number is not None:
        span.set("id", f"{REMOTE_ID}{number}")
    span[0].text = "Image online"
    inside_link = any(a.tag == "a" for a in img.iterancestors())
    where = lxml_html.Element("span" if inside_link else "a")
    where.set("class", "image-url")
    if not inside_link:
        where.set("href", url)
    where.text = (parts.hostname or "") + parts.path
    span[0].tail = (span[0].tail or "") + " ("
    where.tail = ")"
    span.append(where)
    return span


def images(root, doc: Document, place, keep_remote: bool = False, mark: bool = False) -> None:
    """Point every <img> at what PLACE(asset) returns; placeholders for images that are not available.

    KEEP_REMOTE (the web page): a remote image publisher did not fetch keeps its URL, for the browser;
    elsewhere it becomes a captioned link to it (`_remote_stand_in`), numbered in the body when MARK."""
    number = 0
    for img in list(root.iter("img")):
        if "math-svg" in _classes(img):
            continue
        src = (img.get("src") or "").strip()
        asset = doc.assets.get(src)
        if asset is None or not asset.ok:
            remote = asset.remote if asset is not None else bool(REMOTE.match(src))  # not the site's own address
            if remote and keep_remote:
                continue
            if remote:
                number += 1
                _replace(img, _remote_stand_in(src, img, number if mark else None))
            else:
                _replace(img, _placeholder(asset, img))
            continue
        img.set("src", place(asset))
        if img.get("alt") is None:
            img.set("alt", "")
        for attr in ("srcset", "sizes", "loading"):
            img.attrib.pop(attr, None)
    for picture in list(root.iter("picture")):  # keep the <img> fallback only
        for source in list(picture.iter("source")):
            _remove(source)
        picture.drop_tag()


def _embed_link(el, site_url: str) -> tuple[str, str, str]:
    """(href, label, kind) for an embed: the page a reader can open instead."""
    src = (el.get("src") or el.get("data") or "").strip()
    if not src:
        source = next((s for s in el.iter("source") if s.get("src")), None)
        src = source.get("src").strip() if source is not None else ""
    if src.startswith("//"):
        src = "https:" + src
    parts = urlsplit(src)
    host = (parts.hostname or "").lower()
    kind = {"iframe": "Embedded content", "video": "Video", "audio": "Audio"}.get(el.tag, "Embedded content")
    href = src
    m = re.match(r"^/(?:embed|v)/([A-Za-z0-9_-]{6,})", parts.path)
    if host.endswith(("youtube.com", "youtube-nocookie.com")) and m:
        href, kind = f"https://www.youtube.com/watch?v={m.group(1)}", "Video on YouTube"
    elif host == "youtu.be":
        href, kind = f"https://www.youtube.com/watch?v={parts.path.strip('/')}", "Video on YouTube"
    elif host == "player.vimeo.com" and re.match(r"^/video/\d+", parts.path):
        href, kind = "https://vimeo.com/" + parts.path.split("/")[2], "Video on Vimeo"
    elif host.endswith("youtube.com") and parts.path == "/watch":
        vid = parse_qs(parts.query).get("v", [""])[0]
        href, kind = f"https://www.youtube.com/watch?v={vid}", "Video on YouTube"
    if href and not urlsplit(href).scheme:
        href = (site_url.rstrip("/") + "/" + href.lstrip("/")) if site_url and href.startswith("/") else ""
    if urlsplit(href).scheme not in ("http", "https"):
        href = ""
    label = (el.get("title") or el.get("aria-label") or "").strip()
    return href, label, kind


def embeds_to_links(root, site_url: str = "") -> None:
    """iframe/video/audio/object/embed → a captioned link to the original (for paper and e-readers)."""
    for el in list(root.iter(*EMBEDS)):
        if el.getparent() is None or any(a.tag in EMBEDS for a in el.iterancestors()):
            continue
        href, label, kind = _embed_link(el, site_url)
        parent = el.getparent()
        alone = parent.tag == "p" and len(parent) == 1 and not (parent.text or "").strip() \
            and not (el.tail or "").strip() and parent.getparent() is not None
        inline = not alone and parent.tag in ("p", "span", "a", "em", "strong", "li", "td", "th", "figcaption")
        box = lxml_html.Element("span" if inline else "figure")
        box.set("class", "embed")
        holder = box
        if not inline:
            holder = lxml_html.Element("p")
            holder.set("class", "embed-link")
            box.append(holder)
        if href:
            a = lxml_html.Element("a")
            a.set("href", href)
            a.text = label or href
            holder.append(a)
        else:
            holder.text = label or kind
        if inline:
            holder.text = (holder.text or "")
            if len(holder):
                holder[-1].tail = f" ({kind.lower()}, online only)"
            else:
                holder.text += f" ({kind.lower()}, online only)"
        else:
            cap = lxml_html.Element("figcaption")
            host = urlsplit(href).hostname if href else ""
            cap.text = f"{kind}" + (f" ({host})" if host and "YouTube" not in kind and "Vimeo" not in kind else "") \
                + (": open the link to watch it online." if kind.startswith(("Video", "Audio")) else
                   ": open the link to see it online." if href else ": available in the online edition only.")
            box.append(cap)
        if alone:  # an embed alone in its paragraph replaces the paragraph
            _replace(parent, box)
            continue
        _replace(el, box)


def drop_active(root, tags=DROP_IN_PRINT) -> None:
    """Remove scripts and other active or head-only elements (noscript content is kept)."""
    for el in list(root.iter(*tags)):
        if el.getparent() is None:
            continue
        if el.tag == "noscript":
            el.drop_tag()
        else:
            _remove(el)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        style = el.get("style")
        if style and "url(" in style.lower():
            del el.attrib["style"]  # no outside resources through CSS


def note_items(root) -> tuple[object | None, dict[str, object]]:
    """Pandoc's notes section and its items by id."""
    section = None
    for el in root.iter("section", "aside", "div"):
        if _is_notes_section(el):
            section = el
            break
    if section is None:
        return None, {}
    return section, {li.get("id"): li for li in section.iter("li") if li.get("id")}


def _is_notes_section(el) -> bool:
    """Pandoc's notes section (class `footnotes`, role `doc-endnotes`), not the paper's own section that a
    heading "Footnotes" made (`<section id="footnotes" class="level2">`, which pandoc writes first)."""
    if "footnotes" in _classes(el) or el.get("role") == "doc-endnotes":
        return True
    return el.get("id") == "footnotes" and not any(c.startswith("level") for c in _classes(el))


def _note_refs(root) -> list:
    return [a for a in root.iter("a") if "footnote-ref" in _classes(a)]


def _strip_backlinks(el) -> None:
    for a in list(el.iter("a")):
        if "footnote-back" in _classes(a):
            _remove(a)


# ---- PDF ------------------------------------------------------------------------------------------------

def _inline_note(li):
    """A note's content as one <span class="footnote"> that may sit inside a paragraph."""
    note = copy.deepcopy(li)
    _strip_backlinks(note)
    note.tag = "span"
    for attr in list(note.attrib):
        del note.attrib[attr]
    note.set("class", "footnote")
    note.set("id", li.get("id") or "")
    first = note[0] if len(note) and note[0].tag == "p" and not (note.text or "").strip() else None
    if first is not None:
        first.drop_tag()  # the first paragraph runs on from the note number
    for el in list(note.iter(*NOTE_BLOCKS)):
        if el is note:
            continue
        if el.tag == "p" and el.getparent() is note:
            # a further paragraph starts on a new line; it stays inline, because WeasyPrint misplaces
            # footnotes that hold block boxes (the note slips to the next page)
            el.addprevious(lxml_html.Element("br"))
        _add_class(el, "fn-" + el.tag)
        el.tag = "span"
    return note


def _pdf_footnotes(root) -> None:
    section, items = note_items(root)
    if section is None:
        return
    for a in _note_refs(root):
        li = items.get((a.get("href") or "").lstrip("#"))
        if li is None:
            continue
        _replace(a, _inline_note(li))
    _remove(section)


def _notes_heading(text: str, level: int = 2):
    h = lxml_html.Element(f"h{level}")
    h.set("class", "notes-title")
    h.text = text
    return h


def _pdf_endnotes(root) -> None:
    section, _items = note_items(root)
    if section is None:
        return
    for hr in list(section.iter("hr")):
        _remove(hr)
    section.set("class", "endnotes")
    section.insert(0, _notes_heading("Notes"))
    section.text = None


def _pdf_section_endnotes(root) -> None:
    section, items = note_items(root)
    if section is None:
        return
    groups: dict[int, tuple[object, list]] = {}
    for number, a in enumerate(_note_refs(root), start=1):
        li = items.get((a.get("href") or "").lstrip("#"))
        owner = next((s for s in a.iterancestors("section") if "level2" in _classes(s)), None)
        if li is None or owner is None:
            continue
        groups.setdefault(id(owner), (owner, []))[1].append((number, li))
    for owner, notes in groups.values():
        box = lxml_html.Element("section")
        box.set("class", "endnotes section-notes")
        box.append(_notes_heading("Notes", 3))
        ol = lxml_html.Element("ol")
        ol.set("start", str(notes[0][0]))
        for _n, li in notes:
            li.getparent().remove(li)
            ol.append(li)
        box.append(ol)
        owner.append(box)
    if not any(section.iter("li")):
        _remove(section)
    else:
        _pdf_endnotes(root)


def pdf_math(root, paper: Paper, problems: list[Problem] | None) -> None:
    """Every <math> → an SVG image (ziamath); a formula it cannot draw → its TeX source, with a warning."""
    from ..mathsvg import MATHML, MathError, svg_img

    for math in list(root.iter("math", "{http://www.w3.org/1998/Math/MathML}math")):
        if math.getparent() is None:
            continue
        annotation = next((a for a in math.iter() if isinstance(a.tag, str) and a.tag.endswith("annotation")), None)
        tex = (annotation.text or "").strip() if annotation is not None else math.text_content().strip()
        display = math.get("display") == "block"
        if math.get("xmlns") is None:  # ziamath reads it as XML: MathML's namespace on the element
            math.set("xmlns", MATHML)
        mathml = lxml_html.tostring(math, encoding="unicode", with_tail=False)
        try:
            img = svg_img(mathml, tex, display)
        except (MathError, ValueError) as exc:
            if problems is not None:
                problems.append(Problem(paper.rel_source, source_line(paper, f"${tex}$", f"$${tex}", f"\\({tex}", tex), f"math '{tex[:80]}' cannot be "
                                        f"drawn for the PDF ({exc}); its TeX source is shown instead",
                                        "simplify the formula or use commands MathML supports", severity="warning"))
            img = lxml_html.Element("code")
            img.set("class", "math-fallback" + (" display" if display else ""))
            img.text = tex
        if display:
            box = lxml_html.Element("span")
            box.set("class", "math-display")
            box.append(img)
            img = box
        _replace(math, img)
        if display:
            parent = img.getparent()  # a numbered equation (crossref.lua) moves as a whole, with its number
            _split_paragraph(parent if parent is not None and "equation" in _classes(parent) else img)


def _split_paragraph(box) -> None:
    """A display formula inside a paragraph: the paragraph is cut around it, so the text after it is
    not indented like a new paragraph (notes are left alone: they become inline spans later)."""
    p = box.getparent()
    if p is None or p.tag != "p" or p.getparent() is None or any(
            _is_notes_section(a) for a in p.iterancestors()):
        return
    after = lxml_html.Element("p")
    after.set("class", "continued")
    after.text, box.tail = box.tail, None
    for sib in list(box.itersiblings()):
        after.append(sib)
    holder = p.getparent()
    index = holder.index(p)
    box.tag = "div"
    holder.insert(index + 1, box)
    box.tail = None
    if (after.text or "").strip() or len(after):
        after.tail, p.tail = p.tail, None
        holder.insert(index + 2, after)
    if not (p.text or "").strip() and not len(p):
        _remove(p)


def _pdf_place(asset: Asset) -> str:
    if asset.path is not None and asset.media_type != "image/svg+xml":
        return asset.path.as_uri()
    return f"data:{asset.media_type};base64," + base64.b64encode(asset.data).decode("ascii")


def for_pdf(doc: Document, paper: Paper, notes: str = "footnotes", site_url: str = "",
            problems: list[Problem] | None = None, part: str = "body", links: Links | None = None,
            words: list[int] | None = None) -> str:
    """The body for WeasyPrint: footnotes (or endnotes), SVG math, resolved images, links for embeds,
    capitals in small capitals, emoji in the declared emoji face
    (emoji.py). PART: which of the paper's fragments ("body", "summary", "bio");
    LINKS: the edition's link rules (edition_links.pdf_links), applied on the same tree.

    Warnings (math that cannot be drawn) are appended to PROBLEMS; the body's word count (which
    decides the PDF's page openings, pdf.LONG_PAPER_WORDS) to WORDS."""
    root = parse(fragment(doc, part))
    raw_html.clean(root)
    kramdown_ids.retarget(root)
    anchors.fix(root, whole=part == "body")
    nesting.unnest_paragraphs(root)
    drop_active(root)
    embeds_to_links(root, site_url)
    # raw HTML from the post: no scripts, handlers or outside resources. The sanitiser (nh3) works on
    # text, so this is the one place the PDF's fragment is serialized and parsed again.
    root = parse(sanitize(serialize(root)))
    center_elements(root)
    math_fallbacks(root)
    pdf_math(root, paper, problems)
    images(root, doc, _pdf_place, mark=part == "body")
    emoji.wrap(root)
    header_rows(root)
    wide_tables(root)
    fit_widths(root)
    if notes == "endnotes":
        _pdf_endnotes(root)
    elif notes == "section-endnotes":
        _pdf_section_endnotes(root)
    else:
        _pdf_footnotes(root)
    if links is not None:
        links(root)
    style = f'<style class="highlighting">\n{doc.highlight_css}\n</style>\n' if doc.highlight_css and part == "body" else ""
    if words is not None and part == "body":
        words.append(word_count(root) + len(doc.highlight_css.split() if style else ()))
    if part != "bio":
        small_caps(root)
    return style + serialize(root)


def word_count(root) -> int:
    """Words in a parsed fragment, every tag counting as a space (a comment as nothing)."""
    return sum(len(text.split()) for text in root.itertext())


SKIP_CAPS = {"pre", "code", "kbd", "samp", "script", "style", "svg", "math", "abbr", "title", "head"}
CAPS = re.compile(r"(?<![#\w])(?!(?:[IVXLCDM]+)\b)[A-Z][A-Z0-9]*[A-Z](?![\w])")


def small_caps(root) -> None:
    """Runs of two or more capitals (IRGC, UN, NATO) in running text become span.caps, which
    print.css sets in small capitals. Code, math, SVG and existing <abbr> are left alone."""
    slots: dict[tuple[object, bool], None] = {}  # (element, its tail (True) or its text), in order
    for text in root.xpath("descendant-or-self::text()"):  # only the texts with capitals make elements
        if CAPS.search(text):
            slots[text.getparent(), text.is_tail] = None
    for el, tail in slots:
        holder = el.getparent() if tail else el
        if any(isinstance(e.tag, str) and e.tag in SKIP_CAPS for e in (holder, *holder.iterancestors())):
            continue
        lead, spans = _caps_spans(el.tail if tail else el.text)
        if tail:
            el.tail = lead
            at = holder.index(el)
            for i, span in enumerate(spans, start=1):
                holder.insert(at + i, span)
        else:
            el.text = lead
            for i, span in enumerate(spans):
                el.insert(i, span)


def _caps_spans(text: str) -> tuple[str, list]:
    """TEXT cut at its runs of capitals: (the text before the first, a span.caps per run with the
    text after it as its tail)."""
    spans: list = []
    lead, pos = text, 0
    for m in CAPS.finditer(text):
        before = text[pos:m.start()]
        if spans:
            spans[-1].tail = before
        else:
            lead = before
        span = lxml_html.Element("span")
        span.set("class", "caps")
        span.text = m.group(0)
        spans.append(span)
        pos = m.end()
    if spans:
        spans[-1].tail = text[pos:]
    return lead, spans


# ---- EPUB -----------------------------------------------------------------------------------------------

def for_epub(doc: Document, paper: Paper, site_url: str = "", part: str = "body", links: Links | None = None) -> str:
    """The body for the EPUB: images pointing into the package, no scripts, links instead of embeds.
    PART: which of the paper's fragments ("body", "summary", "bio"); LINKS: the edition's link rules
    (edition_links.absolutize), applied on the same tree.

    The images it uses are epub_images(doc); epub.py adds them to the package."""
    root = parse(fragment(doc, part))
    raw_html.clean(root)
    kramdown_ids.retarget(root)
    anchors.fix(root, whole=part == "body")
    nesting.unnest_paragraphs(root)
    drop_active(root)
    embeds_to_links(root, site_url)
    center_elements(root)
    math_fallbacks(root)
    images(root, doc, lambda a: a.name, mark=part == "body")
    header_rows(root)
    wide_tables(root)
    fit_widths(root)
    from .epub_a11y import for_epub as accessible  # imports body's helpers

    accessible(root)
    if links is not None:
        links(root)
    return serialize(root)


def epub_images(doc: Document) -> list[Asset]:
    """The images to pack into the EPUB, one per file name, in a stable order."""
    seen: dict[str, Asset] = {}
    for asset in doc.assets.values():
        if asset.ok and asset.name not in seen:
            seen[asset.name] = asset
    return [seen[k] for k in sorted(seen)]


# ---- HTML -----------------------------------------------------------------------------------------------

def _sidenotes(root) -> None:
    """A copy of each note next to its call, shown in the margin on wide screens (CSS), hidden otherwise.

    The copy is aria-hidden and has no ids or focusable links: the numbered notes at the end stay the
    accessible version."""
    _section, items = note_items(root)
    for a in _note_refs(root):
        li = items.get((a.get("href") or "").lstrip("#"))
        if li is None:
            continue
        side = _inline_note(li)
        side.set("class", "sidenote")
        side.set("aria-hidden", "true")
        del side.attrib["id"]
        for el in side.iter():
            if isinstance(el.tag, str):
                el.attrib.pop("id", None)
                if el.tag == "a":
                    el.set("tabindex", "-1")
        number = lxml_html.Element("span")
        number.set("class", "sidenote-number")
        number.text = (a.text_content() or "").strip()
        number.tail = " " + (side.text or "")
        side.text = None
        side.insert(0, number)
        side.tail = a.tail
        a.tail = None
        a.addnext(side)


def for_html(doc: Document, paper: Paper, out_dir: Path | None = None, sidenotes: bool = False,
             part: str = "body", links: Links | None = None) -> str:
    """The body for the web page: images copied next to the page (OUT_DIR/images/…), tables that scroll,
    optional margin sidenotes. Embeds and scripts stay as the author wrote them. PART: which of the
    paper's fragments ("body", "summary", "bio"); LINKS: the edition's link rules
    (edition_links.html_links), applied on the same tree."""
    from ..dist import atomic_write

    root = parse(fragment(doc, part))
    raw_html.clean(root, html_edition=True)
    kramdown_ids.retarget(root)
    anchors.fix(root, keep=("top",), whole=part == "body")
    nesting.unnest_paragraphs(root)
    center_elements(root)
    math_fallbacks(root)
    written: set[str] = set()

    def place(asset: Asset) -> str:
        if out_dir is not None and asset.name not in written:
            target = out_dir / asset.name
            if not (target.is_file() and target.read_bytes() == asset.data):
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(target, asset.data)
            written.add(asset.name)
        return asset.name

    images(root, doc, place, keep_remote=True)
    header_rows(root)
    wide_tables(root)
    fit_widths(root)
    for table in list(root.iter("table")):
        parent = table.getparent()
        if parent is not None and "table-scroll" in _classes(parent):
            continue
        wrap = lxml_html.Element("div")
        wrap.set("class", "table-scroll")
        wrap.set("role", "region")
        wrap.set("tabindex", "0")
        caption = table.find("caption")
        wrap.set("aria-label", re.sub(r"\s+", " ", caption.text_content()).strip() if caption is not None
                 else "Table")
        _replace(table, wrap)
        table.tail = None
        wrap.append(table)
    if sidenotes and part == "body":
        _sidenotes(root)
    _html_notes_heading(root)
    if links is not None:
        links(root)
    if part == "body":
        heading_anchors(root)
    return serialize(root)


HEADINGS = ("h2", "h3", "h4", "h5", "h6")


def heading_anchors(root) -> None:
    """Every section heading gets a self-link (`<a class="anchor" href="#id">#</a>`), shown on hover or
    focus: a heading that opens a section with an id (pandoc's --section-divs) links to the section,
    any other heading with an id (raw HTML) to itself."""
    for section in list(root.iter("section")):
        first = section[0] if len(section) else None
        # pandoc writes the id first: <section id="x" class="level2">
        if next(iter(section.attrib), None) == "id" and section.get("id") and first is not None \
                and first.tag in HEADINGS and not (section.text or "").strip():
            _anchor(first, section.get("id"))
    for h in list(root.iter(*HEADINGS)):
        if h.get("id") and not any(el.get("class") == "anchor" for el in h.iterdescendants()
                                   if isinstance(el.tag, str)):
            _anchor(h, h.get("id"))


def _anchor(heading, ident: str) -> None:
    a = lxml_html.Element("a")
    a.set("class", "anchor")
    a.set("href", "#" + ident)
    a.set("aria-label", f"Link to the section “{heading.text_content().strip()}”")
    a.text = "#"
    if len(heading):
        heading[-1].tail = (heading[-1].tail or "") + " "
    else:
        heading.text = (heading.text or "") + " "
    heading.append(a)


def _html_notes_heading(root) -> None:
    """Pandoc's notes section gets a "Notes" heading (in place of its rule), so it is a labelled section."""
    section, _items = note_items(root)
    if section is None or section.tag != "section" or section.find("h2") is not None:
        return
    for hr in list(section.iter("hr")):
        _remove(hr)
    heading = _notes_heading("Notes")
    heading.set("id", "footnotes-title")
    section.insert(0, heading)
    section.text = None
    section.set("aria-labelledby", "footnotes-title")


# ---- before the editions --------------------------------------------------------------------------------

def prepare(paper: Paper, doc: Document, site, cache_dir: Path | None = None) -> None:
    """Resolve the paper's images (doc.assets, doc.cover) and give pandoc's math warnings a line number.

    SITE is the SiteConfig; remote images follow its publisher.network / allowed_hosts policy."""
    from .. import assets

    opts = site.options
    assets.attach(paper, doc, site.root, site.baseurl, opts.network, list(opts.allowed_hosts), cache_dir, site.url)
    for i, problem in enumerate(doc.warnings):
        m = re.search(r"Could not convert TeX math (.+?), rendering as TeX", problem.message)
        if m and problem.line is None:
            line = formula_line(paper, m.group(1))
            doc.warnings[i] = Problem(problem.file, line, f"math '{m.group(1).strip()[:80]}' could not be converted; "
                                      "its TeX source is shown instead in every edition",
                                      "check the command names; pandoc supports most LaTeX math", severity="warning")
    for target in anchors.dangling(doc.body_html):  # links to a fragment no element has (anchors.py)
        doc.warnings.append(Problem(paper.rel_source, source_line(paper, f"#{target})", f"#{target}\"", f"#{target}"),
                                    f"the link to '#{target}' leads nowhere in the post; it is shown as plain text",
                                    "give the target an id (<span id=\"x\">, {#x} after a heading) or fix the link",
                                    severity="warning"))
