"""The PDF edition: the paper typeset by WeasyPrint with styles/print.css (`OUT/<slug>/<slug>.pdf`)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .. import __version__
from ..config import PAGE_SIZES
from ..dist import atomic_write
from ..model import Document, Paper
from ..resources import read_style
from .common import author_line, display_date, edition_names, templates, toc_html


@dataclass
class PdfOptions:
    page_size: str = "A4"
    roots: tuple[Path, ...] = ()  # folders the PDF may read (content root)
    network: bool = False
    allowed_hosts: tuple[str, ...] = ()
    timeout: float = 120
    modified: dt.datetime | None = None  # SOURCE_DATE_EPOCH when set


def font_files() -> dict[str, Path]:
    """The bundled text face (Source Serif 4, from the fontpkg wheel)."""
    import fontpkg

    roman = Path(fontpkg.path("Source Serif 4"))
    return {"roman": roman, "italic": roman.with_name(roman.name.replace("SourceSerif4", "SourceSerif4-Italic"))}


def font_css() -> str:
    """@font-face rules for the bundled fonts (variable weight axis)."""
    files = font_files()
    rules = []
    for style, path in (("normal", files["roman"]), ("italic", files["italic"])):
        if path.is_file():
            rules.append(f'@font-face {{ font-family: "Source Serif 4"; src: url("{path.as_uri()}"); '
                         f"font-weight: 200 900; font-style: {style}; }}")
    return "\n".join(rules)


def page_css(page_size: str) -> str:
    """The @page size rule for a named or custom size."""
    return f"@page {{ size: {PAGE_SIZES.get(page_size, page_size)}; }}"


@lru_cache(maxsize=1)
def _font_config():
    import atexit

    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_font_config.cache_clear)  # release fontconfig before the interpreter tears down
    return FontConfiguration()


@lru_cache(maxsize=8)
def _stylesheets(page_size: str):
    """Parsed stylesheets, kept warm for the life of the worker process."""
    from weasyprint import CSS

    fc = _font_config()
    fetcher = _fetcher((font_files()["roman"].parent,), False, ())
    return [CSS(string=font_css(), font_config=fc, url_fetcher=fetcher),
            CSS(string=read_style("print.css"), font_config=fc),
            CSS(string=page_css(page_size), font_config=fc)]


def _fetcher(roots, network, allowed_hosts, timeout=10):
    from ..safety import make_url_fetcher

    return make_url_fetcher(list(roots) + [font_files()["roman"].parent], network, list(allowed_hosts), timeout)


def _w3c(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def print_html(paper: Paper, doc: Document, body_html: str, modified: dt.datetime | None) -> str:
    """The HTML handed to WeasyPrint."""
    keywords = ", ".join(dict.fromkeys(paper.tags + paper.categories))
    return templates().get_template("print.html.j2").render(
        paper=paper, doc=doc, body=body_html, version=__version__, authors=author_line(paper),
        date=display_date(paper.date), toc=toc_html(doc.headings, max_level=3),
        description=paper.description or paper.excerpt, keywords=keywords,
        created=_w3c(paper.date), modified=_w3c(modified or paper.date), size_class="page",
    )


def render_pdf(paper: Paper, doc: Document, body_html: str, opts: PdfOptions) -> tuple[bytes, int]:
    """Typeset the paper; returns (PDF bytes, page count)."""
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    source = print_html(paper, doc, body_html, opts.modified)
    html = HTML(string=source, base_url=paper.source.parent.as_uri() + "/",
                url_fetcher=_fetcher(opts.roots, opts.network, opts.allowed_hosts))
    document = html.render(stylesheets=_stylesheets(opts.page_size), font_config=_font_config())
    data = document.write_pdf(pdf_identifier=paper.slug.encode("utf-8")[:32] or b"publisher")
    return data, len(document.pages)


def write(paper: Paper, doc: Document, out_dir: Path, opts: PdfOptions | None = None,
          body_html: str | None = None) -> tuple[Path, int]:
    """Write `OUT_DIR/<slug>.pdf` atomically; returns (path, number of pages)."""
    opts = opts or PdfOptions()
    data, pages = render_pdf(paper, doc, doc.body_html if body_html is None else body_html, opts)
    return atomic_write(out_dir / edition_names(paper.slug)["pdf"], data), pages
