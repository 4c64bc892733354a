"""The catalog page (OUT/index.html): every paper newest first, its editions, filters that need no script."""
from __future__ import annotations

import pytest
from lxml import html as lxml_html

from publisher.catalog import facet_id


def catalog(report):
    return lxml_html.fromstring((report.out / "index.html").read_bytes())


def cards(doc):
    return doc.xpath("//main/article[contains(concat(' ', @class, ' '), ' paper-card ')]")


@pytest.mark.parametrize("site", ["content", "webmeta", "corpus"])
def test_every_paper_newest_first_with_its_editions(built_sites, site):
    report = built_sites[site]
    built = [r for r in report.papers if not r.failed and not r.slug.startswith("volumes/")]  # volumes: listed apart
    doc = catalog(report)
    found = cards(doc)
    assert len(found) == len(built) > 0
    dates = [c.xpath("string(.//time/@datetime)") for c in found]
    assert dates == sorted(dates, reverse=True)
    for card in found:
        hrefs = card.xpath(".//ul[@class='editions']//a/@href")
        assert [h.rsplit(".", 1)[-1] for h in hrefs] == ["html", "pdf", "epub"]
        assert all((report.out / h).is_file() for h in hrefs)
        assert card.xpath("string(.//h2)").strip()


def test_card_shows_summary_authors_date_tags_series(built_sites):
    doc = catalog(built_sites["webmeta"])
    (card,) = [c for c in cards(doc) if "Breakwater" in c.xpath("string(.//h2)")]
    assert card.xpath("string(.//*[@class='series'])") == "Lighthouse Notes"
    assert card.xpath("string(.//*[@class='by'])") == "Ada Penrose and Jonas Lindqvist"
    assert card.xpath("string(.//time)") == "3 June 2024"
    assert "fail slowly, then quickly" in card.xpath("string(.//*[@class='card-summary'])")
    assert card.xpath(".//ul[@class='tags']//a/text()") == ["breakwaters", "maintenance", "costs"]
    assert "PDF · " in card.xpath("string(.//ul[@class='editions'])")


def test_filters_are_plain_links_with_targets_and_css(built_sites):
    report = built_sites["webmeta"]
    doc = catalog(report)
    css = doc.xpath("string(//style)")
    links = doc.xpath("//nav[@class='filters']//a/@href")
    assert "#series-lighthouse-field-reports" in links and "#tag-breakwaters" in links
    for href in links:
        assert doc.xpath("//span[@class='filter-target'][@id=$i]", i=href[1:])
        if href != "#all":
            assert f"{href}:target ~ main .paper-card:not(.{href[1:]})" in css
    assert facet_id("tag", "Open Data") == "tag-open-data"
    assert facet_id("tag", "水") .startswith("tag-")


@pytest.mark.parametrize("fragment,expected", [
    ("", {"Tide Gauge Drift in Cold Harbours", "Breakwater Maintenance & the Cost of Delay"}),
    ("#tag-breakwaters", {"Breakwater Maintenance & the Cost of Delay"}),
    ("#series-lighthouse-field-reports", {"Tide Gauge Drift in Cold Harbours"}),
    ("#tag-ice", {"Tide Gauge Drift in Cold Harbours"}),
    ("#all", {"Tide Gauge Drift in Cold Harbours", "Breakwater Maintenance & the Cost of Delay"}),
])
def test_filter_works_in_a_browser_without_javascript(browser, built_sites, fragment, expected):
    ctx = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    try:
        pg = ctx.new_page()
        pg.goto((built_sites["webmeta"].out / "index.html").as_uri() + fragment)
        shown = {h.inner_text().strip() for h in pg.query_selector_all("article.paper-card h2") if h.is_visible()}
        assert shown == expected
        status = [s.inner_text() for s in pg.query_selector_all(".filter-status span") if s.is_visible()]
        assert len(status) == 1
    finally:
        ctx.close()


def test_clicking_a_tag_filters(browser, built_sites):
    ctx = browser.new_context(java_script_enabled=False)
    try:
        pg = ctx.new_page()
        pg.goto((built_sites["webmeta"].out / "index.html").as_uri())
        pg.click("article.paper-card .tags a:text('gauges')")
        visible = [h.inner_text() for h in pg.query_selector_all("article.paper-card h2") if h.is_visible()]
        assert visible == ["Tide Gauge Drift in Cold Harbours"]
    finally:
        ctx.close()


@pytest.mark.parametrize("site,fragment", [("content", ""), ("corpus", ""), ("webmeta", ""),
                                           ("webmeta", "#tag-costs")])
@pytest.mark.parametrize("width,scheme", [(375, "light"), (1280, "dark")])
def test_catalog_has_no_axe_violations(axe_check, built_sites, site, fragment, width, scheme):
    violations = axe_check(built_sites[site].out / "index.html", width, scheme, fragment)
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_catalog_links_feeds(built_sites):
    doc = catalog(built_sites["content"])
    assert doc.xpath("//link[@rel='alternate'][@type='application/atom+xml']/@href") == ["feed.xml"]
    assert doc.xpath("//link[@rel='related']/@type") == ["application/atom+xml;profile=opds-catalog;kind=acquisition"]
    assert doc.xpath("//link[@rel='canonical']/@href") == ["https://papers.example.org/"]
