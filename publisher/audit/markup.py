"""Measures of the HTML page and the EPUB: the body text only (see docs/audit.md).

Body text is the paper's text and its notes: in the HTML page `div.paper-text` without the
about-the-author section and without the margin copies of the notes (`.sidenote`, shown beside the
text on wide screens; the notes list at the end is counted instead); in the EPUB the spine documents
other than the cover, the title page, the contents and the about-the-author page (the endnotes page
is body). Math, SVG, scripts and styles are not text; an image counts by its file name.
"""
from __future__ import annotations

import re
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from lxml import etree, html as lxml_html

from . import Measures

SKIP_TAGS = {"math", "svg", "script", "style", "template", "noscript"}
SKIP_CLASSES = {"sidenote", "anchor", "footnote-back"}
# Stand-ins for what a medium cannot show (a video as a captioned link, a missing image's label):
# not body text; the media themselves are compared as images.
MEDIA_CLASSES = {"embed", "image-missing"}
REMOTE_CLASS = "image-remote"  # the stand-in of a remote image the build did not fetch (a link to it)
# Generated navigation, like the contents: the subject index (issue 17) and the lists of figures and
# tables (crossref.lua). Not body text; each edition sets them differently (section names or page numbers).
NAV_CLASSES = {"subject-index", "list-of-fig", "list-of-tbl"}
NAV_TYPES = {"index", "loi", "lot"}
NAV_ROLES = {"doc-index"}
INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "i", "ins", "kbd", "mark", "q",
          "s", "samp", "small", "span", "strong", "sub", "time", "u", "var", "wbr"}
FRONT_TYPES = {"cover", "titlepage", "toc", "landmarks", "page-list"}
WORD = re.compile(r"\w+")
TEX_COMMAND = re.compile(r"\\[A-Za-z]{2,}")
EDITION_HASH = re.compile(r"-[0-9a-f]{10}$")


def local(tag) -> str:
    """An element's tag without its namespace, lower case ('' for comments)."""
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def epub_types(el) -> set[str]:
    return set((el.get("{http://www.idpf.org/2007/ops}type") or el.get("epub:type") or "").split())


def count_words(text: str) -> int:
    """Words: runs of letters and digits that hold at least one letter (numbers alone are not counted:
    page numbers, note numbers and list numbers differ between media)."""
    return sum(1 for w in WORD.findall(text) if any(ch.isalpha() for ch in w))


def text_chars(text: str) -> set[str]:
    """The distinct visible characters of TEXT after NFKC (letters, digits, punctuation, symbols)."""
    return {"-" if unicodedata.category(ch) == "Pd" else ch for ch in unicodedata.normalize("NFKC", text)
            if not unicodedata.category(ch).startswith("Z") and unicodedata.category(ch) not in ("Cc", "Cf", "Cs")
            and not _variation_selector(ch)}


def _variation_selector(ch: str) -> bool:
    """U+FE00–FE0F and U+E0100–E01EF choose a glyph's presentation ("↩︎"): they are never drawn themselves."""
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def image_identity(src: str) -> str:
    """What names an image across editions: its file name's stem, without the edition's content hash."""
    path = unquote(urlsplit(src).path)
    stem = PurePosixPath(path).stem if path else src
    return EDITION_HASH.sub("", stem).lower()


def is_navigation(el) -> bool:
    """A generated index or list of figures/tables (not body text, like the contents)."""
    return bool(classes(el) & NAV_CLASSES or epub_types(el) & NAV_TYPES or (el.get("role") or "") in NAV_ROLES)


def _text(el, parts: list[str]) -> None:
    """Collect the text of EL (not math, SVG, margin notes), with a space at every block boundary."""
    tag = local(el.tag)
    if tag in SKIP_TAGS or classes(el) & (SKIP_CLASSES | MEDIA_CLASSES) or epub_types(el) & {"pagebreak"} \
            or is_navigation(el) \
            or (tag in ("h1", "h2", "h3", "h4", "h5", "h6") and _notes_heading(el)):
        if el.tail:
            parts.append(el.tail)
        return
    block = tag not in INLINE
    if block:
        parts.append(" ")
    if el.text and tag:
        parts.append(el.text)
    for child in el:
        _text(child, parts)
    if block or "footnote-ref" in classes(el):
        parts.append(" ")
    if el.tail:
        parts.append(el.tail)


def measure_bodies(bodies: list) -> Measures:
    """The measures of the body text spread over BODIES (lxml elements)."""
    parts: list[str] = []
    srcs: list[str] = []
    m = Measures(images=[], images_total=0, equations=0, inline_math=0, footnotes=0, citations=0, tables=0,
                 headings=[])
    for body in bodies:
        _text(body, parts)
        for el in _counted(body):
            tag = local(el.tag)
            cls = classes(el)
            if tag == "img" and "math-svg" not in cls and not _inside(el, SKIP_TAGS):
                m.images.append(image_identity(el.get("src") or ""))
                srcs.append(el.get("src") or "")
            elif tag == "math":
                if el.get("display") == "block":
                    m.equations += 1
                else:
                    m.inline_math += 1
            elif tag == "table":
                m.tables += 1
            elif tag in ("h1", "h2", "h3", "h4", "h5", "h6") and not _notes_heading(el):
                parts_h: list[str] = []
                _text(el, parts_h)
                m.headings.append(" ".join("".join(parts_h).split()))
                m.heading_levels.append(int(tag[1]))
            if REMOTE_CLASS in cls:  # a remote image the build did not fetch, shown as a link (docs/audit.md)
                m.stand_ins.append(_stand_in_identity(el))
            if cls & MEDIA_CLASSES and not any(classes(a) & MEDIA_CLASSES for a in el.iterancestors()):
                media: list[str] = []
                _text_all(el, media)
                m.media_words += [w.lower() for w in WORD.findall(" ".join(media)) if any(c.isalpha() for c in w)]
            if tag == "thead":
                head: list[str] = []
                _text_all(el, head)
                m.table_heads.append(tuple(w.lower() for w in WORD.findall(" ".join(head))
                                           if any(c.isalpha() for c in w)))
            if "footnote-ref" in cls:
                m.footnotes += 1
            if "citation" in cls:
                m.citations += 1
            if is_navigation(el) and not any(is_navigation(a) for a in el.iterancestors()):
                nav: list[str] = []
                for child in el:
                    _text(child, nav)
                words_nav = [w.lower() for w in WORD.findall("".join(nav)) if any(c.isalpha() for c in w)]
                heads = [h for h in el.iter() if local(h.tag) in ("h1", "h2", "h3", "h4", "h5", "h6")]
                if heads:
                    title: list[str] = []
                    for part in heads[0]:
                        _text(part, title)
                    m.nav_headings.append(" ".join(((heads[0].text or "") + "".join(title)).split()))
                if not classes(el) & {"subject-index"} and not epub_types(el) & {"index"}:
                    m.nav_words += words_nav  # a list prints the same text in the PDF: taken off its count
    text = "".join(parts)
    words = [w.lower() for w in WORD.findall(text) if any(ch.isalpha() for ch in w)]
    m.first_words = [w for w in words if w.isalpha()][:200]
    m.word_counts = Counter(words)
    m.vocabulary = set(words)
    m.images_total = len(m.images)
    m.raster = sum(1 for src in srcs if not urlsplit(src).path.lower().endswith(".svg")
                   and not src.startswith("data:image/svg"))
    m.words = count_words(text)
    m.chars = text_chars(text)
    m.tex_commands = set(TEX_COMMAND.findall(text))  # code included: the PDF cannot tell code from text
    return m


def _stand_in_identity(el) -> str:
    """The identity of the image a remote stand-in names (its address, `.image-url`)."""
    url = next((u for u in el.iter() if "image-url" in classes(u)), None)
    return image_identity(url.get("href") or "//" + "".join(url.itertext())) if url is not None else ""


def _counted(root):
    """The elements of ROOT, without the margin copies of the notes (counted once, in the notes list)."""
    stack = [root]
    while stack:
        el = stack.pop()
        if classes(el) & SKIP_CLASSES:
            continue
        yield el
        if is_navigation(el):
            continue
        stack.extend(reversed(list(el)))


def _text_all(el, parts: list[str]) -> None:
    """Every text of EL and the addresses of its links (a printed stand-in may show them)."""
    for node in el.iter():
        if local(node.tag) == "a" and node.get("href", "").startswith(("http:", "https:")) \
                and "image-url" not in classes(node):  # a remote image's stand-in prints its address as text
            parts.append(node.get("href"))
    parts.append(" ".join(t for t in el.itertext()))


def _text_all_plain(el, parts: list[str]) -> None:
    """Every text of EL but math, SVG and page-break markers (a volume's paper opening)."""
    if local(el.tag) in SKIP_TAGS or epub_types(el) & {"pagebreak"}:
        if el.tail:
            parts.append(el.tail)
        return
    if el.text:
        parts.append(el.text)
    for child in el:
        _text_all_plain(child, parts)
    parts.append(" ")
    if el.tail:
        parts.append(el.tail)


def _inside(el, tags: set[str]) -> bool:
    return any(local(a.tag) in tags for a in el.iterancestors())


def _notes_heading(el) -> bool:
    """The title of the notes list ('Notes'), which the PDF sets as page-foot notes without a title."""
    if "notes-title" in classes(el):
        return True
    return any(epub_types(a) & {"endnotes", "footnotes"} or classes(a) & {"footnotes"} for a in el.iterancestors())


def measure_html(path: Path) -> Measures:
    """Measures of the HTML edition's body (`div.paper-text` less the about-the-author section)."""
    doc = lxml_html.fromstring(path.read_bytes())
    found = doc.xpath('//div[contains(concat(" ", normalize-space(@class), " "), " paper-text ")]')
    body = found[0] if found else (doc.find(".//main") if doc.find(".//main") is not None else doc)
    about_words: list[str] = []
    for about in body.xpath('.//section[contains(concat(" ", normalize-space(@class), " "), " about-author ")]'):
        parts: list[str] = []
        _text(about, parts)
        about_words += [w.lower() for w in WORD.findall("".join(parts)) if any(ch.isalpha() for ch in w)]
        about.getparent().remove(about)
    m = measure_bodies([body])
    m.about_words = about_words
    return m


def _is_front(body) -> bool:
    for el in body.iter():
        if epub_types(el) & FRONT_TYPES or classes(el) & {"about-author", OPENING_CLASS}:
            return True
    return False


OPENING_CLASS = "paper-opening"  # in a volume: a member paper's title, authors, date and summary


def measure_epub(path: Path) -> Measures:
    """Measures of the EPUB's body documents, in spine order (cover, title page, contents and
    about-the-author pages left out)."""
    with zipfile.ZipFile(path) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"))
        opf_path = container.find(".//{*}rootfile").get("full-path")
        opf = etree.fromstring(z.read(opf_path))
        base = PurePosixPath(opf_path).parent
        items = {i.get("id"): i for i in opf.iterfind(".//{*}manifest/{*}item")}
        bodies = []
        docs: list[PurePosixPath] = []
        about_words: list[str] = []
        openings: list[list[str]] = []
        for ref in opf.iterfind(".//{*}spine/{*}itemref"):
            item = items.get(ref.get("idref"))
            if item is None or "nav" in (item.get("properties") or "").split():
                continue
            doc = etree.fromstring(z.read(str(base / unquote(item.get("href")))))
            body = doc.find("{*}body")
            if body is not None and not _is_front(body):
                bodies.append(body)
                docs.append(base / unquote(item.get("href")))
            elif body is not None and body.xpath('.//*[contains(concat(" ", @class, " "), " about-author ")]'):
                parts: list[str] = []
                _text(body, parts)
                about_words += [w.lower() for w in WORD.findall("".join(parts)) if any(c.isalpha() for c in w)]
            elif body is not None and body.xpath(f'.//*[contains(concat(" ", @class, " "), " {OPENING_CLASS} ")]'):
                parts = []
                for child in body:
                    _text_all_plain(child, parts)
                openings.append([w.lower() for w in WORD.findall(" ".join(parts)) if any(c.isalpha() for c in w)])
        m = measure_bodies(bodies)
        m.about_words = about_words
        m.opening_words = openings
        m.raster_sizes = _raster_sizes(z, bodies, docs)
    return m


def _raster_sizes(z: zipfile.ZipFile, bodies: list, docs: list[PurePosixPath]) -> list[tuple[str, str]]:
    """(identity, 'WxH') of every raster image of the EPUB's body, read from the image files."""
    import io

    from PIL import Image

    sizes = []
    for body, doc in zip(bodies, docs):
        for el in _counted(body):
            if local(el.tag) != "img" or "math-svg" in classes(el):
                continue
            src = el.get("src") or ""
            if urlsplit(src).scheme or src.lower().endswith(".svg"):
                continue
            name = str(PurePosixPath(*[p for p in (doc.parent / unquote(src)).parts]))
            name = normpath(name)
            try:
                with Image.open(io.BytesIO(z.read(name))) as im:
                    sizes.append((image_identity(src), f"{im.width}x{im.height}"))
            except (KeyError, OSError, ValueError):
                continue
    return sizes


def normpath(name: str) -> str:
    """A relative POSIX path with '.' and '..' resolved ('a/./b/../c' -> 'a/c'); '..' past the start is dropped."""
    parts: list[str] = []
    for p in name.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p not in ("", "."):
            parts.append(p)
    return "/".join(parts)
