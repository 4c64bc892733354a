"""The real academic sites in ../shared/realworld (issue 15, content classes): every post builds, no
Liquid or kramdown syntax is visible in the HTML and EPUB editions (except what the source shows on
purpose inside {% raw %}), `publisher audit` finds nothing, EPUBCheck finds 0 errors and 0 warnings in every
book, the Nu checker no error on any page and Ace no violation in any book.

The sites are built once per session, in all three editions (conftest.realworld_builds); EPUBCheck and
the Nu checker each run once over all of them. The PDF side of the same classes (theme figures reaching
the PDF) is tested on fixtures in test_real_markup.py."""
from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from conftest import REALWORLD, REALWORLD_SITES
from lxml import html as lxml_html

LIQUID = re.compile(r"\{%-?\s*[\w-]+[^%]*?-?%\}|\{\{\s*[\w.]+\s*(?:\|[^}]*)?\}\}")
KRAMDOWN = re.compile(r"\{:\s*[.#\w][^}\n]*\}|\{::\w+")
RAW = re.compile(r"\{%-?\s*raw\s*-?%\}(.*?)\{%-?\s*endraw\s*-?%\}", re.S)
# EPUBCheck errors the raw-HTML clean-up (editions/raw_html.py) prevents.
OWN = re.compile(r'attribute "(?:width|height|on\w+|frameborder|allowfullscreen|scrolling|min-width|max-width|'
                 r'min-height|max-height|align)"|element "(?:source|figcaption|summary|details|strike|tt|font|'
                 r'picture|acronym|big)"')


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(params=REALWORLD_SITES)
def real_site(request, realworld_builds):
    report = realworld_builds[request.param]
    return REALWORLD / request.param, report.out, report


def _visible_texts(out: Path):
    """(slug, where, text outside code) of every HTML page and EPUB chapter."""
    def text(markup: bytes) -> str:
        root = lxml_html.fromstring(markup)
        for el in list(root.iter("style", "script", "annotation", "pre", "code", "math")):
            el.drop_tree()
        return root.text_content()

    for page in sorted(out.glob("*/index.html")):
        yield page.parent.name, "index.html", text(page.read_bytes())
    for epub in sorted(out.glob("*/*.epub")):
        with zipfile.ZipFile(epub) as z:
            for name in z.namelist():
                if name.endswith(".xhtml"):
                    yield epub.parent.name, name, text(z.read(name))


def test_every_post_is_built(real_site):
    src, out, report = real_site
    posts = [p for p in (src / "_posts").iterdir() if p.suffix in (".md", ".markdown", ".html")]
    failed = [f"{r.rel_source}: {[str(p) for p in r.problems if p.severity == 'error']}" for r in report.papers if r.failed]
    assert not failed, failed
    assert len(list(out.glob("*/*.epub"))) >= len(posts) - 2  # future-dated or unpublished posts are skipped
    missing = [f"{r.slug}/{name}" for r in report.papers
               for name in ("index.html", f"{r.slug}.epub", f"{r.slug}.pdf") if not (out / r.slug / name).is_file()]
    assert not missing, missing  # every post in all three editions


def test_the_audit_finds_nothing(real_site):
    """`publisher audit` (issue 15): the three editions of every post agree with each other and with the
    source; what the site itself lacks (its images were left out of ../shared) is a warning, not a finding."""
    from publisher.audit import audit

    _src, out, _report = real_site
    results = audit(out)
    assert results
    findings = [f"{r.slug}: {p}" for r in results for p in r.findings if p.severity == "error"]
    assert not findings, "\n".join(findings)


def test_no_liquid_or_kramdown_syntax_is_visible(real_site):
    src, out, report = real_site
    raws: dict[str, list[str]] = {}
    for r in report.papers:
        source = (src / r.rel_source).read_text(encoding="utf-8", errors="replace")
        raws[r.slug] = [_squash(m.group(1)) for m in RAW.finditer(source)]
    shown = []
    for slug, where, text in _visible_texts(out):
        for m in list(LIQUID.finditer(text)) + list(KRAMDOWN.finditer(text)):
            if any(_squash(m.group(0)) in raw for raw in raws.get(slug, [])):
                continue  # shown on purpose: the source wraps it in {% raw %}
            shown.append(f"{slug}/{where}: {m.group(0)!r}")
    assert not shown, "\n".join(shown[:40])


def _epubcheck(out: Path, reports: dict) -> list:
    """The EPUBCheck reports of the books under OUT (one per book)."""
    epubs = sorted(out.glob("*/*.epub"))
    assert epubs and all(p in reports for p in epubs)
    return [reports[p] for p in epubs]


def test_epubcheck_finds_no_invalid_raw_html(real_site, realworld_epub_reports):
    _src, out, _report = real_site
    reports = _epubcheck(out, realworld_epub_reports)
    own = [f"{r.path.name}: {line.strip()}" for r in reports for line in r.describe().splitlines()
           if "RSC-005" in line and OWN.search(line)]
    assert not own, "\n".join(own[:40])


def test_every_epub_passes_epubcheck(real_site, realworld_epub_reports):
    """0 errors and 0 warnings in every book: ids, fragments and raw HTML are made valid (anchors.py …)."""
    _src, out, _report = real_site
    reports = _epubcheck(out, realworld_epub_reports)
    bad = [r.describe() for r in reports if not r.ok]
    assert not bad, "\n".join(bad[:20])


def test_every_page_passes_the_nu_checker(real_site, realworld_vnu_messages):
    """No Nu error on any page (papers and catalog); the checker's warnings are not counted."""
    _src, out, _report = real_site
    pages = {p: ms for p, ms in realworld_vnu_messages.items() if p.is_relative_to(out)}
    assert pages and len(pages) >= len(list(out.glob("*/index.html")))
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}"
              for ms in pages.values() for m in ms if m["type"] == "error"]
    assert not errors, "\n".join(errors[:40])


@pytest.fixture(scope="module")
def realworld_ace(realworld_builds, tmp_path_factory) -> dict:
    """Ace by DAISY on every book of every site: two node processes, one Chromium each (test_epub.ace_books)."""
    from test_epub import ace_books

    books = sorted(p for name in REALWORLD_SITES for p in realworld_builds[name].out.glob("*/*.epub"))
    return ace_books(books, tmp_path_factory.mktemp("realworld-ace"))


@pytest.mark.ace
def test_ace_finds_no_violation_in_any_book(real_site, realworld_ace):
    """0 violations in every book (the adaptations in publisher/editions/epub_a11y.py)."""
    _src, out, _report = real_site
    found = {book.parent.name: failures for book, failures in realworld_ace.items() if book.is_relative_to(out)}
    assert len(found) == len(list(out.glob("*/*.epub"))) > 0
    bad = {slug: failures for slug, failures in found.items() if failures}
    assert not bad, bad
