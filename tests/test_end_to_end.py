"""End to end with the real tools: the real paper and the sample papers, all three editions."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest
from lxml import html as lxml_html

ROOT = Path(__file__).resolve().parent.parent


def editions(report, slug):
    d = report.out / slug
    return d / "index.html", d / f"{slug}.epub", d / f"{slug}.pdf"


def test_content_builds_three_editions_per_paper_and_a_catalog(built_sites):
    report = built_sites["content"]
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    slugs = sorted(r.slug for r in report.papers if not r.slug.startswith("volumes/"))  # volumes: test_volumes.py
    assert slugs == ["tidal-cooperatives", "water-utility-open-data"]
    for slug in slugs:
        for path in editions(report, slug):
            assert path.is_file() and path.stat().st_size > 1000, path
    catalog = (report.out / "index.html").read_text(encoding="utf-8")
    for slug in slugs:
        for name in ("index.html", f"{slug}.pdf", f"{slug}.epub"):
            assert f'href="{slug}/{name}"' in catalog
    manifest = json.loads((report.out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in manifest["papers"] if p.get("kind") != "volume"] == slugs


def test_every_epub_passes_epubcheck_with_no_errors_or_warnings(epub_reports):
    assert epub_reports, "no EPUB was built"
    bad = [r.describe() for r in epub_reports.values() if not r.ok]
    assert not bad, "\n".join(bad)


def test_real_paper_html_shows_summary_and_quotations_and_no_excerpt_tag(built_sites):
    report = built_sites["corpus"]
    assert not report.failed
    page, _, _ = editions(report, "prisoners-of-assad")
    text = page.read_text(encoding="utf-8")
    assert "<excerpt" not in text
    tree = lxml_html.fromstring(text)
    summary = tree.cssselect(".title-block .summary")[0].text_content()
    assert summary.strip().startswith("This paper is structured in four sections")
    # The summary is shown once, as the standfirst, not repeated as a quotation in the body.
    assert "This paper is structured in four sections" not in tree.cssselect("main")[0].text_content()
    quotes = tree.cssselect("main blockquote")
    assert len(quotes) == 27  # every italic paragraph of the source but the summary
    assert quotes[0].text_content().strip().startswith("The United States is on the horns of a dilemma")
    assert tree.cssselect("main blockquote em") == []  # upright text inside quotations
    # Headings shifted: the source's ### are the top sections (h2) under the title (h1).
    assert [h.text_content().rstrip(" #¶§").strip() for h in tree.cssselect("main h2")][:2] == ["Introduction", "Methodology"]
    assert len(tree.cssselect("h1")) == 1
    about = tree.cssselect(".about-author")[0].text_content()
    assert "About the author" in about and "Senior Research Fellow" in about
    # Table of contents and links to the other editions.
    assert tree.cssselect('nav.toc a[href="#introduction"]')
    assert tree.cssselect('a[href="prisoners-of-assad.pdf"]') and tree.cssselect('a[href="prisoners-of-assad.epub"]')
    assert tree.get("lang") == "en"


def test_real_paper_pdf_fonts_outline_and_metadata(built_sites):
    _, _, pdf_path = editions(built_sites["corpus"], "prisoners-of-assad")
    with pikepdf.open(pdf_path) as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == "Prisoners Of Assad"
        assert str(info["/Author"]) == "Antonio Giustozzi"
        assert "Dialectics" in str(info["/Subject"])
        assert str(info["/CreationDate"]).startswith("D:20250901")
        assert str(pdf.Root.Lang) == "en"
        with pdf.open_outline() as outline:
            titles = [item.title for item in outline.root]
            assert titles[0] == "Prisoners Of Assad"
            flat = []

            def walk(items):
                for it in items:
                    flat.append(it.title)
                    walk(it.children)
            walk(outline.root)
        assert "Introduction" in flat and "Conclusion" in flat and "Coup proofing" in flat
        fonts = {}
        for page in pdf.pages:
            for name, font in (page.Resources.get("/Font") or {}).items():
                fonts[str(font.BaseFont)] = font
        assert fonts
        for name, font in fonts.items():
            desc = font.get("/FontDescriptor") or font.DescendantFonts[0].FontDescriptor
            assert any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"{name} not embedded"
        assert len(pdf.pages) >= 15
        assert float(pdf.pages[0].MediaBox[2]) == pytest.approx(595.28, abs=0.5)  # A4


def test_pdffonts_reports_every_font_embedded(built_sites):
    _, _, pdf_path = editions(built_sites["corpus"], "prisoners-of-assad")
    out = subprocess.run(["pdffonts", str(pdf_path)], capture_output=True, text=True, check=True).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row


def test_real_paper_pdf_text_has_title_page_toc_and_page_numbers(built_sites):
    from pypdf import PdfReader

    _, _, pdf_path = editions(built_sites["corpus"], "prisoners-of-assad")
    reader = PdfReader(pdf_path)
    first = reader.pages[0].extract_text()
    assert "Prisoners Of Assad" in first and "Antonio Giustozzi" in first
    toc_page = next(p.extract_text() for p in reader.pages[1:4] if "Contents" in p.extract_text())
    assert re.search(r"Introduction[ .]*\d+", toc_page)
    body = reader.pages[6].extract_text()
    assert "Prisoners Of Assad" in body or re.search(r"\b7\b", body)


def test_real_paper_epub_structure_and_metadata(built_sites):
    _, epub_path, _ = editions(built_sites["corpus"], "prisoners-of-assad")
    with zipfile.ZipFile(epub_path) as z:
        infos = z.infolist()
        assert infos[0].filename == "mimetype" and infos[0].compress_type == zipfile.ZIP_STORED
        assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
        names = z.namelist()
        assert "EPUB/nav.xhtml" in names and "EPUB/toc.ncx" in names
        chapters = [n for n in names if re.match(r"EPUB/ch\d+\.xhtml", n)]
        assert len(chapters) == 7  # one per top-level section
        opf = z.read("EPUB/content.opf").decode()
        assert "<dc:title id=\"title-main\">Prisoners Of Assad</dc:title>" in opf
        assert re.search(r"<dc:identifier id=\"id\">urn:uuid:[0-9a-f-]{36}</dc:identifier>", opf)
        assert "<dc:date>2025-09-01</dc:date>" in opf
        assert re.search(r'property="dcterms:modified">\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ<', opf)
        assert 'properties="cover-image"' in opf
        title = z.read("EPUB/title.xhtml").decode()
        assert "This paper is structured in four sections" in title
        everything = "".join(z.read(n).decode() for n in names if n.endswith(".xhtml"))
        assert "excerpt" not in everything.lower().replace("excerpt-", "")


def test_cli_build_and_list_on_the_real_paper(corpus_dir, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "build", str(corpus_dir), "-o", str(out),
                           "--format", "html"], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert (out / "prisoners-of-assad" / "index.html").is_file()
    assert not (out / "prisoners-of-assad" / "prisoners-of-assad.pdf").exists()
    assert "1 paper(s) built" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "list", str(corpus_dir), "--json"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 1
    row = rows[0]
    assert row["source"] == "_posts/2025-09-01-prisoners-of-assad.md"
    assert row["slug"] == "prisoners-of-assad"
    assert row["title"] == "Prisoners Of Assad"
    assert row["authors"] == ["Antonio Giustozzi"]
    assert row["url"] == "/2025/09/01/prisoners-of-assad.html"
    assert row["description"].startswith("The Dialectics of Russian and Iranian")
    assert row["excerpt"].startswith("This paper is structured in four sections, with the first")
    assert "  " not in row["excerpt"] and "_" not in row["excerpt"]
    assert row["lang"] == "en" and row["categories"] == [] and row["tags"] == []
    # 2025-09-01 12:00:00 +0800 is 04:00 UTC: same instant, whatever zone it is shown in.
    from datetime import datetime, timezone
    assert datetime.fromisoformat(row["date"]).astimezone(timezone.utc) == datetime(2025, 9, 1, 4, tzinfo=timezone.utc)
    for key in ("source", "slug", "title", "date", "authors", "categories", "tags", "excerpt", "description",
                "url", "lang"):
        assert key in row


def test_cli_usage_errors_exit_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "build", str(tmp_path / "missing")],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "build", str(tmp_path), "--format", "docx"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2 and "docx" in proc.stderr
