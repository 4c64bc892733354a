"""The volume's PDF (`OUT/volumes/<slug>/<slug>.pdf`), typeset by WeasyPrint with styles/print.css
and styles/volume-print.css: a title page (and cover), a contents page with every paper (title,
authors, page) and its sections, then each paper opening on a recto with its title, authors and
summary, running heads with the paper's authors (verso) and title (recto), one page sequence,
footnotes numbered per paper and an outline with a level per paper. It reuses the paper PDF's page
geometry, fonts, metadata (XMP) and PDF/A / PDF/UA variants (publisher/editions/pdf.py)."""
from __future__ import annotations

import dataclasses
import html as html_lib
import logging
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import __version__
from ..dist import atomic_write
from ..editions import pdf as paper_pdf
from ..editions.common import display_date, templates, toc_html
from ..model import Document, Heading, Problem
from ..resources import read_style
from .member import Member, VolumeInfo, editor_line


def cover_path(info: VolumeInfo, roots: tuple[Path, ...]) -> Path | None:
    """The volume's `cover:` image when it is a readable local file inside the site."""
    if not info.volume.cover:
        return None
    paper = dataclasses.replace(info.paper, image=info.volume.cover)
    return paper_pdf.local_image(paper, roots)


def contents_of(m: Member, sections: bool) -> str:
    """A member's sections for the contents page (top-level sections only)."""
    if not sections or not m.pdf:
        return ""
    heads = [h for h in m.pdf.headings if h.level == 2 and h.id]
    return toc_html([Heading(h.level, h.id, h.text, h.html) for h in heads], max_level=2)


def running_heads(title: str, volume_title: str) -> str:
    """The running-head strings of a section at the back of the volume (its references, its index)."""
    return (f'<span class="running-paper-title" aria-hidden="true">{html_lib.escape(title)}</span>'
            f'<span class="running-paper-authors" aria-hidden="true">{html_lib.escape(volume_title)}</span>')


def print_html(info: VolumeInfo, members: list[Member], cover: Path | None, modified) -> str:
    """The HTML handed to WeasyPrint for the whole volume."""
    v, paper = info.volume, info.paper
    items = []
    for m in members:
        doc = m.pdf
        items.append({"m": m, "doc": doc, "body": doc.body_html, "summary": doc.summary_html,
                      "toc": contents_of(m, v.contents_sections), "date": display_date(m.paper.date)})
    bibliography = info.references.get("pdf")
    return templates().get_template("volume-print.html.j2").render(
        bibliography=bibliography.html(running_heads(bibliography.title, paper.title)) if bibliography else "",
        bibliography_title=bibliography.title if bibliography else "",
        volume=v, paper=paper, items=items, editors=editor_line(v), date=display_date(paper.date),
        version=__version__, created=paper.date.isoformat(timespec="seconds"),
        modified=(modified or paper.date).isoformat(timespec="seconds"), cover=cover.as_uri() if cover else "",
        keywords=", ".join(paper.tags))


def render(info: VolumeInfo, members: list[Member], opts: paper_pdf.PdfOptions, page_starts: list | None = None,
           problems: list[Problem] | None = None) -> tuple[bytes, int]:
    """Typeset the volume; returns (PDF bytes, page count). PAGE_STARTS receives where each page
    begins (for the EPUB's page-list); warnings go to PROBLEMS."""
    weasyprint = paper_pdf.load_weasyprint()
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    problems = problems if problems is not None else []
    archive, access = paper_pdf.variants(opts.pdf_variant)
    paper = info.paper
    source = print_html(info, members, cover_path(info, opts.roots), opts.modified)
    html = weasyprint.HTML(string=source, base_url=paper.source.parent.as_uri() + "/",
                           url_fetcher=paper_pdf._fetcher(opts.roots, opts.network, opts.allowed_hosts))
    sheets = list(paper_pdf._stylesheets(opts.page_size, opts.print_ready, opts.bleed, opts.marks,
                                         None if not archive else False))
    sheets.append(weasyprint.CSS(string=read_style("volume-print.css"), font_config=paper_pdf._font_config()))
    document = html.render(stylesheets=sheets, font_config=paper_pdf._font_config())
    index = [mark for m in members for mark in m.doc.index]
    if index:  # the volume's subject index: every paper's terms, with the pages of the first layout
        from ..subject_index import anchor_pages, into_print_html, pdf_section

        source = into_print_html(source, pdf_section(index, anchor_pages(document), opts.index_see_also,
                                                     running=running_heads("Index", paper.title)))
        html = weasyprint.HTML(string=source, base_url=paper.source.parent.as_uri() + "/",
                               url_fetcher=paper_pdf._fetcher(opts.roots, opts.network, opts.allowed_hosts))
        document = html.render(stylesheets=sheets, font_config=paper_pdf._font_config())
    meta = document.metadata
    doc = Document(body_html="", title_html=html_lib.escape(paper.title), title_text=paper.title)
    xmp = paper_pdf.xmp_packet(paper, doc, opts, meta.created or "", meta.modified or "", archive, access)
    data = document.write_pdf(pdf_identifier=paper.slug.encode("utf-8")[:32] or b"publisher",
                              pdf_variant=archive or access or None,
                              pdf_tags=bool(access or opts.pdf_tags or archive.endswith("a")),
                              finisher=paper_pdf._finisher(xmp))
    if opts.print_ready:
        for number, src, dpi in paper_pdf.low_resolution_images(document, opts.min_dpi):
            if src.startswith("file://"):
                path = Path(unquote(urlsplit(src).path))
                src = next((path.relative_to(r).as_posix() for r in opts.roots if path.is_relative_to(r)), path.name)
            problems.append(Problem(paper.rel_source, None,
                                    f"volume '{paper.slug}': image {src or '(inline)'} is {dpi:.0f} dpi at its "
                                    f"printed size on page {number}",
                                    f"supply at least {opts.min_dpi} dpi for press output", severity="warning"))
    if page_starts is not None:
        from ..editions.pagemap import from_weasyprint

        page_starts.extend(from_weasyprint(document, html.etree_element))
    return data, len(document.pages)


def write(info: VolumeInfo, members: list[Member], path: Path, opts: paper_pdf.PdfOptions) -> tuple[Path, int, list, list]:
    """Write the volume's PDF to PATH atomically; returns (path, pages, page starts, warnings).
    Runs in the isolated child (publisher/isolation.py), so it returns only picklable values."""
    starts: list = []
    warnings: list = []
    data, pages = render(info, members, opts, starts, warnings)
    return atomic_write(path, data), pages, starts, warnings
