"""The PDF typesetter's warm-up: WeasyPrint, the fonts, the stylesheets and a short page typeset
once per process, so that the children each PDF is typeset in (and pool workers) start warm."""
from __future__ import annotations

import threading
from pathlib import Path

from .. import isolation
from ..model import Paper
from . import pdf as pdf_edition


def _warm_worker(page_size: str = "A4", lang: str = "en", page: bool = True) -> None:
    """A pool worker's initializer (and the typesetter forked ahead): leave quietly on Ctrl-C, warm up.
    PAGE=False (the typesetter forked ahead, which typesets one paper itself): no warm-up page, which
    would only delay that paper; it pays the first-use costs (below) itself."""
    isolation.quiet_worker()
    _warm_up(page_size, lang, page)


_warmed: set[tuple[str, str]] = set()  # (page size, language) this process has typeset its warm-up page for


def _warm_up(page_size: str = "A4", lang: str = "en", page: bool = True) -> None:
    """Make this process ready to typeset: import WeasyPrint, load the fonts, parse the stylesheets
    and (with PAGE) typeset a short page once, so every paper after it (and the child each PDF is
    typeset in, which inherits this process) finds fonts, the LANG hyphenation dictionary, cffi's
    parsed C types and layout caches warm."""
    pdf_opts = pdf_edition.PdfOptions(page_size=page_size)
    pdf_edition.warm(pdf_opts)
    if (page_size, lang) in _warmed or not page:
        return
    try:
        pdf_edition.render_pdf(*_warm_up_page(lang), pdf_opts)
    except Exception:  # only an optimisation: the real papers report their own problems
        pass
    _warmed.add((page_size, lang))


def _warm_up_page(lang: str = "en"):
    """A short paper, document and body to typeset once per worker: every face of the house style
    (roman, italic, bold, display, mono, small capitals), a note, a table and lines long enough to be
    justified and hyphenated."""
    import datetime as dt

    from ..model import Document, Heading

    paper = Paper(source=Path("warm-up.md").resolve(), rel_source="warm-up.md", slug="warm-up", title="Warm-up",
                  date=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), url="/warm-up.html", body="", lang=lang)
    words = ("Internationalisation, documentation and administrative responsibilities are "
             "characteristically interdependent considerations. ")
    body = ('<section class="level2"><h2 id="warm">Warm-up</h2>'
            f'<p>A <em>short</em> paragraph with <strong>strong</strong> words, <span class="caps">NATO</span>, '
            f'<code>code</code> and a <a href="#warm">link</a>.<span class="footnote">A note.</span> {words * 4}</p>'
            f'<blockquote><p>{words}</p></blockquote>'
            '<table><thead><tr><th>Year</th><th>Count</th></tr></thead><tbody><tr><td>2000</td><td>12</td></tr>'
            '</tbody></table></section>')
    doc = Document(body_html=body, title_html="Warm-up", title_text="Warm-up",
                   headings=[Heading(2, "warm", "Warm-up", "Warm-up")])
    return paper, doc, body


_warming = threading.Event()  # cleared while a warm-up thread runs; typeset_pdf() waits for it
_warming.set()


def warm_in_background(page_size: str, lang: str) -> None:
    """Warm this process up (_warm_up) in a thread: WeasyPrint, fonts, stylesheets, the warm-up page.
    A long-lived process (`serve`) does it once, so the children its later builds fork for their
    PDFs start warm. Forks wait for it (typeset_pdf, build, run)."""
    if (page_size, lang) in _warmed and _warming.is_set():
        return
    _warming.clear()
    threading.Thread(target=_warm_in_background, args=(page_size, lang), daemon=True).start()


def _warm_in_background(page_size: str, lang: str) -> None:
    try:
        _warm_up(page_size, lang)
    except Exception:  # only an optimisation: the PDF step reports its own problems
        pass
    finally:
        _warming.set()

