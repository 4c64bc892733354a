"""The EPUB 3 edition, assembled with ebooklib (`OUT/<slug>/<slug>.epub`).

Chapters are split at top-level sections; the package carries a navigation document with
landmarks, an NCX for older readers, a cover, accessibility metadata, and is rewritten with
fixed zip timestamps so the same input gives the same bytes.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ebooklib import epub
from lxml import etree

from ..dist import atomic_write
from ..model import Document, Paper
from ..resources import read_style
from ..safety import sanitize
from . import xhtml
from .common import author_line, display_date, edition_names, w3c_date
from .cover import make_cover
from .xhtml import EPUB, XHTML, E

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass
class EpubOptions:
    modified: dt.datetime | None = None  # SOURCE_DATE_EPOCH when set, else the paper's date
    site_url: str = ""
    cover_image: bytes | None = None  # a local or fetched front-matter image (PNG/JPEG)
    cover_media_type: str = "image/png"


class _Doc(epub.EpubHtml):
    """An XHTML content document whose bytes we produce ourselves (ebooklib would re-parse them as HTML)."""

    def __init__(self, data: bytes, **kwargs):
        super().__init__(**kwargs)
        self._data = data

    def get_content(self, default=None):
        return self._data


def identifier(paper: Paper, site_url: str = "") -> str:
    """A stable identifier: DOI/ISBN/identifier from front matter, else a UUID from the paper's URL."""
    if paper.identifier:
        ident = paper.identifier
        if re.match(r"^10\.\d{4,}/", ident):
            return f"doi:{ident}"
        if re.fullmatch(r"[0-9Xx-]{10,17}", ident):
            return f"urn:isbn:{ident.replace('-', '')}"
        return ident
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (site_url or "publisher:") + paper.url))


def _id_map(chapters: list[tuple[str, list]]) -> dict[str, str]:
    found = {}
    for fname, elements in chapters:
        for el in elements:
            for node in el.iter():
                ident = node.get("id") if isinstance(node.tag, str) else None
                if ident and ident not in found:
                    found[ident] = fname
    return found


def _relink(fname: str, elements: list, ids: dict[str, str]) -> None:
    for el in elements:
        for a in el.iter(f"{{{XHTML}}}a"):
            href = a.get("href", "")
            if href.startswith("#") and len(href) > 1:
                target = ids.get(href[1:])
                if target and target != fname:
                    a.set("href", f"{target}{href}")


def _notes(container) -> list:
    """Turn pandoc's endnotes section into EPUB 3 footnote asides; mark the note references."""
    for a in container.iter("a"):
        if "footnote-ref" in (a.get("class") or ""):
            a.set("epub:type", "noteref")
            a.set("role", "doc-noteref")
    section = None
    for el in container.iter("section"):
        if el.get("id") == "footnotes" or "footnotes" in (el.get("class") or "").split():
            section = el
            break
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


def build(paper: Paper, doc: Document, opts: EpubOptions | None = None) -> bytes:
    """Assemble the EPUB and return its bytes (reproducible)."""
    opts = opts or EpubOptions()
    lang = paper.lang or "en"
    title = doc.title_text or paper.title
    book = epub.EpubBook()
    book.set_identifier(identifier(paper, opts.site_url))
    book.title = title
    book.add_metadata("DC", "title", title, {"id": "title-main"})
    book.set_language(lang)
    for i, a in enumerate(paper.authors or [], start=1):
        book.add_author(a.name, file_as=a.file_as or a.name, role=a.role or "aut", uid=f"creator{i:02d}")
    book.add_metadata("DC", "date", w3c_date(paper.date))
    if paper.description or paper.excerpt:
        book.add_metadata("DC", "description", paper.description or paper.excerpt)
    for subject in dict.fromkeys(paper.tags + paper.categories):
        book.add_metadata("DC", "subject", subject)
    if paper.publisher:
        book.add_metadata("DC", "publisher", paper.publisher)
    if paper.rights:
        book.add_metadata("DC", "rights", paper.rights)
    if paper.subtitle:
        book.add_metadata("DC", "title", paper.subtitle, {"id": "subtitle"})
        book.add_metadata(None, "meta", "subtitle", {"refines": "#subtitle", "property": "title-type"})
        book.add_metadata(None, "meta", "main", {"refines": "#title-main", "property": "title-type"})
    if paper.series:
        book.add_metadata(None, "meta", paper.series, {"property": "belongs-to-collection", "id": "series"})
        book.add_metadata(None, "meta", "series", {"refines": "#series", "property": "collection-type"})

    # Content: parse the shared body once, split at top-level sections.
    container = xhtml.parse_fragment(sanitize(doc.body_html))
    note_asides = _notes(container)
    chapters: list[tuple[str, str, list, str]] = []  # (file, title, elements, epub:type)
    preface = []
    n = 0
    for child in list(container):
        if child.tag == "section" and (child.get("class") or "").split()[:1] == ["level2"]:
            n += 1
            h = child.find("h2")
            ctitle = re.sub(r"\s+", " ", h.text_content()).strip() if h is not None else f"Section {n}"
            chapters.append((f"ch{n:02d}.xhtml", ctitle, xhtml.to_xhtml_elements(_wrap(child)), "chapter"))
        else:
            preface.append(child)
    if preface:
        holder = _wrap_many(preface)
        chapters.insert(0, ("ch00.xhtml", "Introduction", xhtml.to_xhtml_elements(holder), "chapter"))
    if doc.bio_html:
        bio = [E("h2", "About the author" + ("s" if len(paper.authors) > 1 else ""), id="about-the-author")]
        bio += xhtml.fragment_elements(sanitize(doc.bio_html))
        section = E("section", **{"class": "about-author", "epub:type": "appendix"})
        for el in bio:
            section.append(el)
        chapters.append(("about.xhtml", bio[0].text, [section], "appendix"))
    notes_file = None
    if note_asides:
        notes_file = "notes.xhtml"
        section = E("section", **{"epub:type": "footnotes", "role": "doc-endnotes", "class": "notes"})
        section.append(E("h2", "Notes", id="notes"))
        for el in xhtml.to_xhtml_elements(_wrap_many(note_asides)):
            section.append(el)
        chapters.append((notes_file, "Notes", [section], "backmatter"))

    # Title page.
    tp = [E("section", **{"class": "title-page", "epub:type": "titlepage"})]
    if paper.series:
        tp[0].append(E("p", paper.series, **{"class": "series"}))
    h1 = E("h1", **{"class": "title"})
    for el in xhtml.fragment_elements(f"<span>{doc.title_html or title}</span>"):
        h1.append(el)
    tp[0].append(h1)
    if doc.subtitle_html:
        sub = E("p", **{"class": "subtitle"})
        for el in xhtml.fragment_elements(f"<span>{doc.subtitle_html}</span>"):
            sub.append(el)
        tp[0].append(sub)
    if paper.authors:
        tp[0].append(E("p", author_line(paper), **{"class": "authors"}))
    tp[0].append(E("p", display_date(paper.date), **{"class": "date"}))
    if doc.summary_html:
        summary = E("div", **{"class": "summary", "role": "doc-abstract"})
        for el in xhtml.fragment_elements(sanitize(doc.summary_html)):
            summary.append(el)
        tp[0].append(summary)
    if paper.publisher or paper.rights:
        tp[0].append(E("p", " · ".join(x for x in (paper.publisher, paper.rights) if x), **{"class": "imprint"}))

    all_docs = [("title.xhtml", title, tp, "titlepage")] + chapters
    ids = _id_map([(f, els) for f, _, els, _ in all_docs])
    for f, _, els, _ in all_docs:
        _relink(f, els, ids)

    css = epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                        content=(read_style("epub.css") + "\n" + doc.highlight_css).encode("utf-8"))
    book.add_item(css)

    # Cover.
    cover_bytes = opts.cover_image or make_cover(paper, title)
    cover_type = opts.cover_media_type if opts.cover_image else "image/png"
    cover_name = "cover." + ("jpg" if cover_type == "image/jpeg" else "png")
    cover_item = epub.EpubCover(uid="cover-img", file_name=cover_name)
    cover_item.content = cover_bytes
    cover_item.media_type = cover_type
    book.add_item(cover_item)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})
    cover_page = [E("section", **{"class": "cover", "epub:type": "cover"})]
    img = E("img", src=cover_name, alt=f"Cover: {title}" + (f" by {author_line(paper)}" if paper.authors else ""))
    cover_page[0].append(img)
    cover_doc = _Doc(xhtml.document(title, lang, cover_page, body_class="cover-page"), uid="cover",
                     file_name="cover.xhtml", title="Cover", lang=lang)
    book.add_item(cover_doc)

    items = []
    for fname, ctitle, elements, etype in all_docs:
        data = xhtml.document(ctitle if fname != "title.xhtml" else title, lang, elements)
        item = _Doc(data, uid=fname.rsplit(".", 1)[0], file_name=fname, title=ctitle, lang=lang)
        if b"<math" in data:
            item.properties.append("mathml")
        if b"<svg" in data:
            item.properties.append("svg")
        book.add_item(item)
        items.append((item, ctitle, elements))

    # Table of contents: chapters with their sub-headings.
    toc = []
    for item, ctitle, elements in items:
        if item.file_name == "title.xhtml":
            continue
        subs = []
        for el in elements:
            for h in el.iter(f"{{{XHTML}}}h3"):
                if h.get("id"):
                    subs.append(epub.Link(f"{item.file_name}#{h.get('id')}",
                                          re.sub(r"\s+", " ", "".join(h.itertext())).strip(), f"{item.id}-{h.get('id')}"))
        link = epub.Link(item.file_name, ctitle, item.id)
        toc.append((epub.Section(ctitle, item.file_name), subs) if subs else link)
    book.toc = toc
    book.add_item(epub.EpubNcx())
    nav = epub.EpubNav(uid="nav", file_name="nav.xhtml", title="Contents")
    nav.add_link(href="style.css", rel="stylesheet", type="text/css")
    book.add_item(nav)
    book.spine = [(cover_doc, "yes"), items[0][0], nav] + [it for it, _, _ in items[1:]]
    first_text = items[1][0] if len(items) > 1 else items[0][0]
    book.guide = [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
                  {"type": "title-page", "href": "title.xhtml", "title": "Title page"},
                  {"type": "toc", "href": "nav.xhtml", "title": "Contents"},
                  {"type": "text", "href": first_text.file_name, "title": "Start of text"}]
    if notes_file:
        book.guide.append({"type": "notes", "href": notes_file, "title": "Notes"})

    _accessibility(book, doc)
    modified = (opts.modified or paper.date).astimezone(dt.timezone.utc).replace(tzinfo=None)
    buf = io.BytesIO()
    epub.write_epub(buf, book, {"mtime": modified, "epub3_landmark": True, "epub3_pages": False,
                                "landmark_title": "Landmarks", "raise_exceptions": True})
    return reproducible_zip(buf.getvalue())


def _wrap(el):
    holder = xhtml.parse_fragment("")
    holder.append(el)
    return holder


def _wrap_many(elements):
    holder = xhtml.parse_fragment("")
    for el in elements:
        holder.append(el)
    return holder


def _accessibility(book, doc: Document) -> None:
    """EPUB Accessibility 1.1 metadata (schema.org properties)."""
    def meta(prop, value):
        book.add_metadata(None, "meta", value, {"property": prop})

    meta("schema:accessMode", "textual")
    meta("schema:accessModeSufficient", "textual")
    for feature in ("structuralNavigation", "tableOfContents", "readingOrder", "alternativeText"):
        meta("schema:accessibilityFeature", feature)
    if doc.has_math:
        meta("schema:accessibilityFeature", "MathML")
    meta("schema:accessibilityHazard", "none")
    meta("schema:accessibilitySummary",
         "This publication has a navigable table of contents, a logical reading order, headings for every "
         "section, text alternatives for images and no hazards. It meets WCAG 2.1 level AA.")
    meta("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA")


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


__all__ = ["build", "write", "EpubOptions", "identifier", "reproducible_zip", "EPUB"]
