"""Archive scale (issue 19, docs/scale.md): the catalog, the OPDS catalog and the sitemap split into
pages, the Atom feed limited to the latest papers, `check` on a paginated dist, shard + merge with
pagination. A small site with a lowered page size stands for a large archive (no timings here)."""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from publisher import config, feeds, paging
from publisher.build import BuildOptions, build
from publisher.check import check
from publisher.merge import merge

ROOT = Path(__file__).resolve().parent.parent
A = "{http://www.w3.org/2005/Atom}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OS = "{http://a9.com/-/spec/opensearch/1.1/}"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
N = 8  # papers; with 3 per page: 3 catalog pages, 3 OPDS pages
TAGS = {1: ["ice"], 2: ["ice", "tides"], 3: ["tides"], 4: ["ice"], 5: ["ice", "tides"], 6: [], 7: ["ice"], 8: ["ice"]}
CONFIG = ("title: Scale test archive\nurl: https://archive.example.org\nbaseurl: /papers\nlang: en\n"
          "publisher:\n  formats: [html]\n  papers_per_page: 3\n  feed_limit: 4\n")


def make_site(root: Path, n: int = N, config_text: str = CONFIG) -> Path:
    (root / "_posts").mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(config_text, encoding="utf-8")
    for i in range(1, n + 1):
        series = "series: Harbour Notes\n" if i % 3 == 0 else ""
        (root / "_posts" / f"2024-03-{i:02d}-paper-{i}.md").write_text(
            f"---\ntitle: Archive paper {i}\nauthor: Ada Penrose\ntags: {TAGS.get(i, [])}\n{series}---\n\n"
            f"Paper {i} opens with this summary.\n\n## Findings\n\nText of paper {i}.\n", encoding="utf-8")
    return root


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".publisher" not in p.relative_to(out).parts}


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    base = tmp_path_factory.mktemp("archive")
    site = make_site(base / "site")
    report = build(BuildOptions(source=site, out=base / "out", jobs=1))
    assert not report.failed, [p.message for r in report.papers for p in r.problems]
    return {"site": site, "out": report.out, "report": report, "base": base}


def page(out: Path, rel: str):
    return lxml_html.fromstring((out / rel).read_bytes())


def card_titles(doc) -> list[str]:
    return [h.text_content().strip() for h in doc.xpath("//main/article[contains(@class, 'paper-card')]/h2")]


def walk(out: Path, first: str) -> list[tuple[str, list[str]]]:
    """Follow the rel=next links from FIRST: [(page, its card titles)]."""
    seen, rel = [], first
    while rel:
        doc = page(out, rel)
        seen.append((rel, card_titles(doc)))
        nxt = doc.xpath("//head/link[@rel='next']/@href")
        rel = os.path.normpath(os.path.join(os.path.dirname(rel), nxt[0])) if nxt else ""
        assert len(seen) <= 20
    return seen


def newest_first_titles(n: int = N, tag: str | None = None) -> list[str]:
    return [f"Archive paper {i}" for i in range(n, 0, -1) if tag is None or tag in TAGS.get(i, [])]


def test_catalog_is_split_into_pages_linked_by_prev_and_next(archive):
    out = archive["out"]
    pages = walk(out, "index.html")
    assert [p for p, _ in pages] == ["index.html", "catalog/page-2.html", "catalog/page-3.html"]
    assert [len(t) for _, t in pages] == [3, 3, 2]
    assert sum((t for _, t in pages), []) == newest_first_titles()  # every paper once, newest first
    for n, (rel, _) in enumerate(pages, start=1):
        doc = page(out, rel)
        prev = doc.xpath("//head/link[@rel='prev']/@href")
        assert bool(prev) == (n > 1)
        if prev:
            assert (out / rel).parent.joinpath(prev[0]).resolve() == (out / pages[n - 2][0]).resolve()
        assert f"Page {n} of 3." in doc.xpath("string(//p[@class='count'])")
        assert doc.xpath("//nav[@class='pagination']//span[@aria-current='page']/text()") == [str(n)]
        for href in doc.xpath("//main//a/@href | //nav//a/@href | //head/link/@href"):
            if not href.startswith(("http", "#")):
                assert (out / rel).parent.joinpath(href).resolve().is_file(), (rel, href)


def test_each_tag_and_series_has_its_own_paginated_listing(archive):
    out = archive["out"]
    doc = page(out, "catalog/page-2.html")
    assert not doc.xpath("//span[@class='filter-target']")  # the :target filter cannot reach other pages
    assert ":target ~ main" not in doc.xpath("string(//style)")  # no per-facet rules
    facet_links = doc.xpath("//nav[@class='filters']//a/@href")
    assert "../catalog/tag-ice.html" in facet_links and "../catalog/series-harbour-notes.html" in facet_links
    assert "../index.html" in facet_links
    for tag in ("ice", "tides"):
        listing = walk(out, f"catalog/tag-{tag}.html")
        assert sum((t for _, t in listing), []) == newest_first_titles(tag=tag)
        assert all(len(t) <= 3 for _, t in listing)
        first = page(out, f"catalog/tag-{tag}.html")
        assert first.xpath("//nav[@class='filters']//a[@aria-current='page']/@href") == [f"../catalog/tag-{tag}.html"]
        assert f"tagged “{tag}”" in first.xpath("string(//p[@class='count'])")
    assert [p for p, _ in walk(out, "catalog/tag-ice.html")] == ["catalog/tag-ice.html", "catalog/tag-ice.page-2.html"]
    series = sum((t for _, t in walk(out, "catalog/series-harbour-notes.html")), [])
    assert series == ["Archive paper 6", "Archive paper 3"]
    # a card's tag links lead to the tag's listing
    card = page(out, "index.html").xpath("//article[.//h2[normalize-space()='Archive paper 8']]")[0]
    assert card.xpath(".//ul[@class='tags']//a/@href") == ["catalog/tag-ice.html"]


def test_a_catalog_within_one_page_keeps_the_script_free_filter(tmp_path):
    site = make_site(tmp_path / "site", 3)
    out = build(BuildOptions(source=site, out=tmp_path / "out", jobs=1)).out
    doc = page(out, "index.html")
    assert len(card_titles(doc)) == 3 and not (out / "catalog").exists()
    assert "#tag-ice" in doc.xpath("//nav[@class='filters']//a/@href")
    assert not doc.xpath("//nav[@class='pagination'] | //head/link[@rel='next']")


def test_check_covers_the_catalog_pages(archive, tmp_path):
    import shutil

    results = check(archive["out"], epubcheck=False)
    checked = {r.path for r in results}
    assert {"index.html", "catalog/page-2.html", "catalog/page-3.html", "catalog/tag-ice.html",
            "catalog/tag-ice.page-2.html", "catalog/series-harbour-notes.html"} <= checked
    assert all(r.ok for r in results), [(r.path, r.errors) for r in results if not r.ok]
    broken = tmp_path / "broken"
    shutil.copytree(archive["out"], broken)
    (broken / "catalog" / "page-3.html").unlink()
    bad = {r.path: r.errors for r in check(broken, epubcheck=False) if not r.ok}
    assert "catalog/page-2.html" in bad and any("page-3.html" in e for e in bad["catalog/page-2.html"])


def test_stale_pages_are_removed_when_the_archive_shrinks(tmp_path):
    site = make_site(tmp_path / "site")
    out = build(BuildOptions(source=site, out=tmp_path / "out", jobs=1)).out
    assert (out / "catalog" / "page-3.html").is_file() and (out / "opds-3.xml").is_file()
    (site / "_config.yml").write_text(CONFIG.replace("papers_per_page: 3", "papers_per_page: 7"), encoding="utf-8")
    build(BuildOptions(source=site, out=out, jobs=1))
    assert sorted(p.name for p in (out / "catalog").glob("page-*.html")) == ["page-2.html"]
    assert not (out / "opds-3.xml").exists() and (out / "opds-2.xml").is_file()
    assert not (out / "catalog" / "tag-ice.page-2.html").exists()
    (site / "_config.yml").write_text(CONFIG.replace("papers_per_page: 3", "papers_per_page: 200"), encoding="utf-8")
    build(BuildOptions(source=site, out=out, jobs=1))
    assert not (out / "catalog").exists() and not (out / "opds-2.xml").exists()
    assert len(card_titles(page(out, "index.html"))) == N


def test_atom_feed_carries_the_latest_papers(archive):
    feed = etree.parse(str(archive["out"] / "feed.xml")).getroot()
    titles = [e.findtext(A + "title") for e in feed.findall(A + "entry")]
    assert titles == newest_first_titles()[:4]  # feed_limit: 4
    assert feed.findtext(A + "updated") == max(e.findtext(A + "updated") for e in feed.findall(A + "entry"))
    assert config.PublisherOptions().feed_limit == 50 and config.PublisherOptions().papers_per_page == 200


def test_feed_limit_is_validated(tmp_path):
    from publisher.model import InputError

    site = make_site(tmp_path / "site", 1, CONFIG.replace("feed_limit: 4", "feed_limit: none"))
    with pytest.raises(InputError) as exc:
        config.load(site)
    assert "feed_limit" in exc.value.problem.message and exc.value.problem.line == 8


def test_opds_catalog_is_paginated_with_first_prev_next_last(archive):
    out = archive["out"]
    base = "https://archive.example.org/papers/"
    rel, seen, numbers = "opds.xml", [], []
    while rel:
        feed = etree.parse(str(out / rel)).getroot()
        links = {ln.get("rel"): ln.get("href") for ln in feed.findall(A + "link")}
        assert links["self"] == base + rel and links["first"] == base + "opds.xml"
        assert links["last"] == base + "opds-3.xml"
        assert ("prev" in links) == (rel != "opds.xml")
        for ln in feed.findall(A + "link"):
            if ln.get("rel") in ("first", "prev", "next", "last", "self"):
                assert ln.get("type") == "application/atom+xml;profile=opds-catalog;kind=acquisition"
                assert (out / ln.get("href").removeprefix(base)).is_file()
        seen += [e.findtext(A + "title") for e in feed.findall(A + "entry")]
        numbers.append(len(feed.findall(A + "entry")))
        rel = links.get("next", "").removeprefix(base)
    assert numbers == [3, 3, 2] and seen == newest_first_titles()


def test_opds_search_description(archive):
    out = archive["out"]
    feed = etree.parse(str(out / "opds.xml")).getroot()
    (search,) = feed.findall(A + "link[@rel='search']")
    assert search.get("type") == "application/opensearchdescription+xml"
    assert search.get("href") == "https://archive.example.org/papers/opensearch.xml"
    desc = etree.parse(str(out / "opensearch.xml")).getroot()
    assert desc.tag == OS + "OpenSearchDescription"
    assert len(desc.findtext(OS + "ShortName")) <= 16 and desc.findtext(OS + "Description")
    template = desc.find(OS + "Url").get("template")
    assert "{searchTerms}" in template and "archive.example.org/papers" in template


def test_search_url_from_config_and_none_without_an_address(tmp_path):
    site = make_site(tmp_path / "a", 2, CONFIG + "  search_url: https://search.example.org/?q={searchTerms}\n")
    out = build(BuildOptions(source=site, out=tmp_path / "out-a", jobs=1)).out
    desc = etree.parse(str(out / "opensearch.xml")).getroot()
    assert desc.find(OS + "Url").get("template") == "https://search.example.org/?q={searchTerms}"
    site = make_site(tmp_path / "b", 2, CONFIG.replace("url: https://archive.example.org\n", ""))
    out = build(BuildOptions(source=site, out=tmp_path / "out-b", jobs=1)).out
    assert not (out / "opensearch.xml").exists()
    assert etree.parse(str(out / "opds.xml")).getroot().find(A + "link[@rel='search']") is None


def test_sitemap_splits_into_an_index_past_the_limit(archive, tmp_path, monkeypatch):
    out, site = archive["out"], config.load(archive["site"])
    results = [r for r in archive["report"].papers if not r.failed]
    whole = etree.fromstring(feeds.sitemaps(site, results)[0][1])
    assert whole.tag == SM + "urlset"
    all_locs = [u.findtext(SM + "loc") for u in whole.findall(SM + "url")]
    assert len(all_locs) == N + 1
    monkeypatch.setattr(paging, "SITEMAP_LIMIT", 4)
    target = tmp_path / "dist"
    target.mkdir()
    feeds.write(target, site, results)
    index = etree.parse(str(target / "sitemap.xml")).getroot()
    assert index.tag == SM + "sitemapindex"
    parts = [s.findtext(SM + "loc") for s in index.findall(SM + "sitemap")]
    assert parts == [f"https://archive.example.org/papers/sitemap-{i}.xml" for i in (1, 2, 3)]
    locs = []
    for i, sm in enumerate(index.findall(SM + "sitemap"), start=1):
        urlset = etree.parse(str(target / f"sitemap-{i}.xml")).getroot()
        urls = urlset.findall(SM + "url")
        assert urlset.tag == SM + "urlset" and 1 <= len(urls) <= 4
        assert sm.findtext(SM + "lastmod") == max(u.findtext(SM + "lastmod") for u in urls)
        locs += [u.findtext(SM + "loc") for u in urls]
    assert locs == all_locs
    monkeypatch.setattr(paging, "SITEMAP_LIMIT", 50_000)
    feeds.write(target, site, results)  # back under the limit: one sitemap, the parts removed
    assert etree.parse(str(target / "sitemap.xml")).getroot().tag == SM + "urlset"
    assert not list(target.glob("sitemap-*.xml"))


def test_shards_merged_equal_a_single_paginated_build(archive, tmp_path):
    shards = []
    for k in (1, 2, 3):
        shards.append(build(BuildOptions(source=archive["site"], out=tmp_path / f"shard{k}", jobs=1,
                                         shard=(k, 3))).out)
    merged = tmp_path / "merged"
    merge(shards, merged)
    single = tree(archive["out"])
    assert "catalog/page-3.html" in single and "opds-3.xml" in single
    assert tree(merged) == single


def test_list_json_is_unchanged_by_pagination(archive):
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "publisher"), "list", str(archive["site"]), "--json"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert len([json.loads(line) for line in proc.stdout.splitlines() if line.strip()]) == N


def test_catalog_pages_pass_the_nu_checker(archive):
    out = archive["out"]
    pages = [out / "index.html", out / "catalog" / "page-2.html", out / "catalog" / "tag-ice.page-2.html"]
    if not VNU_JAR.is_file():
        pytest.skip("the Nu HTML Checker is missing: run scripts/npm-deps.sh")
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=300)
    messages = json.loads(proc.stdout or proc.stderr)["messages"]
    assert not [m for m in messages if m.get("type") == "error"], messages


def test_list_reads_the_build_cache_and_gives_the_same_answer(archive, tmp_path):
    import shutil

    site = tmp_path / "site"
    shutil.copytree(archive["site"], site)
    out = build(BuildOptions(source=site, out=tmp_path / "out", jobs=1)).out
    cli = [str(ROOT / ".venv" / "bin" / "publisher"), "list", str(site), "--json"]
    state = sorted((p.name, p.stat().st_mtime_ns) for p in (out / ".publisher").iterdir())
    plain = subprocess.run(cli, capture_output=True, text=True, timeout=120)
    cached = subprocess.run(cli + ["--out", str(out)], capture_output=True, text=True, timeout=120)
    assert plain.returncode == cached.returncode == 0 and plain.stdout == cached.stdout
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (out / ".publisher").iterdir()) == state  # read only
    post = site / "_posts" / "2024-03-05-paper-5.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Archive paper 5", "Archive paper five"),
                    encoding="utf-8")
    os.utime(post, ns=(post.stat().st_atime_ns, post.stat().st_mtime_ns + 10**9))
    again = subprocess.run(cli + ["--out", str(out)], capture_output=True, text=True, timeout=120)
    titles = [json.loads(line)["title"] for line in again.stdout.splitlines()]
    assert "Archive paper five" in titles and "Archive paper 5" not in titles


def test_temporaries_of_an_interrupted_build_are_removed_by_the_next(tmp_path):
    """The next build walks OUT for temporary files only after a build that did not finish (its marker
    is still there): an archive's no-op build does not walk 10,000 folders for nothing."""
    site = make_site(tmp_path / "site", 2)
    out = build(BuildOptions(source=site, out=tmp_path / "out", jobs=1)).out
    marker = out / ".publisher" / "building"
    assert not marker.exists()  # a finished build removes it
    partial = out / "paper-1" / ".index.html.x1y2.part"
    partial.write_bytes(b"half a page")
    marker.touch()  # as a build killed while writing leaves it
    build(BuildOptions(source=site, out=out, jobs=1))
    assert not partial.exists() and not marker.exists()


def test_a_build_or_listing_collects_cycles_less_often_and_restores_the_setting_after():
    """The cycle collector's threshold is raised for a build or a listing (it rescanned everything a
    build keeps, a third of a no-op build at 10,000 papers) and restored after, for serve."""
    import gc

    from publisher.build import fewer_collections, list_papers

    before = gc.get_threshold()
    with fewer_collections():
        assert gc.get_threshold()[0] >= 10 * before[0]
    assert gc.get_threshold() == before
    papers, failed, _ = list_papers(BuildOptions(source=Path(__file__).resolve().parent.parent / "content"))
    assert papers and not failed
    assert gc.get_threshold() == before
