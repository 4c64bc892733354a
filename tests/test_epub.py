"""The EPUB edition: package metadata, navigation (every heading, landmarks, page-list tied to the PDF),
accessibility (Ace by DAISY for real), covers, fonts, alt-text warnings, reproducibility, rendering
at phone and tablet widths, and conversion with Calibre."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from publisher.build import BuildOptions, build
from publisher.editions import epub as epub_edition
from publisher.model import Asset, Document, Paper

ROOT = Path(__file__).resolve().parent.parent
ACE = ROOT / "tools" / "ace" / "node_modules" / ".bin" / "ace-cli"
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def _epub(report, slug) -> Path:
    return report.out / slug / f"{slug}.epub"


def _read(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _opf(files) -> etree._Element:
    return etree.fromstring(files["EPUB/content.opf"])


def _meta(opf, prop) -> list[str]:
    return [m.text for m in opf.iterfind(f".//opf:meta[@property='{prop}']", NS)]


@pytest.fixture(scope="module")
def real(built_sites):
    return _read(_epub(built_sites["corpus"], "prisoners-of-assad"))


@pytest.fixture(scope="module")
def ledgers(built_sites):
    return _read(_epub(built_sites["epub-metadata"], "lighthouse-ledgers"))


def test_real_paper_package_metadata(real):
    opf = _opf(real)
    assert opf.get("version") == "3.0" and opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    ident = opf.find(".//dc:identifier", NS).text
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", ident)
    assert opf.find(".//dc:language", NS).text == "en"
    assert opf.find(".//dc:date", NS).text == "2025-09-01"
    assert _meta(opf, "dcterms:modified") == ["2026-01-01T00:00:00Z"]  # SOURCE_DATE_EPOCH (conftest)
    creator = opf.find(".//dc:creator", NS)
    assert creator.text == "Antonio Giustozzi"
    cid = "#" + creator.get("id")
    assert opf.find(f".//opf:meta[@refines='{cid}'][@property='role']", NS).text == "aut"
    assert opf.find(f".//opf:meta[@refines='{cid}'][@property='file-as']", NS).text == "Giustozzi, Antonio"
    assert opf.find(".//opf:meta[@refines='#title-main'][@property='title-type']", NS).text == "main"
    assert opf.find(".//dc:description", NS).text.startswith("The Dialectics of Russian")


def test_real_paper_accessibility_metadata(real):
    opf = _opf(real)
    assert _meta(opf, "schema:accessMode") == ["textual"]
    assert _meta(opf, "schema:accessModeSufficient") == ["textual"]
    features = _meta(opf, "schema:accessibilityFeature")
    for f in ("structuralNavigation", "tableOfContents", "readingOrder", "printPageNumbers", "pageBreakMarkers"):
        assert f in features
    assert "MathML" not in features and "alternativeText" not in features  # no math, no images: not claimed
    assert _meta(opf, "schema:accessibilityHazard") == ["none"]
    assert "page numbers of the PDF edition" in _meta(opf, "schema:accessibilitySummary")[0]
    assert _meta(opf, "dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert _meta(opf, "pageBreakSource") == [opf.find(".//dc:source", NS).text]
    assert "prisoners-of-assad.pdf" in _meta(opf, "pageBreakSource")[0]


def test_every_content_document_declares_its_language(real, ledgers):
    for files, lang in ((real, "en"), (ledgers, "en-GB")):
        docs = [n for n in files if n.endswith(".xhtml")]
        assert len(docs) >= 6
        for name in docs:
            root = etree.fromstring(files[name])
            assert root.get("lang") == lang and root.get("{http://www.w3.org/XML/1998/namespace}lang") == lang, name


def test_nav_lists_every_heading_at_every_level(real):
    nav = etree.fromstring(real["EPUB/nav.xhtml"])
    toc = nav.find(".//x:nav[@role='doc-toc']", NS)
    assert toc.get(EPUB_TYPE) == "toc"
    top = [_label(li) for li in toc.findall("x:ol/x:li", NS)]
    assert top[:3] == ["Introduction", "Methodology", "Syrian views about Iran and Russia"]
    assert top[-2:] == ["Conclusion", "About the author"]
    nested = [_label(li) for li in toc.findall("x:ol/x:li/x:ol/x:li", NS)]
    assert "Coup proofing" in nested and "Economic assets" in nested
    # Every heading of every chapter is in the nav, and every nav link points at an existing id.
    headings = []
    for name, data in sorted(real.items()):
        if re.match(r"EPUB/(ch\d+|about)\.xhtml", name):
            doc = etree.fromstring(data)
            headings += ["".join(h.itertext()).strip() for h in doc.iter(*[f"{{{NS['x']}}}h{i}" for i in range(2, 7)])]
    labels = ["".join(a.itertext()) for a in toc.iter(f"{{{NS['x']}}}a")]
    assert len(labels) == len(headings) == 21 and set(labels) == set(headings)
    _assert_targets_exist(real, [a.get("href") for a in toc.iter(f"{{{NS['x']}}}a")])


def test_nav_nests_deep_headings_and_ncx_mirrors_it(ledgers):
    nav = etree.fromstring(ledgers["EPUB/nav.xhtml"])
    deepest = nav.find(".//x:nav[@role='doc-toc']/x:ol/x:li/x:ol/x:li/x:ol/x:li/x:ol/x:li/x:a", NS)
    assert deepest is not None and deepest.text == "A note on dating"  # h5, four levels down
    ncx = etree.fromstring(ledgers["EPUB/toc.ncx"])
    assert ncx.find(".//ncx:meta[@name='dtb:depth']", NS).get("content") == "4"
    labels = [t.text for t in ncx.iterfind(".//ncx:navMap//ncx:navLabel/ncx:text", NS)]
    nav_labels = [a.text for a in nav.find(".//x:nav[@role='doc-toc']", NS).iter(f"{{{NS['x']}}}a")]
    assert labels == nav_labels


def test_landmarks_name_cover_title_page_start_of_text_and_notes(real, ledgers):
    for files, notes in ((real, False), (ledgers, True)):
        nav = etree.fromstring(files["EPUB/nav.xhtml"])
        marks = {a.get(EPUB_TYPE): a.get("href") for a in nav.find(".//x:nav[@id='landmarks']", NS).iter(f"{{{NS['x']}}}a")}
        assert marks["cover"] == "cover.xhtml" and marks["titlepage"] == "title.xhtml"
        assert marks["bodymatter"].startswith("ch0") and marks["toc"] == "nav.xhtml#toc"
        assert ("endnotes" in marks) is notes
        if notes:
            assert marks["endnotes"] == "notes.xhtml"


def test_page_list_matches_the_pdf_pages(real, built_sites):
    """Each marker sits where that page of the PDF edition begins: the words after the marker are the
    first words of the page's text (pdftotext), give or take a hyphenated word."""
    nav = etree.fromstring(real["EPUB/nav.xhtml"])
    plist = nav.find(".//x:nav[@role='doc-pagelist']", NS)
    assert plist.get(EPUB_TYPE) == "page-list"
    entries = [(a.text, a.get("href")) for a in plist.iter(f"{{{NS['x']}}}a")]
    labels = [int(label) for label, _ in entries]
    assert labels == sorted(labels) and labels[0] == 1 and len(labels) >= 18
    _assert_targets_exist(real, [href for _, href in entries])
    ncx = etree.fromstring(real["EPUB/toc.ncx"])
    targets = [(t.get("value"), t.find("ncx:content", NS).get("src")) for t in ncx.iterfind(".//ncx:pageTarget", NS)]
    assert targets == entries
    pdf = _epub(built_sites["corpus"], "prisoners-of-assad").with_suffix(".pdf")
    checked = 0
    for label, href in entries:
        name, ident = href.split("#")
        words = _words_after_marker(real[f"EPUB/{name}"], ident)
        page = subprocess.run(["pdftotext", "-f", label, "-l", label, str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        page_words = re.sub(r"\s+", " ", page).split()
        if not words or label == "1":
            continue
        # pdftotext gives the running head and folio first, then the page's text. The word after the
        # marker may start on the previous page (hyphenated): the page then shows only its end.
        clean = [w.strip("“”‘’\"'.,;:()") for w in page_words[:16]]
        first, second = (w.strip("“”‘’\"'.,;:()") for w in words[:2])
        assert any(clean[i] == second and first.endswith(clean[i - 1]) for i in range(1, len(clean))), \
            (label, words[:5], page_words[:16])
        checked += 1
    assert checked >= 15


def _words_after_marker(data: bytes, ident: str) -> list[str]:
    text = data.decode("utf-8")
    at = text.index(f'id="{ident}"')
    after = re.sub(r"<[^>]+>", " ", text[at:].split(">", 1)[1])
    return after.split()[:8]


def _label(li) -> str:
    return "".join(li.find("x:a", NS).itertext())


def _assert_targets_exist(files, hrefs):
    for href in hrefs:
        name, _, ident = href.partition("#")
        data = files[f"EPUB/{name}"].decode("utf-8")
        assert not ident or f'id="{ident}"' in data, href


def test_pagebreak_markers_are_labelled_and_never_inside_headings(real):
    count = 0
    for name, data in real.items():
        if not name.endswith(".xhtml"):
            continue
        doc = etree.fromstring(data)
        for span in doc.iter(f"{{{NS['x']}}}span"):
            if span.get(EPUB_TYPE) == "pagebreak":
                count += 1
                assert span.get("role") == "doc-pagebreak" and span.get("aria-label") == span.get("id")[5:]
                assert not len(span) and not span.text
                parent = etree.QName(span.getparent()).localname
                assert parent not in ("h1", "h2", "h3", "h4", "h5", "h6", "ol", "ul", "table"), name
    assert count >= 18


def test_front_matter_metadata_subtitle_contributors_series_doi_and_fonts(ledgers):
    opf = _opf(ledgers)
    assert opf.find(".//dc:identifier", NS).text == "doi:10.5555/harbour.2025.004"
    titles = {t.get("id"): t.text for t in opf.iterfind(".//dc:title", NS)}
    assert titles == {"title-main": "Lighthouse Ledgers", "subtitle": "Keeping Watch Records on a Small Island, 1890–1910"}
    assert opf.find(".//opf:meta[@refines='#subtitle'][@property='title-type']", NS).text == "subtitle"
    people = {el.text: el for el in list(opf.iterfind(".//dc:creator", NS)) + list(opf.iterfind(".//dc:contributor", NS))}

    def refine(el, prop):
        return opf.find(f".//opf:meta[@refines='#{el.get('id')}'][@property='{prop}']", NS).text
    assert [refine(people[n], "role") for n in ("Maren Holt", "Tomas Ferreira", "Kofi Mensah", "Ines Valdez")] == \
        ["aut", "aut", "edt", "trl"]
    assert refine(people["Tomas Ferreira"], "file-as") == "Ferreira, Tomas"
    assert etree.QName(people["Ines Valdez"]).localname == "contributor"
    assert [s.text for s in opf.iterfind(".//dc:subject", NS)] == ["lighthouses", "archives", "maritime history"]
    assert opf.find(".//dc:publisher", NS).text == "Harbour Notes Press"
    assert opf.find(".//dc:rights", NS).text == "CC BY 4.0"
    assert _meta(opf, "belongs-to-collection") == ["Coastal Working Papers"]
    assert opf.find(".//opf:meta[@refines='#series'][@property='group-position']", NS).text == "4"
    # publisher.epub_embed_fonts: a WOFF2 subset of Source Serif 4, referenced by the stylesheet.
    fonts = [n for n in ledgers if n.startswith("EPUB/fonts/")]
    assert sorted(fonts) == ["EPUB/fonts/SourceSerif4-Italic.woff2", "EPUB/fonts/SourceSerif4-Roman.woff2"]
    assert all(ledgers[f][:4] == b"wOF2" and len(ledgers[f]) < 400_000 for f in fonts)
    css = ledgers["EPUB/style.css"].decode()
    assert 'src: url("fonts/SourceSerif4-Roman.woff2")' in css
    title = ledgers["EPUB/title.xhtml"].decode()
    assert "Translated by Ines Valdez" in title and "Edited by Kofi Mensah" in title


def test_stylesheet_is_made_for_e_readers():
    css = (ROOT / "styles" / "epub.css").read_text(encoding="utf-8")
    fidelity = css.split("/* ---- content fidelity (issue 4) ---- */")[0]
    body = re.sub(r"/\*.*?\*/", "", fidelity, flags=re.S)
    assert not re.search(r"\d(px|pt|cm|mm|in)\b", body), "absolute units in epub.css"
    assert not re.search(r"(^|[;{\s])(width|height)\s*:\s*\d", body), "fixed width or height in epub.css"
    assert not re.search(r"body\s*{[^}]*font-(size|family)", body)
    assert "hyphens: auto" in body and "prefers-color-scheme: dark" in body
    assert not re.search(r"(^|[;{\s])color\s*:\s*#", re.sub(r"@media[^{]*{(?:[^{}]*{[^}]*})*[^}]*}", "", body)), \
        "text colour outside the dark-theme block: readers' themes must win"


@pytest.mark.slow
def test_same_input_gives_byte_identical_epub(built_sites, tmp_path):
    out = tmp_path / "again"
    report = build(BuildOptions(source=ROOT / "tests" / "sites" / "epub-metadata", out=out))
    assert not report.failed
    first = _epub(built_sites["epub-metadata"], "lighthouse-ledgers").read_bytes()
    second = _epub(report, "lighthouse-ledgers").read_bytes()
    assert first == second
    with zipfile.ZipFile(_epub(report, "lighthouse-ledgers")) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}


def _paper(tmp_path, **kw) -> Paper:
    import datetime as dt

    post = tmp_path / "post.md"
    post.write_text("x", encoding="utf-8")
    return Paper(source=post, rel_source="_posts/post.md", slug="s", title="Tide Tables",
                 date=dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc), url="/2024/05/01/s.html", body="", **kw)


def test_missing_alt_text_is_a_warning_naming_file_and_image(tmp_path):
    paper = _paper(tmp_path)
    body = ('<section id="a" class="level2"><h2>Charts</h2><p>Text.</p>'
            '<p><img src="images/chart-1.png"></p><p><img src="images/chart-2.png" alt="Monthly tide heights"></p>'
            '</section>')
    opts = epub_edition.EpubOptions()
    data = epub_edition.build(paper, Document(body_html=body, title_html="Tide Tables", title_text="Tide Tables"), opts)
    msgs = [str(p) for p in opts.warnings]
    assert len(msgs) == 1 and "images/chart-1.png" in msgs[0] and "ch01.xhtml" in msgs[0] and "alt text" in msgs[0]
    assert msgs[0].startswith("_posts/post.md")
    opf = _opf(_read_bytes(data))
    assert "alternativeText" not in _meta(opf, "schema:accessibilityFeature")
    assert _meta(opf, "schema:accessMode") == ["textual", "visual"]
    assert _meta(opf, "schema:accessModeSufficient") == ["textual,visual"]
    assert not _meta(opf, "dcterms:conformsTo")  # not claimed while an image has no text alternative


def test_front_matter_cover_image_is_used_and_generated_cover_otherwise(tmp_path):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (60, 90), (10, 80, 160)).save(buf, format="JPEG")
    doc = Document(body_html="<p>Body.</p>", title_html="Tide Tables", title_text="Tide Tables")
    doc.cover = Asset(src="/assets/cover.jpg", data=buf.getvalue(), media_type="image/jpeg", name="images/c.jpg")
    files = _read_bytes(epub_edition.build(_paper(tmp_path), doc))
    assert files["EPUB/cover.jpg"] == buf.getvalue()
    assert b'properties="cover-image"' in files["EPUB/content.opf"] and b'media-type="image/jpeg"' in files["EPUB/content.opf"]
    generated = _read_bytes(epub_edition.build(_paper(tmp_path), Document(body_html="<p>Body.</p>", title_html="T",
                                                                           title_text="Tide Tables")))
    img = Image.open(io.BytesIO(generated["EPUB/cover.png"]))
    assert img.size == (1600, 2400)
    cover_page = generated["EPUB/cover.xhtml"].decode()
    assert 'alt="Cover: Tide Tables"' in cover_page and 'epub:type="cover"' in cover_page


def _read_bytes(data: bytes) -> dict[str, bytes]:
    import io

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist()}


def test_identifier_forms():
    import datetime as dt

    def ident(value):
        p = Paper(source=Path("x.md"), rel_source="x.md", slug="s", title="T", date=dt.datetime(2024, 1, 1),
                  url="/s.html", body="", identifier=value)
        return epub_edition.identifier(p, "https://example.org")
    assert ident("https://doi.org/10.1234/abc") == "doi:10.1234/abc"
    assert ident("978-3-16-148410-0") == "urn:isbn:9783161484100"
    assert ident("") == ident("") and ident("").startswith("urn:uuid:")
    assert ident("") != epub_edition.identifier(Paper(source=Path("x.md"), rel_source="x.md", slug="s", title="T",
                                                      date=dt.datetime(2024, 1, 1), url="/other.html", body=""),
                                                "https://example.org")


ACE_MANY = ROOT / "tools" / "ace" / "ace-many.js"


def _ace_env() -> dict:
    assert ACE.is_file(), "Ace is missing: run `bash scripts/npm-deps.sh` (npm ci in tools/ace)"
    return dict(os.environ, PUPPETEER_EXECUTABLE_PATH=shutil.which("chromium") or "/usr/bin/chromium")


def _ace_failures(report: dict) -> list[tuple[str, str]]:
    """[(file, rule)] of every violation in an Ace report."""
    return [(a["earl:testSubject"]["url"], b["earl:test"]["dct:title"])
            for a in report["assertions"] for b in a.get("assertions", [])
            if b["earl:result"]["earl:outcome"] == "fail"]


def ace(book: Path, out: Path) -> tuple[int, list, dict]:
    """Run Ace by DAISY on BOOK: (exit status, [(file, rule)] violations, report)."""
    proc = subprocess.run([str(ACE), "-E", "-f", "-s", "-o", str(out), str(book)],
                          capture_output=True, text=True, timeout=300, env=_ace_env())
    assert (out / "report.json").is_file(), proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return proc.returncode, _ace_failures(report), report


def ace_books(books: list[Path], out: Path, processes: int = 2) -> dict[Path, list[tuple[str, str]]]:
    """Ace on many BOOKS: PROCESSES node processes (tools/ace/ace-many.js), each with one Chromium for
    its share of the books, instead of one ace-cli (node + Chromium) per book. book → violations."""
    shares = [books[i::processes] for i in range(processes) if books[i::processes]]
    procs = [subprocess.Popen(["node", str(ACE_MANY), str(out / str(n)), *map(str, share)], env=_ace_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
             for n, share in enumerate(shares)]
    found = {}
    for n, (share, proc) in enumerate(zip(shares, procs)):
        log = proc.communicate(timeout=600 + 60 * len(share))[0]
        for i, book in enumerate(share):
            report = out / str(n) / str(i) / "report.json"
            assert report.is_file(), f"Ace wrote no report for {book}:\n{log[-2000:]}"
            found[book] = _ace_failures(json.loads(report.read_text(encoding="utf-8")))
    return found


@pytest.mark.parametrize("site,slug", [("corpus", "prisoners-of-assad"), ("epub-metadata", "lighthouse-ledgers")])
@pytest.mark.ace
def test_ace_by_daisy_reports_no_violations(built_sites, tmp_path, site, slug):
    status, failures, report = ace(_epub(built_sites[site], slug), tmp_path / "ace")
    assert status == 0 and not failures, (status, failures)
    # Ace read the metadata we meant it to read.
    present = report["a11y-metadata"]["present"]
    assert "schema:accessibilitySummary" in present and "schema:accessibilityFeature" in present


@pytest.mark.java
def test_a_paper_without_headings_still_gets_contents_and_passes_epubcheck(tmp_site, tmp_path):
    from publisher.validate import epubcheck

    root = tmp_site({"_posts/2024-03-01-short-note.md": "---\ntitle: A Short Note\n---\n\nOne paragraph, no heading.\n"})
    report = build(BuildOptions(source=root, out=tmp_path / "out", formats=["epub"]))
    assert not report.failed
    book = _epub(report, "short-note")
    files = _read(book)
    nav = etree.fromstring(files["EPUB/nav.xhtml"])
    links = [a.get("href") for a in nav.find(".//x:nav[@role='doc-toc']", NS).iter(f"{{{NS['x']}}}a")]
    assert links == ["ch00.xhtml"]
    assert not nav.findall(".//x:nav[@role='doc-pagelist']", NS)  # no PDF in this run: no page-list claimed
    assert "printPageNumbers" not in _meta(_opf(files), "schema:accessibilityFeature")
    [check] = epubcheck([book])
    assert check.ok, check.describe()


def test_chapters_fit_phone_and_tablet_widths(built_sites, tmp_path, browser):
    """No chapter scrolls sideways at 375 px or 768 px, and body text keeps a readable size."""
    folder = tmp_path / "book"
    with zipfile.ZipFile(_epub(built_sites["corpus"], "prisoners-of-assad")) as z:
        z.extractall(folder)
    docs = sorted((folder / "EPUB").glob("*.xhtml"))
    assert len(docs) >= 11
    for width in (375, 768):
        page = browser.new_page(viewport={"width": width, "height": 800})
        try:
            for doc in docs:
                page.goto(doc.as_uri())
                scroll, client = page.evaluate(
                    "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                assert scroll <= client, (doc.name, width, scroll, client)
                size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('p') || "
                                     "document.body).fontSize)")
                assert size >= 14, (doc.name, width, size)
        finally:
            page.close()


@pytest.mark.skipif(shutil.which("ebook-convert") is None,
                    reason="Calibre is not installed (optional; `apt-get install calibre`)")
def test_calibre_converts_the_real_paper_to_azw3(built_sites, tmp_path):
    out = tmp_path / "book.azw3"
    env = dict(os.environ, QTWEBENGINE_CHROMIUM_FLAGS="--no-sandbox", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(["ebook-convert", str(_epub(built_sites["corpus"], "prisoners-of-assad")), str(out)],
                          capture_output=True, text=True, timeout=300, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert out.stat().st_size > 20_000
    meta = subprocess.run(["ebook-meta", str(out)], capture_output=True, text=True, timeout=120, env=env).stdout
    assert "Prisoners Of Assad" in meta and "Antonio Giustozzi" in meta


def test_highlighting_colours_are_darkened_to_meet_wcag_contrast():
    from publisher.editions.epub_a11y import _luminance, readable_colours

    css = "code span.co { color: #60a0b0; font-style: italic; } pre { background-color: #f8f8f8; color: #aaa; }"
    out = readable_colours(css)
    colours = re.findall(r"(?<![-\w])color:\s*#([0-9a-f]{6})", out)
    assert len(colours) == 2 and "background-color: #f8f8f8" in out
    for value in colours:
        rgb = tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))
        assert 1.05 / (_luminance(rgb) + 0.05) >= 4.5, value
    assert readable_colours("a { color: #000000 }") == "a { color: #000000 }"
