"""The volume's EPUB (`OUT/volumes/<slug>/<slug>.epub`): one book with a part per paper.

Each paper opens with its own part page (title, authors, date, summary) followed by its sections
as chapters; the navigation document and the NCX list every paper and its sections; the editors
are the book's `dc:creator`s (role edt) and each paper's authors are in its part page; the
page-list maps to the volume's PDF. Everything else (notes, images, accessibility metadata,
reproducible zip) is publisher/editions/epub.py's, called part by part."""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
from pathlib import Path

from ebooklib import epub as ebooklib_epub

from ..dist import atomic_write
from ..editions import body, pagemap, xhtml
from ..editions import epub as paper_epub
from ..editions.common import display_date
from ..editions.cover import make_cover
from ..editions.xhtml import E
from ..model import Document
from ..resources import read_style
from ..safety import sanitize
from .member import Member, VolumeInfo, editor_line

Chapter = paper_epub.Chapter


def title_page(info: VolumeInfo) -> Chapter:
    """The volume's title page: publisher, title, subtitle, editors, date, description, imprint."""
    v, paper = info.volume, info.paper
    tp = E("section", **{"class": "title-page", "epub:type": "titlepage", "aria-label": "Title page"})
    if paper.publisher:
        tp.append(E("p", paper.publisher, **{"class": "series"}))
    tp.append(E("h1", v.title, **{"class": "title"}))
    if v.subtitle:
        tp.append(E("p", v.subtitle, **{"class": "subtitle", "role": "doc-subtitle"}))
    if v.editors:
        tp.append(E("p", editor_line(v), **{"class": "authors"}))
    tp.append(E("p", display_date(paper.date), **{"class": "date"}))
    if v.description:
        summary = E("div", **{"class": "summary", "role": "doc-abstract", "aria-label": "Summary"})
        summary.append(E("p", v.description))
        tp.append(summary)
    imprint = [x for x in (paper.publisher, paper.rights, f"ISBN {v.isbn}" if v.isbn else "") if x]
    if imprint:
        tp.append(E("p", " · ".join(imprint), **{"class": "imprint"}))
    return Chapter("title.xhtml", v.title, [tp], "titlepage")


def opening(m: Member) -> Chapter:
    """A paper's part page: its title, subtitle, authors, date and summary."""
    doc = m.epub or m.doc
    title = doc.title_text or m.paper.title
    part = E("section", **{"class": "paper-opening", "epub:type": "part", "role": "doc-part",
                           "aria-labelledby": f"{m.prefix}title"})
    paper_epub.add_title(part, doc, title, id=f"{m.prefix}title")
    if m.paper.authors:
        part.append(E("p", m.authors, **{"class": "authors"}))
    part.append(E("p", display_date(m.paper.date), **{"class": "date"}))
    if doc.summary_html:
        summary = E("div", **{"class": "summary", "role": "doc-abstract", "aria-label": "Summary"})
        for el in xhtml.fragment_elements(sanitize(doc.summary_html)):
            summary.append(el)
        part.append(summary)
    return Chapter(f"{m.prefix}00.xhtml", title, [part], "chapter")


def _own_ids(chs: list[Chapter], prefix: str) -> None:
    """Prefix the ids the chapters were given after the body was prefixed (about-the-author, notes)."""
    for ch in chs:
        for el in ch.elements:
            for node in el.iter():
                if not isinstance(node.tag, str):
                    continue
                for attr in ("id", "aria-labelledby"):
                    value = node.get(attr)
                    if value and not all(v.startswith(prefix) for v in value.split()):
                        node.set(attr, " ".join(v if v.startswith(prefix) else prefix + v for v in value.split()))


def paper_chapters(m: Member) -> list[Chapter]:
    """A paper's chapters (its top-level sections, about the author, notes) with file names of its own."""
    chs = paper_epub.chapters(m.paper, m.epub or m.doc)
    _own_ids(chs, m.prefix)
    return [dataclasses.replace(ch, file=m.prefix + ch.file) for ch in chs]


def references_chapter(info: VolumeInfo) -> Chapter | None:
    """The volume's one reference list (`bibliography: volume`) as `references.xhtml`, a chapter
    marked as the bibliography, the way a paper's own list is made (None without one)."""
    bibliography = info.references.get("epub")
    if bibliography is None:
        return None
    doc = Document(body_html=bibliography.html(), title_html="", title_text="")
    return next((ch for ch in paper_epub.chapters(info.paper, doc) if ch.file == "references.xhtml"), None)


def build(info: VolumeInfo, members: list[Member], opts: paper_epub.EpubOptions) -> bytes:
    """Assemble the volume's EPUB and return its bytes (reproducible)."""
    v, paper = info.volume, info.paper
    lang = paper.lang or "en"
    title = v.title
    uid = info.identifier
    book = ebooklib_epub.EpubBook()
    meta_doc = Document(body_html="", title_html=title, title_text=title, has_math=any(m.doc.has_math for m in members))
    paper_epub._metadata(book, dataclasses.replace(paper, authors=[]), meta_doc, opts, title, uid)
    for i, name in enumerate(v.editors, start=1):  # the editors are the book's creators
        cid = f"editor{i:02d}"
        book.add_metadata("DC", "creator", name, {"id": cid})
        book.add_metadata(None, "meta", "edt", {"refines": f"#{cid}", "property": "role", "scheme": "marc:relators"})
        book.add_metadata(None, "meta", str(i), {"refines": f"#{cid}", "property": "display-seq"})

    tp = title_page(info)
    groups: list[tuple[Member, Chapter, list[Chapter]]] = []
    for m in members:
        groups.append((m, opening(m), paper_chapters(m)))
    content = [ch for _, op, chs in groups for ch in [op] + chs]
    references_ch = references_chapter(info)
    content += [references_ch] if references_ch else []
    index_ch = None
    index = [mark for m in members for mark in m.doc.index]
    if index:  # the volume's subject index: every paper's terms, linking into every part
        from ..subject_index import epub_chapter

        index_ch = epub_chapter(content, index, opts.index_see_also)
        content += [index_ch] if index_ch else []
    all_docs = [tp] + content
    paper_epub._ensure_heading_ids(content)
    ids = paper_epub._id_map(all_docs)
    for ch in all_docs:
        paper_epub._relink(ch, ids)
    pages = pagemap.insert_markers([(c.file, c.elements) for c in all_docs], opts.page_starts) \
        if opts.page_starts else []
    images, missing_alt = paper_epub._images(all_docs, paper, opts.warnings)
    for ch in all_docs:
        paper_epub.tab_order(ch.elements)

    highlight = "\n".join(dict.fromkeys(m.doc.highlight_css for m in members if m.doc.highlight_css))
    css_text = read_style("epub.css") + "\n" + paper_epub.readable_colours(highlight) + "\n" + read_style("volume-epub.css")
    book.add_item(ebooklib_epub.EpubItem(uid="style", file_name="style.css", media_type="text/css",
                                         content=css_text.encode("utf-8")))
    seen_images: set[str] = set()
    for m in members:
        for asset in body.epub_images(m.epub or m.doc):
            if asset.name in seen_images:
                continue
            seen_images.add(asset.name)
            book.add_item(ebooklib_epub.EpubItem(uid=f"img{len(seen_images):03d}", file_name=asset.name,
                                                 media_type=asset.media_type, content=asset.data))

    if opts.cover_image:
        cover_bytes, cover_type = opts.cover_image, opts.cover_media_type
    else:
        cover_bytes, cover_type = make_cover(paper, title), "image/png"
    cover_name = "cover." + ("jpg" if cover_type == "image/jpeg" else "png")
    cover_item = ebooklib_epub.EpubCover(uid="cover-img", file_name=cover_name)
    cover_item.content = cover_bytes
    cover_item.media_type = cover_type
    book.add_item(cover_item)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})
    cover_page = E("section", **{"class": "cover", "epub:type": "cover"})
    cover_page.append(E("img", src=cover_name, alt=f"Cover: {title}", role="doc-cover"))
    cover_doc = paper_epub._Doc(xhtml.document(title, lang, [cover_page], body_class="cover-page"), uid="cover",
                                file_name="cover.xhtml", title="Cover", lang=lang)
    book.add_item(cover_doc)

    items = []
    member_lang = {}
    for m, op, chs in groups:
        for ch in [op] + chs:
            member_lang[ch.file] = m.paper.lang or lang
    for ch in all_docs:
        doc_lang = member_lang.get(ch.file, lang)
        data = xhtml.document(ch.title, doc_lang, ch.elements)
        item = paper_epub._Doc(data, uid=ch.file.rsplit(".", 1)[0], file_name=ch.file, title=ch.title, lang=doc_lang)
        if b"<math" in data:
            item.properties.append("mathml")
        if b"<svg" in data:
            item.properties.append("svg")
        book.add_item(item)
        items.append(item)

    # Navigation: each paper (its part page), and its sections below it.
    tree = []
    toc_links = []
    for m, op, chs in groups:
        entries = paper_epub.toc_entries(chs)
        tree.append({"text": op.title, "href": op.file, "children": paper_epub._nest(entries)})
        toc_links.append(ebooklib_epub.Link(op.file, op.title, f"toc-{m.prefix.rstrip('-')}"))
    if references_ch:
        tree.append({"text": references_ch.title, "href": references_ch.file, "children": []})
        toc_links.append(ebooklib_epub.Link(references_ch.file, references_ch.title, "toc-references"))
    if index_ch:
        tree.append({"text": "Index", "href": index_ch.file, "children": []})
        toc_links.append(ebooklib_epub.Link(index_ch.file, "Index", "toc-index"))
    if not tree:
        tree = [{"text": title, "href": tp.file, "children": []}]
    first_text = groups[0][1] if groups else tp
    landmarks = [("cover", "Cover", "cover.xhtml"), ("titlepage", "Title page", "title.xhtml"),
                 ("toc", "Contents", "nav.xhtml#toc"), ("bodymatter", "Start of text", first_text.file)]
    if references_ch:
        landmarks.append(("bibliography", references_ch.title, references_ch.file))
    if index_ch:
        landmarks.append(("index", "Index", index_ch.file))
    nav_bytes = paper_epub.nav_document(title, lang, tree, landmarks, pages)
    ncx_bytes = paper_epub.ncx_document(uid, title, lang, tree, pages)
    book.toc = toc_links
    paper_epub.add_navigation(book, cover_doc, items, first_text.file)
    if references_ch:
        book.guide.append({"type": "bibliography", "href": references_ch.file, "title": references_ch.title})
    if index_ch:
        book.guide.append({"type": "index", "href": index_ch.file, "title": "Index"})

    source = paper_epub._source(opts, title) if pages else ""
    if pages:
        book.add_metadata("DC", "source", source, {"id": "print-source"})
    paper_epub._accessibility(book, meta_doc, images=images, missing_alt=missing_alt, pages=bool(pages),
                              source=source, page_size=opts.page_size)
    modified = (opts.modified or paper.date).astimezone(dt.timezone.utc).replace(tzinfo=None)
    buf = io.BytesIO()
    writer = paper_epub._Writer(buf, book, {"mtime": modified, "epub3_landmark": False, "epub3_pages": False,
                                            "raise_exceptions": True}, nav_bytes, ncx_bytes, lang)
    writer.process()
    writer.write()
    return paper_epub.reproducible_zip(buf.getvalue())


def write(info: VolumeInfo, members: list[Member], path: Path, opts: paper_epub.EpubOptions) -> Path:
    """Write the volume's EPUB to PATH atomically."""
    return atomic_write(path, build(info, members, opts))
