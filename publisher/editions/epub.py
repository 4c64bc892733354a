"""The EPUB 3 edition, assembled with ebooklib (`OUT/<slug>/<slug>.epub`).

Chapters are split at top-level sections. The package carries a navigation document (the full
heading hierarchy, landmarks, and a page-list when the PDF edition was typeset in the same run),
an NCX for older readers, a cover, EPUB Accessibility 1.1 metadata, and is rewritten with fixed
zip timestamps so the same input gives the same bytes.
"""
from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import io
import re
import urllib.parse
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ebooklib import epub
from lxml import etree
from lxml import html as lxml_html

from .. import __version__, identifiers
from ..dist import atomic_write
from ..model import Author, Document, PageStart, Paper, Problem
from ..resources import read_style
from ..safety import sanitize
from . import body, pagemap, xhtml
from .common import author_line, display_date, edition_names, w3c_date
from .cover import make_cover
from .epub_a11y import readable_colours, tab_order
from .xhtml import EPUB, XHTML, E

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
NCX = "http://www.daisy.org/z3986/2005/ncx/"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Front-matter keys for contributors other than the authors, with their MARC relator codes.
CONTRIBUTORS = (("editor", "edt"), ("editors", "edt"), ("translator", "trl"), ("translators", "trl"),
                ("illustrator", "ill"), ("illustrators", "ill"))


@dataclass
class EpubOptions:
    modified: dt.datetime | None = None  # SOURCE_DATE_EPOCH when set, else the paper's date
    site_url: str = ""
    cover_image: bytes | None = None  # a cover image given directly (PNG/JPEG); else doc.cover, else generated
    cover_media_type: str = "image/png"
    page_starts: list[PageStart] = field(default_factory=list)  # from the PDF edition of the same run
    page_source: str = ""  # the PDF edition the page numbers come from (file name)
    page_size: str = ""
    embed_fonts: bool = False  # embed a subset of Source Serif 4
    warnings: list[Problem] = field(default_factory=list)  # filled by build(): missing alt text …
    index_see_also: dict = field(default_factory=dict)  # subject index (issue 17): term → see-also terms


def options(site, modified: dt.datetime | None, page_starts: list[PageStart], pdf_name: str,
            page_size: str) -> EpubOptions:
    """EpubOptions for a paper of SITE (a config.SiteConfig)."""
    return EpubOptions(modified=modified, site_url=site.url, page_starts=list(page_starts),
                       page_source=pdf_name if page_starts else "", page_size=page_size,
                       embed_fonts=site.options.epub_embed_fonts,
                       index_see_also=dict(getattr(site.options, "index_see_also", {})))


class _Doc(epub.EpubHtml):
    """An XHTML content document whose bytes we produce ourselves (ebooklib would re-parse them as HTML)."""

    def __init__(self, data: bytes, **kwargs):
        super().__init__(**kwargs)
        self._data = data

    def get_content(self, default=None):
        return self._data


class _Writer(epub.EpubWriter):
    """ebooklib's writer with our own navigation document and NCX, and xml:lang on the package."""

    def __init__(self, name, book, options, nav: bytes, ncx: bytes, lang: str):
        super().__init__(name, book, options)
        self._nav, self._ncx, self._lang = nav, ncx, lang

    def _get_nav(self, item):
        return self._nav

    def _get_ncx(self):
        return self._ncx

    def _write_opf_file(self, root):
        root.set(XML_LANG, self._lang)
        super()._write_opf_file(root)


@dataclass
class Chapter:
    file: str
    title: str
    elements: list
    kind: str  # chapter, appendix, backmatter, titlepage


def add_navigation(book, cover_doc, items: list, first_text: str) -> None:
    """The NCX and nav items, the spine (cover, title page, contents, then the text) and the guide of
    BOOK, whose ITEMS start with the title page; FIRST_TEXT is the first chapter's file."""
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml", title="Contents")
    book.add_item(nav)
    book.spine = [(cover_doc, "yes"), items[0], nav] + items[1:]
    book.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                  {"type": "title-page", "href": "title.xhtml", "title": "Title page"},
                  {"type": "toc", "href": "nav.xhtml", "title": "Contents"},
                  {"type": "text", "href": first_text, "title": "Start of text"}]


def identifier(paper: Paper, site_url: str = "") -> str:
    """A stable identifier: DOI/ISBN/identifier from front matter, else a UUID from the paper's URL."""
    return identifiers.stable_id(paper.identifier, paper.url, site_url)


def contributors(paper: Paper) -> list[Author]:
    """Authors, then editors, translators and illustrators named in the front matter."""
    from ..jekyll.people import authors as people

    found = list(paper.authors)
    for key, role in CONTRIBUTORS:
        value = paper.meta.get(key)
        if value:
            for person in people({"authors": value if isinstance(value, list) else [value]}, {}):
                if person.name not in [p.name for p in found if p.role == role]:
                    found.append(dataclasses.replace(person, role=role))
    return found


def _plain(el) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _id_map(chapters: list[Chapter]) -> dict[str, str]:
    found = {}
    for ch in chapters:
        for el in ch.elements:
            for node in el.iter():
                ident = node.get("id") if isinstance(node.tag, str) else None
                if ident and ident not in found:
                    found[ident] = ch.file
    return found


def _relink(ch: Chapter, ids: dict[str, str]) -> None:
    for el in ch.elements:
        for a in el.iter(f"{{{XHTML}}}a"):
            href = a.get("href", "")
            if href.startswith("#") and len(href) > 1:
                target = ids.get(href[1:]) or ids.get(urllib.parse.unquote(href[1:]))  # pandoc %-encodes ids
                if target and target != ch.file:
                    a.set("href", f"{target}{href}")


def _notes(container) -> list:
    """Turn pandoc's endnotes section into EPUB 3 footnote asides; mark the note references."""
    for a in container.iter("a"):
        if "footnote-ref" in (a.get("class") or ""):
            a.set("epub:type", "noteref")
            a.set("role", "doc-noteref")
    # pandoc's notes section, never the paper's own section a heading "Footnotes" made (it shares the id)
    section, _items = body.note_items(container)
    if section is None:
        return []
    section.getparent().remove(section)
    asides = []
    for n, li in enumerate(section.iter("li"), start=1):
        aside = copy.deepcopy(li)
        aside.tag = "aside"
        aside.set("epub:type", "footnote")
        aside.set("role", "doc-footnote")
        aside.set("class", "footnote")
        for back in aside.iter("a"):
            if "footnote-back" in (back.get("class") or ""):
                back.set("role", "doc-backlink")
                back.text = "↩"
                back.set("aria-label", f"Back to note {n} reference")
        first = next(iter(aside), None)
        if first is not None and first.tag == "p":
            label = etree.SubElement(first, "span")
            label.set("class", "note-number")
            label.text = f"{n}. "
            first.remove(label)
            label.tail = first.text
            first.text = None
            first.insert(0, label)
        asides.append(aside)
    return asides


def _wrap(el):
    return _wrap_many([el])


def _wrap_many(elements):
    """ELEMENTS moved into a new <div> container (for xhtml.to_xhtml_elements)."""
    holder = lxml_html.Element("div")
    for el in elements:
        holder.append(el)
    return holder


def chapters(paper: Paper, doc: Document) -> list[Chapter]:
    """The body split at top-level sections, then 'About the author' and the notes."""
    container = xhtml.parse_fragment(sanitize(doc.body_html))
    note_asides = _notes(container)
    found: list[Chapter] = []
    preface = []
    n = 0
    for child in list(container):
        if child.tag == "section" and child.get("id") == "references" and child.find(".//div[@id='refs']") is not None:
            # issue 14: the reference list is a chapter file of its own, marked as the bibliography
            child.set("epub:type", "bibliography")
            child.set("role", "doc-bibliography")
            h = child.find("h2")
            found.append(Chapter("references.xhtml", _plain(h) if h is not None else "References",
                                 xhtml.to_xhtml_elements(_wrap(child)), "backmatter"))
        elif child.tag == "section" and (child.get("class") or "").split()[:1] == ["level2"]:
            n += 1
            h = child.find("h2")
            ctitle = _plain(h) if h is not None else f"Section {n}"
            found.append(Chapter(f"ch{n:02d}.xhtml", ctitle, xhtml.to_xhtml_elements(_wrap(child)), "chapter"))
        else:
            preface.append(child)
    if preface:
        holder = _wrap_many(preface)
        elements = xhtml.to_xhtml_elements(holder)
        if any(_plain(el) or el.find(f".//{{{XHTML}}}img") is not None for el in elements):
            found.insert(0, Chapter("ch00.xhtml", "Introduction", elements, "chapter"))
    if doc.bio_html:
        title = "About the author" + ("s" if len(paper.authors) > 1 else "")
        section = E("section", **{"class": "about-author", "epub:type": "appendix", "role": "doc-appendix",
                                  "aria-labelledby": "about-the-author"})
        section.append(E("h2", title, id="about-the-author"))
        for el in xhtml.fragment_elements(sanitize(doc.bio_html)):
            section.append(el)
        found.append(Chapter("about.xhtml", title, [section], "appendix"))
    if note_asides:
        section = E("section", **{"epub:type": "endnotes", "role": "doc-endnotes", "class": "notes",
                                  "aria-labelledby": "notes"})
        section.append(E("h2", "Notes", id="notes"))
        for el in xhtml.to_xhtml_elements(_wrap_many(note_asides)):
            section.append(el)
        found.append(Chapter("notes.xhtml", "Notes", [section], "backmatter"))
    return found


def add_title(parent, doc: Document, title: str, **h1_attrs) -> None:
    """Append to PARENT the paper's title as an h1 (its markup, sanitised; else TITLE) and its subtitle
    when it has one. H1_ATTRS: more attributes of the h1 (an id)."""
    h1 = E("h1", **h1_attrs, **{"class": "title"})
    for el in xhtml.fragment_elements(f"<span>{sanitize(doc.title_html) or title}</span>"):
        h1.append(el)
    parent.append(h1)
    if doc.subtitle_html:
        sub = E("p", **{"class": "subtitle", "role": "doc-subtitle"})
        for el in xhtml.fragment_elements(f"<span>{sanitize(doc.subtitle_html)}</span>"):
            sub.append(el)
        parent.append(sub)


def title_page(paper: Paper, doc: Document, title: str) -> Chapter:
    """The title page: series, title, subtitle, authors, date, summary, imprint."""
    tp = E("section", **{"class": "title-page", "epub:type": "titlepage", "aria-label": "Title page"})
    if paper.series:
        tp.append(E("p", paper.series, **{"class": "series"}))
    add_title(tp, doc, title)
    if not doc.subtitle_html and paper.description and paper.description != paper.excerpt and len(paper.description) <= 200:
        tp.append(E("p", paper.description, **{"class": "standfirst"}))
    if paper.authors:
        tp.append(E("p", author_line(paper), **{"class": "authors"}))
    others = [c for c in contributors(paper) if c.role != "aut"]
    for role, word in (("edt", "Edited by"), ("trl", "Translated by"), ("ill", "Illustrated by")):
        names = [c.name for c in others if c.role == role]
        if names:
            tp.append(E("p", f"{word} {', '.join(names)}", **{"class": "contributors"}))
    tp.append(E("p", display_date(paper.date), **{"class": "date"}))
    if doc.summary_html:
        summary = E("div", **{"class": "summary", "role": "doc-abstract", "aria-label": "Summary"})
        for el in xhtml.fragment_elements(sanitize(doc.summary_html)):
            summary.append(el)
        tp.append(summary)
    if paper.publisher or paper.rights:
        tp.append(E("p", " · ".join(x for x in (paper.publisher, paper.rights) if x), **{"class": "imprint"}))
    return Chapter("title.xhtml", title, [tp], "titlepage")


def _heading_target(h) -> str:
    """The id a link to heading H goes to: its own, or that of the section it opens (pandoc --section-divs)."""
    if h.get("id"):
        return h.get("id")
    parent = h.getparent()
    if parent is not None and _local(parent.tag) == "section" and parent.get("id") and \
            next(iter(parent.iterchildren(*[f"{{{XHTML}}}h{i}" for i in range(1, 7)])), None) is h:
        return parent.get("id")
    return ""


def _ensure_heading_ids(chs: list[Chapter]) -> None:
    """Give an id to every heading that has no link target, so the navigation can reach it."""
    used = set(_id_map(chs))
    n = 0
    for ch in chs:
        for el in ch.elements:
            for h in el.iter(*[f"{{{XHTML}}}h{i}" for i in range(2, 7)]):
                if not _heading_target(h):
                    n += 1
                    while f"heading-{n}" in used:
                        n += 1
                    h.set("id", f"heading-{n}")
                    used.add(f"heading-{n}")


def toc_entries(chs: list[Chapter]) -> list[tuple[int, str, str]]:
    """(level, text, href) for every heading h2–h6 of the chapters, in reading order; a chapter without
    any heading (text before the first section) is listed by its title."""
    out = []
    for ch in chs:
        if not any(h is not None for el in ch.elements
                   for h in el.iter(*[f"{{{XHTML}}}h{i}" for i in range(2, 7)])):
            out.append((2, ch.title, ch.file))
            continue
        for el in ch.elements:
            for h in el.iter(*[f"{{{XHTML}}}h{i}" for i in range(2, 7)]):
                text = _plain(h)
                if text:
                    out.append((int(_local(h.tag)[1]), text, f"{ch.file}#{_heading_target(h)}"))
    return out


def _nest(entries: list[tuple[int, str, str]]) -> list[dict]:
    """Entries as a tree; a heading that skips levels nests only one level deeper."""
    root: list[dict] = []
    stack: list[tuple[int, list]] = [(0, root)]
    for level, text, href in entries:
        while len(stack) > 1 and stack[-1][0] >= level:
            stack.pop()
        node = {"text": text, "href": href, "children": []}
        stack[-1][1].append(node)
        stack.append((level, node["children"]))
    return root


def _depth(nodes: list[dict]) -> int:
    return max((1 + _depth(n["children"]) for n in nodes), default=0)


def nav_document(title: str, lang: str, tree: list[dict], landmarks: list[tuple[str, str, str]],
                 pages: list[tuple[str, str]]) -> bytes:
    """The EPUB 3 navigation document: toc (every heading level), landmarks, page-list."""
    def ol(nodes):
        out = E("ol")
        for n in nodes:
            li = E("li")
            li.append(E("a", n["text"], href=n["href"]))
            if n["children"]:
                li.append(ol(n["children"]))
            out.append(li)
        return out

    toc = E("nav", **{"epub:type": "toc", "role": "doc-toc", "id": "toc", "aria-labelledby": "toc-title"})
    toc.append(E("h1", "Contents", id="toc-title"))
    toc.append(ol(tree))
    marks = E("nav", **{"epub:type": "landmarks", "id": "landmarks", "aria-label": "Landmarks", "hidden": "hidden"})
    mol = E("ol")
    for etype, text, href in landmarks:
        li = E("li")
        li.append(E("a", text, href=href, **{"epub:type": etype}))
        mol.append(li)
    marks.append(mol)
    parts = [toc, marks]
    if pages:
        plist = E("nav", **{"epub:type": "page-list", "role": "doc-pagelist", "id": "page-list",
                            "aria-label": "Pages of the PDF edition", "hidden": "hidden"})
        pol = E("ol")
        for label, href in pages:
            li = E("li")
            li.append(E("a", label, href=href))
            pol.append(li)
        plist.append(pol)
        parts.append(plist)
    return xhtml.document(f"{title}: contents", lang, parts, body_class="nav-page")


def ncx_document(uid: str, title: str, lang: str, tree: list[dict], pages: list[tuple[str, str]]) -> bytes:
    """The NCX for EPUB 2 reading systems: the same hierarchy, and a pageList."""
    root = etree.Element(f"{{{NCX}}}ncx", nsmap={None: NCX}, version="2005-1")
    root.set(XML_LANG, lang)
    head = etree.SubElement(root, f"{{{NCX}}}head")
    numbers = [int(p) for p, _ in pages if p.isdigit()]
    for name, content in (("dtb:uid", uid), ("dtb:depth", str(max(_depth(tree), 1))),
                          ("dtb:totalPageCount", str(len(pages))), ("dtb:maxPageNumber", str(max(numbers, default=0)))):
        etree.SubElement(head, f"{{{NCX}}}meta", name=name, content=content)
    etree.SubElement(etree.SubElement(root, f"{{{NCX}}}docTitle"), f"{{{NCX}}}text").text = title
    nav_map = etree.SubElement(root, f"{{{NCX}}}navMap")
    counter = [0]

    def points(parent, nodes):
        for n in nodes:
            counter[0] += 1
            np = etree.SubElement(parent, f"{{{NCX}}}navPoint", id=f"np-{counter[0]}")
            etree.SubElement(etree.SubElement(np, f"{{{NCX}}}navLabel"), f"{{{NCX}}}text").text = n["text"]
            etree.SubElement(np, f"{{{NCX}}}content", src=n["href"])
            points(np, n["children"])
    points(nav_map, tree)
    if pages:
        plist = etree.SubElement(root, f"{{{NCX}}}pageList")
        etree.SubElement(etree.SubElement(plist, f"{{{NCX}}}navLabel"), f"{{{NCX}}}text").text = "Pages"
        for label, href in pages:
            pt = etree.SubElement(plist, f"{{{NCX}}}pageTarget", id=f"pt-{label}", value=label,
                                  type="normal" if label.isdigit() else "front")
            etree.SubElement(etree.SubElement(pt, f"{{{NCX}}}navLabel"), f"{{{NCX}}}text").text = label
            etree.SubElement(pt, f"{{{NCX}}}content", src=href)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)


def _images(chs: list[Chapter], paper: Paper, warnings: list[Problem]) -> tuple[int, int]:
    """Count images and those without alt text; warn about each one that has none."""
    total = missing = 0
    for ch in chs:
        for el in ch.elements:
            for img in el.iter(f"{{{XHTML}}}img"):
                total += 1
                if img.get("alt") is None or (not img.get("alt").strip() and img.get("role") != "presentation"):
                    missing += 1
                    warnings.append(Problem(
                        paper.rel_source, None, f"image '{img.get('src', '')}' in the EPUB's {ch.file} has no alt text",
                        "describe it: ![what the image shows](path); use an empty description only for decoration",
                        severity="warning"))
    return total, missing


def _cover(paper: Paper, doc: Document, opts: EpubOptions, title: str) -> tuple[bytes, str]:
    """The cover image: given in the options, the front-matter image (publisher.assets), else generated."""
    if opts.cover_image:
        return opts.cover_image, opts.cover_media_type
    cover = getattr(doc, "cover", None)
    if cover is not None and getattr(cover, "ok", False):
        if cover.media_type in ("image/png", "image/jpeg"):
            return cover.data, cover.media_type
        converted = _to_png(cover.data)
        if converted:
            return converted, "image/png"
    return make_cover(paper, title), "image/png"


def cover_image(paper: Paper, doc: Document) -> tuple[bytes, str]:
    """The EPUB's cover image and its media type, made ahead of build() (EpubOptions.cover_image)."""
    return _cover(paper, doc, EpubOptions(), doc.title_text or paper.title)


def _to_png(data: bytes) -> bytes | None:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            out = io.BytesIO()
            img.convert("RGB").save(out, format="PNG", optimize=True)
            return out.getvalue()
    except Exception:  # noqa: BLE001 - not an image Pillow reads (SVG …): the generated cover is used
        return None


def _font_items(chs: list[Chapter], title_text: str) -> tuple[list[epub.EpubItem], str]:
    """Source Serif 4 subset to the characters the book uses (WOFF2), and its @font-face rules."""
    from ..fonts import SERIF, font_files, woff2_subset

    chars = set(title_text) | set(" 0123456789.,;:!?'\"()[]-–—‘’“”…/&%")
    for ch in chs:
        for el in ch.elements:
            chars |= set("".join(el.itertext()))
    items, rules = [], []
    for style, path in (("normal", font_files()[SERIF]), ("italic", font_files()[SERIF + "-Italic"])):
        if not path.is_file():
            continue
        name = f"fonts/SourceSerif4-{'Italic' if style == 'italic' else 'Roman'}.woff2"
        items.append(epub.EpubItem(uid=f"font-{style}", file_name=name, media_type="font/woff2",
                                   content=woff2_subset(path, "".join(sorted(chars)), ["*"])))
        rules.append(f'@font-face {{ font-family: "Source Serif 4"; src: url("{name}") format("woff2"); '
                     f"font-weight: 200 900; font-style: {style}; }}")
    if rules:
        rules.append('body { font-family: "Source Serif 4", serif; }')
    return items, "\n".join(rules)


def _metadata(book, paper: Paper, doc: Document, opts: EpubOptions, title: str, uid: str) -> None:
    """Package metadata: identifier, titles, creators, dates, subjects, series, source of the page numbers."""
    book.set_identifier(uid)
    book.title = title
    book.metadata[epub.NAMESPACES["OPF"]].pop("generator", None)  # ebooklib's own, replaced by ours
    book.add_metadata(None, "meta", "", {"name": "generator", "content": f"publisher {__version__}"})
    book.add_metadata("DC", "title", title, {"id": "title-main"})
    if paper.subtitle:
        book.add_metadata("DC", "title", paper.subtitle, {"id": "subtitle"})
    book.add_metadata(None, "meta", "main", {"refines": "#title-main", "property": "title-type"})
    if paper.subtitle:
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
    book.set_language(paper.lang or "en")
    for i, person in enumerate(contributors(paper), start=1):
        cid = f"creator{i:02d}"
        book.add_metadata("DC", "creator" if person.role == "aut" else "contributor", person.name, {"id": cid})
        book.add_metadata(None, "meta", person.role or "aut", {"refines": f"#{cid}", "property": "role",
                                                               "scheme": "marc:relators"})
        book.add_metadata(None, "meta", person.file_as or person.name, {"refines": f"#{cid}", "property": "file-as"})
        book.add_metadata(None, "meta", str(i), {"refines": f"#{cid}", "property": "display-seq"})
    book.add_metadata("DC", "date", w3c_date(paper.date))
    description = paper.description or paper.excerpt
    if description:
        book.add_metadata("DC", "description", description)
    for subject in dict.fromkeys(paper.tags + paper.categories):
        book.add_metadata("DC", "subject", subject)
    if paper.publisher:
        book.add_metadata("DC", "publisher", paper.publisher)
    if paper.rights:
        book.add_metadata("DC", "rights", paper.rights)
    if paper.series:
        book.add_metadata(None, "meta", paper.series, {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})
        position = paper.meta.get("series_index", paper.meta.get("series_number"))
        if isinstance(position, (int, float)) and not isinstance(position, bool) or \
                isinstance(position, str) and re.fullmatch(r"\d+(\.\d+)?", position.strip()):
            book.add_metadata(None, "meta", str(position).strip(), {"refines": "#series", "property": "group-position"})


def _source(opts: EpubOptions, title: str) -> str:
    size = f", {opts.page_size}" if opts.page_size else ""
    return f"{title}, PDF edition{size} ({opts.page_source})"


def _accessibility(book, doc: Document, *, images: int, missing_alt: int, pages: bool, source: str,
                   page_size: str = "") -> None:
    """EPUB Accessibility 1.1 metadata (schema.org properties), true to what this book contains."""
    def meta(prop, value):
        book.add_metadata(None, "meta", value, {"property": prop})

    meta("schema:accessMode", "textual")
    if images:
        meta("schema:accessMode", "visual")
    meta("schema:accessModeSufficient", "textual" if not missing_alt else "textual,visual")
    features = ["structuralNavigation", "tableOfContents", "readingOrder", "displayTransformability", "ARIA"]
    if images and not missing_alt:
        features.append("alternativeText")
    if doc.has_math:
        features.append("MathML")
    if pages:
        features += ["printPageNumbers", "pageBreakMarkers", "pageNavigation"]
    for feature in features:
        meta("schema:accessibilityFeature", feature)
    meta("schema:accessibilityHazard", "none")
    summary = ["This publication has a navigable table of contents that lists every heading, a logical "
               "reading order and headings for every section."]
    if pages:
        summary.append("Page break markers and a page list give the page numbers of the PDF edition"
                       + (f" ({page_size})." if page_size else "."))
    if images:
        summary.append("Every image has a text description." if not missing_alt else
                       f"{missing_alt} of {images} images have no text description.")
    if doc.has_math:
        summary.append("Mathematics is encoded as MathML.")
    summary.append("The text can be resized and restyled, and there are no hazards."
                   + (" It meets WCAG 2.1 level AA." if not missing_alt else ""))
    meta("schema:accessibilitySummary", " ".join(summary))
    if not missing_alt:
        meta("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA")
    if pages:
        meta("pageBreakSource", source)


def build(paper: Paper, doc: Document, opts: EpubOptions | None = None) -> bytes:
    """Assemble the EPUB and return its bytes (reproducible)."""
    opts = opts or EpubOptions()
    lang = paper.lang or "en"
    title = doc.title_text or paper.title
    uid = identifier(paper, opts.site_url)
    book = epub.EpubBook()
    _metadata(book, paper, doc, opts, title, uid)

    # Content: the title page, then the chapters.
    tp = title_page(paper, doc, title)
    chs = chapters(paper, doc)
    index_ch = None
    if doc.index:  # the subject index (issue 17): a chapter at the back, with a landmark
        from ..subject_index import epub_chapter

        index_ch = epub_chapter(chs, doc.index, opts.index_see_also)
        chs += [index_ch] if index_ch else []
    all_docs = [tp] + chs
    _ensure_heading_ids(chs)
    ids = _id_map(all_docs)
    for ch in all_docs:
        _relink(ch, ids)
    pages = pagemap.insert_markers([(c.file, c.elements) for c in all_docs], opts.page_starts) \
        if opts.page_starts else []
    images, missing_alt = _images(all_docs, paper, opts.warnings)
    for ch in all_docs:
        tab_order(ch.elements)

    css_text = read_style("epub.css") + "\n" + readable_colours(doc.highlight_css)
    if opts.embed_fonts:
        font_items, font_rules = _font_items(all_docs, title)
        for item in font_items:
            book.add_item(item)
        css_text = css_text + "\n" + font_rules  # after @namespace, which must come first
    book.add_item(epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                                content=css_text.encode("utf-8")))
    for n, asset in enumerate(body.epub_images(doc), start=1):  # issue 4: the paper's images, in the package
        book.add_item(epub.EpubItem(uid=f"img{n:03d}", file_name=asset.name, media_type=asset.media_type,
                                    content=asset.data))

    # Cover.
    cover_bytes, cover_type = _cover(paper, doc, opts, title)
    cover_name = "cover." + ("jpg" if cover_type == "image/jpeg" else "png")
    cover_item = epub.EpubCover(uid="cover-img", file_name=cover_name)
    cover_item.content = cover_bytes
    cover_item.media_type = cover_type
    book.add_item(cover_item)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})
    alt = f"Cover: {title}" + (f" by {author_line(paper)}" if paper.authors else "")
    cover_page = E("section", **{"class": "cover", "epub:type": "cover"})
    cover_page.append(E("img", src=cover_name, alt=alt, role="doc-cover"))
    cover_doc = _Doc(xhtml.document(title, lang, [cover_page], body_class="cover-page"), uid="cover",
                     file_name="cover.xhtml", title="Cover", lang=lang)
    book.add_item(cover_doc)

    items = []
    for ch in all_docs:
        data = xhtml.document(ch.title if ch.file != "title.xhtml" else title, lang, ch.elements)
        item = _Doc(data, uid=ch.file.rsplit(".", 1)[0], file_name=ch.file, title=ch.title, lang=lang)
        if b"<math" in data:
            item.properties.append("mathml")
        if b"<svg" in data:
            item.properties.append("svg")
        book.add_item(item)
        items.append(item)

    # Navigation: every heading level, landmarks, the page-list of the PDF edition.
    entries = toc_entries([c for c in chs if c is not index_ch]) + ([(2, "Index", index_ch.file)] if index_ch else [])
    first_text = next((c for c in chs if c.kind == "chapter"), chs[0] if chs else tp)
    if not entries:  # an empty paper: the contents still need one entry
        entries = [(2, title, first_text.file)]
    tree = _nest(entries)
    landmarks = [("cover", "Cover", "cover.xhtml"), ("titlepage", "Title page", "title.xhtml"),
                 ("toc", "Contents", "nav.xhtml#toc"), ("bodymatter", "Start of text", first_text.file)]
    notes = next((c for c in chs if c.file == "notes.xhtml"), None)
    if notes:
        landmarks.append(("endnotes", "Notes", notes.file))
    if index_ch:
        landmarks.append(("index", "Index", index_ch.file))
    bibliography = next((c for c in chs if c.file == "references.xhtml"), None)
    if bibliography:  # issue 14
        landmarks.append(("bibliography", bibliography.title, bibliography.file))
    nav_bytes = nav_document(title, lang, tree, landmarks, pages)
    ncx_bytes = ncx_document(uid, title, lang, tree, pages)
    book.toc = [epub.Link(href, text, f"toc-{i}") for i, (_, text, href) in enumerate(entries)]
    add_navigation(book, cover_doc, items, first_text.file)
    if notes:
        book.guide.append({"type": "notes", "href": notes.file, "title": "Notes"})

    source = _source(opts, title) if pages else ""
    if pages:
        book.add_metadata("DC", "source", source, {"id": "print-source"})
    _accessibility(book, doc, images=images, missing_alt=missing_alt, pages=bool(pages), source=source,
                   page_size=opts.page_size)
    modified = (opts.modified or paper.date).astimezone(dt.timezone.utc).replace(tzinfo=None)
    buf = io.BytesIO()
    writer = _Writer(buf, book, {"mtime": modified, "epub3_landmark": False, "epub3_pages": False,
                                 "raise_exceptions": True}, nav_bytes, ncx_bytes, lang)
    writer.process()
    writer.write()
    return reproducible_zip(buf.getvalue())


def reproducible_zip(data: bytes, when: tuple = ZIP_EPOCH) -> bytes:
    """Rewrite an EPUB zip: `mimetype` first and stored, fixed timestamps and permissions."""
    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    order = ["mimetype"] + [n for n in names if n != "mimetype"]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for name in order:
            info = zipfile.ZipInfo(name, date_time=when)
            info.external_attr = 0o644 << 16
            info.create_system = 3
            if name == "mimetype":
                info.compress_type = zipfile.ZIP_STORED
                dst.writestr(info, b"application/epub+zip")
            else:
                info.compress_type = zipfile.ZIP_DEFLATED
                dst.writestr(info, src.read(name), compresslevel=9)
    return out.getvalue()


def write(paper: Paper, doc: Document, out_dir: Path, opts: EpubOptions | None = None) -> Path:
    """Write `OUT_DIR/<slug>.epub` atomically."""
    return atomic_write(out_dir / edition_names(paper.slug)["epub"], build(paper, doc, opts))


__all__ = ["build", "write", "options", "EpubOptions", "identifier", "reproducible_zip", "EPUB"]
