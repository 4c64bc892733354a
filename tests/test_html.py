"""The HTML edition: valid HTML5 (Nu HTML Checker), accessible (axe-core in headless Chromium), discovery
metadata for scholars and social networks, citation files, self-links, self-contained pages."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publisher.build import BuildOptions, build
from publisher.editions.html import human_size

ROOT = Path(__file__).resolve().parent.parent
WEBMETA = ROOT / "tests" / "sites" / "webmeta"


def page(report, slug: str) -> tuple[Path, lxml_html.HtmlElement]:
    path = report.out / slug / "index.html"
    return path, lxml_html.fromstring(path.read_bytes())


def metas(doc, attr: str, name: str) -> list[str]:
    return [m.get("content") for m in doc.xpath(f"//head/meta[@{attr}=$n]", n=name)]


def json_ld(doc) -> dict:
    (script,) = doc.xpath('//script[@type="application/ld+json"]')
    return json.loads(script.text)


# --- validity and accessibility -------------------------------------------------------------------------

def test_every_page_is_valid_html5(vnu_messages, html_pages):
    assert len(html_pages) >= 10  # papers and catalogs of content/, the corpus and the fixture sites
    errors = [f"{path}:{m.get('lastLine')}: {m['message']}" for path, msgs in vnu_messages.items()
              for m in msgs if m["type"] in ("error", "non-document-error")]
    assert not errors, "\n".join(errors[:30])


@pytest.mark.nu
def test_checker_reports_errors_it_finds(tmp_path):
    """The checker wiring is live: a broken page is reported (so a silent pass means valid pages)."""
    import subprocess

    from conftest import VNU_JAR
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html lang=en><title>x</title><p><div></span>", encoding="utf-8")
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert [m for m in json.loads(proc.stdout)["messages"] if m["type"] == "error"]


@pytest.mark.parametrize("site,slug", [("corpus", "prisoners-of-assad"), ("content", "tidal-cooperatives"),
                                       ("content", "water-utility-open-data"), ("webmeta", "breakwater-maintenance")])
@pytest.mark.parametrize("width,scheme", [(375, "dark"), (1280, "light")])
def test_paper_page_has_no_axe_violations(built_sites, axe_check, site, slug, width, scheme):
    violations = axe_check(built_sites[site].out / slug / "index.html", width, scheme)
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


# --- the real paper's discovery metadata ------------------------------------------------------------------

def test_real_paper_citation_metadata(built_sites):
    report = built_sites["corpus"]
    path, doc = page(report, "prisoners-of-assad")
    assert metas(doc, "name", "citation_title") == ["Prisoners Of Assad"]
    assert metas(doc, "name", "citation_author") == ["Antonio Giustozzi"]
    assert metas(doc, "name", "citation_publication_date") == ["2025/09/01"]
    assert metas(doc, "name", "citation_language") == ["en"]
    (pdf_url,) = metas(doc, "name", "citation_pdf_url")
    assert (path.parent / pdf_url).is_file() and pdf_url.endswith(".pdf")  # no site url: relative to the page
    assert metas(doc, "name", "description") == [
        "The Dialectics of Russian and Iranian Interaction with the Assad Regime, 2015-24"]
    assert metas(doc, "name", "DC.title") == ["Prisoners Of Assad"]
    assert metas(doc, "name", "DC.creator") == ["Antonio Giustozzi"]
    assert metas(doc, "name", "DC.date") == ["2025-09-01"]
    assert metas(doc, "property", "og:title") == ["Prisoners Of Assad"]
    assert metas(doc, "property", "og:type") == ["article"]
    assert metas(doc, "property", "og:image") == ["https://i.imgur.com/jPa5Grr.png"]
    assert metas(doc, "name", "twitter:card") == ["summary_large_image"]
    assert metas(doc, "name", "twitter:image") == ["https://i.imgur.com/jPa5Grr.png"]
    data = json_ld(doc)
    assert data["@type"] == "ScholarlyArticle" and data["headline"] == "Prisoners Of Assad"
    assert [a["name"] for a in data["author"]] == ["Antonio Giustozzi"]
    published = dt.datetime.fromisoformat(data["datePublished"])
    assert published == dt.datetime(2025, 9, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert data["image"] == "https://i.imgur.com/jPa5Grr.png"
    assert {e["encodingFormat"] for e in data["encoding"]} == {"application/pdf", "application/epub+zip"}
    assert not doc.xpath('//link[@rel="canonical"]')  # the corpus has no _config.yml, so no site url


def test_real_paper_page_parts(built_sites):
    report = built_sites["corpus"]
    path, doc = page(report, "prisoners-of-assad")
    assert doc.xpath("string(//h1)").strip() == "Prisoners Of Assad"
    assert "structured in four sections" in doc.xpath("string(//*[@class='summary'])")
    # edition links show the real sizes of the files they point to
    links = {a.get("type"): a for a in doc.xpath("//ul[@class='editions']//a")}
    for mime, ext in (("application/pdf", "pdf"), ("application/epub+zip", "epub")):
        a = links[mime]
        assert a.get("href") == f"prisoners-of-assad.{ext}"
        assert human_size((path.parent / a.get("href")).stat().st_size) in a.text_content()
    # the contents list every h2/h3, and every section heading has a working self-link
    toc = {a.get("href") for a in doc.xpath("//nav[@class='toc']//a")}
    heads = doc.xpath("//main//section[@id]/*[self::h2 or self::h3][1]")
    assert len(heads) > 10
    ids = set(doc.xpath("//@id"))
    for h in heads:
        (anchor,) = h.xpath("a[@class='anchor']")
        assert anchor.get("href") == "#" + h.getparent().get("id") and anchor.get("href")[1:] in ids
        assert anchor.get("href") in toc
    assert doc.xpath("//details[@class='cite']//a/@href") == [
        "prisoners-of-assad.bib", "prisoners-of-assad.ris", "prisoners-of-assad.csl.json"]
    # no script is needed to read: the only script is JSON-LD data
    assert [s.get("type") for s in doc.xpath("//script")] == ["application/ld+json"]


def test_real_paper_citation_files(built_sites):
    folder = built_sites["corpus"].out / "prisoners-of-assad"
    bib = (folder / "prisoners-of-assad.bib").read_text(encoding="utf-8")
    assert bib.startswith("@online{giustozzi2025prisoners,")
    assert "author = {Giustozzi, Antonio}" in bib and "title = {{Prisoners Of Assad}}" in bib
    assert bib.count("{") == bib.count("}")
    ris = (folder / "prisoners-of-assad.ris").read_bytes().decode("utf-8")
    lines = ris.split("\r\n")
    assert lines[0] == "TY  - ELEC" and "AU  - Giustozzi, Antonio" in lines and "PY  - 2025" in lines
    assert lines[-2] == "ER  - " and all(re.match(r"^[A-Z][A-Z0-9]  - ", ln) for ln in lines[:-1])
    (item,) = json.loads((folder / "prisoners-of-assad.csl.json").read_text(encoding="utf-8"))
    assert item["title"] == "Prisoners Of Assad" and item["type"] == "article"
    assert item["author"] == [{"family": "Giustozzi", "given": "Antonio"}]
    assert item["issued"] == {"date-parts": [[2025, 9, 1]]}


# --- a site with url, baseurl, series, DOI, two authors, a local cover, footnotes -------------------------

def test_canonical_and_absolute_urls(built_sites):
    report = built_sites["webmeta"]
    path, doc = page(report, "breakwater-maintenance")
    canonical = "https://notes.example.net/research/2024/breakwater-maintenance/"
    assert doc.xpath('//link[@rel="canonical"]/@href') == [canonical]
    assert metas(doc, "property", "og:url") == [canonical]
    assert metas(doc, "name", "citation_author") == ["Ada Penrose", "Jonas Lindqvist"]
    assert metas(doc, "name", "citation_pdf_url") == [
        "https://notes.example.net/research/breakwater-maintenance/breakwater-maintenance.pdf"]
    assert metas(doc, "name", "citation_doi") == ["10.5555/lighthouse.2024.7"]
    assert metas(doc, "name", "citation_technical_report_institution") == ["Lighthouse Trust"]
    assert metas(doc, "property", "og:image") == ["https://notes.example.net/research/assets/beacon.png"]
    assert metas(doc, "property", "og:site_name") == ["Lighthouse Research Notes"]
    assert metas(doc, "property", "article:tag") == ["breakwaters", "maintenance", "costs"]
    data = json_ld(doc)
    assert data["url"] == canonical and data["isPartOf"]["name"] == "Lighthouse Notes"
    assert data["publisher"] == {"@type": "Organization", "name": "Lighthouse Trust"}
    assert data["author"][1] == {"@type": "Person", "name": "Jonas Lindqvist", "url": "https://example.net/jonas"}
    (item,) = json.loads((path.parent / "breakwater-maintenance.csl.json").read_text(encoding="utf-8"))
    assert item["DOI"] == "10.5555/lighthouse.2024.7" and item["URL"] == canonical
    assert item["type"] == "report" and item["collection-title"] == "Lighthouse Notes"
    bib = (path.parent / "breakwater-maintenance.bib").read_text(encoding="utf-8")
    assert bib.startswith("@techreport{penrose2024breakwater,")
    assert r"Breakwater Maintenance \& the Cost of Delay" in bib  # TeX specials escaped
    assert "author = {Penrose, Ada and Lindqvist, Jonas}" in bib
    assert "Penrose, A. and Lindqvist, J. (2024)" in doc.xpath("string(//details[@class='cite']/p)")


def test_notes_have_back_links_and_about_the_authors(built_sites):
    _, doc = page(built_sites["webmeta"], "breakwater-maintenance")
    ids = set(doc.xpath("//@id"))
    refs = doc.xpath("//main//a[contains(concat(' ', @class, ' '), ' footnote-ref ')]")
    backs = doc.xpath("//main//a[contains(concat(' ', @class, ' '), ' footnote-back ')]")
    assert len(refs) == 2 and len(backs) == 2
    for a in refs + backs:
        assert a.get("href", "").lstrip("#") in ids
    assert doc.xpath("string(//section[@class='about-author']/h2)") == "About the authors"


def test_self_contained_page_inlines_images_and_fonts(self_contained_out, built_sites):
    text = (self_contained_out / "breakwater-maintenance" / "index.html").read_text(encoding="utf-8")
    doc = lxml_html.fromstring(text)
    srcs = doc.xpath("//img/@src")
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert '@font-face { font-family: "Source Serif 4"; font-style: normal' in text
    assert "url(data:font/woff2;base64," in text
    assert not doc.xpath("//link[@rel='stylesheet']")
    cite = doc.xpath("//details[@class='cite']//a")
    assert [a.get("download") for a in cite] == ["breakwater-maintenance.bib", "breakwater-maintenance.ris",
                                                 "breakwater-maintenance.csl.json"]
    assert all(a.get("href").startswith("data:application/") for a in cite)
    plain = (built_sites["webmeta"].out / "breakwater-maintenance" / "index.html").read_text(encoding="utf-8")
    assert "data:font/woff2" not in plain and 'src="images/' in plain


def test_self_contained_page_renders_its_image(browser, self_contained_out):
    """Opened alone, from a folder with nothing else in it, the page still shows its picture and face."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        lone = Path(tmp) / "paper.html"
        shutil.copy(self_contained_out / "breakwater-maintenance" / "index.html", lone)
        ctx = browser.new_context()
        try:
            pg = ctx.new_page()
            pg.goto(lone.as_uri())
            assert pg.evaluate("Array.from(document.images).every(i => i.complete && i.naturalWidth > 0)")
            assert pg.evaluate("document.fonts.check('16px \"Source Serif 4\"')")
        finally:
            ctx.close()


def test_html_is_deterministic(built_sites, tmp_path):
    out = tmp_path / "again"
    report = build(BuildOptions(source=WEBMETA, out=out))
    assert not report.failed
    first = built_sites["webmeta"].out
    for rel in ["breakwater-maintenance/index.html", "breakwater-maintenance/breakwater-maintenance.bib",
                "breakwater-maintenance/breakwater-maintenance.ris",
                "breakwater-maintenance/breakwater-maintenance.csl.json", "index.html", "feed.xml", "opds.xml",
                "sitemap.xml"]:
        assert (out / rel).read_bytes() == (first / rel).read_bytes(), rel


def test_the_front_matter_image_is_the_pages_hero(built_sites):
    from lxml import html as lxml_html

    fid = next(p for p in (built_sites["fidelity"].out).glob("*/index.html"))
    hero = lxml_html.fromstring(fid.read_bytes()).cssselect(".title-block figure.hero img")[0]
    assert hero.get("src").startswith("cover.") and (fid.parent / hero.get("src")).is_file()  # copied beside the page
    real = built_sites["corpus"].out / "prisoners-of-assad" / "index.html"
    hero = lxml_html.fromstring(real.read_bytes()).cssselect(".title-block figure.hero img")[0]
    assert hero.get("src") == "https://i.imgur.com/jPa5Grr.png"  # network off: linked as the author wrote it
