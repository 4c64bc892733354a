"""Volumes (issue 17): many papers as one book. The demo content's volume and tiny fixture sites are
built with the real tools; the PDF is read back with pdftotext and pikepdf, the EPUB is checked by
EPUBCheck, the pages by the Nu HTML Checker."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from publisher.build import BuildOptions, build
from publisher.model import InputError, Paper
from publisher.validate import epubcheck
from publisher.volumes import from_command_line, members, parse_config

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEMO = "working-papers-2024-25"
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
NAV = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}


def page_text(pdf: Path, n: int) -> str:
    """The text of page N of PDF, as pdftotext lays it out."""
    return subprocess.run(["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True,
                          timeout=60, check=True).stdout.decode("utf-8")


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2010", "-")).strip()


def outline(pdf: Path) -> list[tuple[str, list[str]]]:
    """(title, [child titles]) of the PDF outline's top level."""
    import pikepdf

    with pikepdf.open(pdf) as doc, doc.open_outline() as o:
        return [(item.title, [c.title for c in item.children]) for item in o.root]


# ---- the volume declaration and the selection -------------------------------------------------------

def _paper(slug, day, categories=(), tags=(), series="", title=None):
    return Paper(source=Path(f"/x/{slug}.md"), rel_source=f"_posts/{slug}.md", slug=slug, title=title or slug.title(),
                 date=dt.datetime.fromisoformat(day + "T12:00:00+00:00"), url=f"/{slug}/", body="",
                 categories=list(categories), tags=list(tags), series=series)


def test_selection_by_category_tag_series_and_dates_in_date_order():
    papers = [_paper("c", "2025-06-01", ["policy"]), _paper("a", "2025-01-10", ["policy"], ["water"]),
              _paper("b", "2024-12-31", ["policy"]), _paper("d", "2025-03-01", ["energy"], series="S")]
    (v,) = parse_config([{"slug": "v", "title": "V", "select": {"category": "policy", "from": "2025-01-01"}}],
                        "_config.yml", 3)
    assert [p.slug for p in members(v, papers)[0]] == ["a", "c"]
    (v,) = parse_config([{"title": "By tag", "select": {"tag": "water"}}], "_config.yml", 3)
    assert v.slug == "by-tag" and [p.slug for p in members(v, papers)[0]] == ["a"]
    (v,) = parse_config([{"slug": "s", "title": "S", "select": {"series": "S"}}], "_config.yml", 3)
    assert [p.slug for p in members(v, papers)[0]] == ["d"]
    (v,) = parse_config([{"slug": "t", "title": "T", "select": {"category": "policy"}, "order": "title"}], "c.yml", 1)
    assert [p.slug for p in members(v, papers)[0]] == ["a", "b", "c"]


def test_explicit_list_keeps_its_order_and_warns_about_unknown_slugs():
    papers = [_paper("a", "2025-01-10"), _paper("b", "2024-12-31")]
    (v,) = parse_config([{"slug": "v", "title": "V", "papers": ["b", "nope", "a"]}], "_config.yml", 7)
    chosen, problems = members(v, papers)
    assert [p.slug for p in chosen] == ["b", "a"]
    assert len(problems) == 1 and "'nope'" in str(problems[0]) and str(problems[0]).startswith("_config.yml:7: warning")


@pytest.mark.parametrize("entry,message", [
    ({"slug": "v", "title": "V"}, "selects no papers"),
    ({"slug": "v", "title": "V", "select": {"categroy": "x"}}, "unknown volume selection 'categroy'"),
    ({"slug": "v", "title": "V", "papers": ["a"], "ordr": "date"}, "unknown volume key 'ordr'"),
    ({"slug": "V W", "title": "V", "papers": ["a"]}, "is not a file name"),
    ({"slug": "v", "title": "V", "select": {"from": "2025-13-01"}}, "is not a date"),
    ({"slug": "v", "title": "V", "papers": ["a"], "order": "random"}, "unknown volume order"),
    ({"slug": "v", "title": "V", "papers": ["a"], "bibliography": "both"}, "unknown volume bibliography 'both'"),
])
def test_bad_volume_declarations_name_the_file_and_line(entry, message):
    with pytest.raises(InputError) as err:
        parse_config([entry], "_config.yml", 12)
    assert message in err.value.problem.message and err.value.problem.line == 12


def test_bad_volume_in_the_config_is_a_configuration_error(tmp_site):
    from publisher import config

    root = tmp_site({"_posts/2025-01-01-a.md": "---\ntitle: A\n---\nText.\n"},
                    "title: S\npublisher:\n  volumes:\n    - slug: v\n      title: V\n      select: {tag: x, colour: red}\n")
    with pytest.raises(InputError) as err:
        config.load(root)
    assert "unknown volume selection 'colour'" in str(err.value)


def test_command_line_volume():
    v = from_command_line("category=policy, from=2025-01-01", "Policy Papers 2025")
    assert (v.slug, v.title, v.select) == ("policy-papers-2025", "Policy Papers 2025",
                                           {"category": "policy", "from": "2025-01-01"})
    with pytest.raises(InputError):
        from_command_line("colour=red", None)


# ---- the demo content's volume ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("out-volume-demo")
    report = build(BuildOptions(source=ROOT / "content", out=out, jobs=2))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    return report


def _folder(report, slug=DEMO) -> Path:
    return report.out / "volumes" / slug


def contents_entries(pdf: Path) -> list[tuple[str, int]]:
    """(title, page) of each line of the contents page (page 2) that ends with a page number."""
    found = []
    lines = page_text(pdf, 2).splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"\s*(.+?)[\s.]*\s(\d+)\s*$", line)
        if m and m.group(1).strip() != "Contents":
            found.append((squash(m.group(1)), int(m.group(2))))
    return found


def test_demo_volume_editions_are_written(demo):
    folder = _folder(demo)
    for name in ("index.html", f"{DEMO}.pdf", f"{DEMO}.epub"):
        assert (folder / name).is_file() and (folder / name).stat().st_size > 1000, name
    (r,) = [r for r in demo.papers if r.slug == f"volumes/{DEMO}"]
    assert r.summary["kind"] == "volume" and r.summary["members"] == ["water-utility-open-data", "tidal-cooperatives"]
    for slug in r.summary["members"]:  # built in the worker pool, their passes kept for the volume
        assert (demo.out / ".publisher" / "documents" / f"{slug}.json").is_file()


def test_contents_page_numbers_are_the_real_pages(demo):
    pdf = _folder(demo) / f"{DEMO}.pdf"
    entries = contents_entries(pdf)
    titles = ["Open Data in Municipal Water Utilities: What Gets Published, and Why",
              "Tidal Power Cooperatives in Small Island States"]
    listed = [t for t, _ in entries]
    for title in titles:  # each paper is listed with its page
        assert title in listed, entries
    sections = [(t, n) for t, n in entries if t not in titles]
    assert ("Why water data matters", 3) in sections or any(t == "Why water data matters" for t, _ in sections)
    assert len(sections) >= 8  # the sections of both papers
    for title, number in entries:
        text = squash(page_text(pdf, number))
        assert title in text, (title, number)
    openings = [n for t, n in entries if t in titles]
    assert openings == sorted(openings) and all(n % 2 == 1 for n in openings)  # each opens on a recto
    for title, number in zip(titles, openings):
        first = squash(page_text(pdf, number))
        assert first.startswith(title.split(":")[0])  # the title at the head of its first page


def test_contents_lists_authors(demo):
    text = squash(page_text(_folder(demo) / f"{DEMO}.pdf", 2))
    assert "Tomasz Weller and Ines Harrow" in text and "Marta Quillon" in text


def test_running_heads_carry_the_papers_authors_and_title(demo):
    import pikepdf

    pdf = _folder(demo) / f"{DEMO}.pdf"
    with pikepdf.open(pdf) as doc:
        count = len(doc.pages)
    entries = dict(contents_entries(pdf))
    starts = sorted([(entries["Open Data in Municipal Water Utilities: What Gets Published, and Why"], "water"),
                     (entries["Tidal Power Cooperatives in Small Island States"], "tidal")])
    heads = {"water": ("Tomasz Weller and Ines Harrow", "Open Data in Municipal Water Utilities"),
             "tidal": ("Marta Quillon", "Tidal Power Cooperatives in Small Island States")}
    checked = 0
    index_page = [n for n in range(1, count + 1) if squash(page_text(pdf, n)).startswith(f"Index {n} Index")]
    assert index_page == [count]  # the volume's subject index: the last page, with a head of its own
    for n in range(starts[0][0] + 1, count):
        owner = [k for start, k in starts if start <= n][-1]
        if n in [s for s, _ in starts]:
            continue
        lines = [ln for ln in page_text(pdf, n).splitlines() if ln.strip()]
        if not lines:
            continue  # a blank verso before a recto opening
        head = squash(lines[0])
        authors, title = heads[owner]
        if n % 2 == 0:
            assert head == f"{n} {authors}", (n, head)
        else:
            assert head.startswith(title) and head.endswith(str(n)), (n, head)
        checked += 1
    assert checked >= 3


def test_outline_has_a_level_per_paper_with_its_sections(demo):
    tree = outline(_folder(demo) / f"{DEMO}.pdf")
    assert [t for t, _ in tree] == ["Open Data in Municipal Water Utilities: What Gets Published, and Why",
                                    "Tidal Power Cooperatives in Small Island States", "Index"]
    assert tree[0][1][0] == "Why water data matters" and "Conclusion" in tree[1][1]


def test_epub_nav_lists_every_paper_and_its_sections_and_the_pdf_pages(demo):
    epub = _folder(demo) / f"{DEMO}.epub"
    with zipfile.ZipFile(epub) as z:
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        opf = z.read("EPUB/content.opf").decode("utf-8")
        ncx = z.read("EPUB/toc.ncx").decode("utf-8")
        opening = z.read("EPUB/p02-00.xhtml").decode("utf-8")
    top = nav.xpath("//x:nav[@epub:type='toc']/x:ol/x:li", namespaces=NAV)
    assert [squash("".join(li.xpath("x:a", namespaces=NAV)[0].itertext())) for li in top] == [
        "Open Data in Municipal Water Utilities: What Gets Published, and Why",
        "Tidal Power Cooperatives in Small Island States", "Index"]
    assert all(li.xpath("x:ol/x:li", namespaces=NAV) for li in top[:2])  # the sections under each paper
    pages = nav.xpath("//x:nav[@epub:type='page-list']//x:a/text()", namespaces=NAV)
    assert "1" in pages and "3" in pages and "5" in pages
    assert "Tidal Power Cooperatives" in ncx and ncx.count("<navPoint") >= 10
    assert re.search(r'<dc:creator id="editor01">Ines Harrow</dc:creator>', opf)
    assert 'refines="#editor01" property="role" scheme="marc:relators">edt<' in opf
    assert "schema:accessibilitySummary" in opf and "pageBreakSource" in opf
    assert "Marta Quillon" in opening and 'epub:type="part"' in opening  # the paper's authors in its part


def test_volume_page_links_to_every_paper_and_edition(demo):
    page = _folder(demo) / "index.html"
    tree = lxml_html.fromstring(page.read_text(encoding="utf-8"))
    hrefs = tree.xpath("//a/@href")
    for slug in ("water-utility-open-data", "tidal-cooperatives"):
        for name in ("index.html", f"{slug}.pdf", f"{slug}.epub"):
            assert f"../../{slug}/{name}" in hrefs
            assert (page.parent / f"../../{slug}/{name}").resolve().is_file()
    assert f"{DEMO}.pdf" in hrefs and f"{DEMO}.epub" in hrefs
    assert tree.xpath("//link[@rel='canonical']/@href") == [f"https://papers.example.org/volumes/{DEMO}/"]


def test_catalog_opds_and_manifest_list_the_volume(demo):
    out = demo.out
    catalog = lxml_html.fromstring((out / "index.html").read_text(encoding="utf-8"))
    assert catalog.xpath(f"//section[@class='volumes']//a[@href='volumes/{DEMO}/{DEMO}.pdf']")
    assert "2 papers" in catalog.xpath("string(//p[@class='count'])")  # volumes are not counted as papers
    opds = etree.parse(str(out / "opds.xml"))
    A = "{http://www.w3.org/2005/Atom}"
    (entry,) = [e for e in opds.getroot().findall(A + "entry")
                if e.findtext(A + "title") == "Harbour Institute Working Papers 2024–25"]
    acquire = [link.get("href") for link in entry.findall(A + "link")
               if link.get("rel") == "http://opds-spec.org/acquisition"]
    assert sorted(acquire) == sorted(f"https://papers.example.org/volumes/{DEMO}/{DEMO}.{x}" for x in ("epub", "pdf"))
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    (vol,) = [p for p in manifest["papers"] if p.get("kind") == "volume"]
    assert vol["members"] == ["water-utility-open-data", "tidal-cooperatives"]
    assert set(vol["editions"]) == {"pdf", "epub", "html"}


def test_sitemap_lists_the_volume_page(demo):
    out = demo.out
    S = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = {u.findtext(S + "loc"): u.findtext(S + "lastmod") for u in etree.parse(str(out / "sitemap.xml")).getroot()}
    loc = f"https://papers.example.org/volumes/{DEMO}/"
    assert loc in urls and (out / "volumes" / DEMO / "index.html").is_file()
    (r,) = [r for r in demo.papers if r.slug == f"volumes/{DEMO}"]
    assert urls[loc] == dt.datetime.fromisoformat(r.summary["date"]).astimezone(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")  # the volume's date
    assert len(urls) == len(set(urls)) == 4  # the catalog, two papers, the volume


def test_publisher_check_passes_on_a_dist_with_volumes(demo):
    from publisher.check import check

    results = check(demo.out, epubcheck=False)  # EPUBCheck: the batch test below
    assert any(r.path.startswith("volumes/") for r in results)
    assert not [(r.path, r.errors) for r in results if r.errors]


# ---- a fixture site: notes, the same heading in every paper, the cache, shards --------------------------

POST = """---
title: "{title}"
author: {author}
date: {date} 10:00:00 +0000
categories: [policy]
tags: [{tag}]
---

A first paragraph with a note.[^a] It says what the paper is about.

## Introduction

The introduction has a second note.[^b] {filler}

## Conclusion

A conclusion that links back to the [introduction](#introduction).

[^a]: The first note of {title}.
[^b]: The second note of {title}.
"""

FILLER = "Words that fill the page so that the text runs on for a while. " * 12

CONFIG = """title: Fixture Institute
url: https://fixture.example.org
publisher:
  volumes:
    - slug: policy-2025
      title: "{title}"
      editors: Ada Editor
      select: {{category: policy}}
"""


def _write_posts(root: Path, n: int = 3) -> None:
    for i in range(1, n + 1):
        (root / "_posts").mkdir(parents=True, exist_ok=True)
        (root / "_posts" / f"2025-0{i}-01-paper-{i}.md").write_text(POST.format(
            title=f"Paper number {i}", author=f"Author {i}", date=f"2025-0{i}-01", tag=f"t{i}", filler=FILLER),
            encoding="utf-8")


@pytest.fixture
def fixture_site(tmp_path):
    root = tmp_path / "site"
    root.mkdir()
    _write_posts(root)
    (root / "_config.yml").write_text(CONFIG.format(title="Policy Papers 2025"), encoding="utf-8")
    return root


def test_fixture_volume_notes_per_paper_unique_ids_epubcheck_and_nu(fixture_site, tmp_path):
    out = tmp_path / "out"
    report = build(BuildOptions(source=fixture_site, out=out, jobs=1))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    folder = out / "volumes" / "policy-2025"
    pdf = folder / "policy-2025.pdf"
    entries = dict(contents_entries(pdf))
    for i in (1, 2, 3):  # every paper's first note is note 1 again
        first = page_text(pdf, entries[f"Paper number {i}"])
        assert re.search(rf"^\s*1\.\s+The first note of Paper number {i}\.", first, re.M), first
    # the EPUB: one id per element across papers, and the in-paper link goes to that paper's section
    with zipfile.ZipFile(folder / "policy-2025.epub") as z:
        ids = []
        for name in z.namelist():
            if name.endswith(".xhtml"):
                ids += re.findall(r' id="([^"]+)"', z.read(name).decode("utf-8"))
        conclusion = z.read("EPUB/p02-ch02.xhtml").decode("utf-8")
    assert len(ids) == len(set(ids))
    assert 'href="p02-ch01.xhtml#p02-introduction"' in conclusion
    (checked,) = epubcheck([folder / "policy-2025.epub"])
    assert checked.ok, checked.describe()
    if VNU_JAR.is_file():
        proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", str(folder / "index.html"),
                               str(out / "index.html")], capture_output=True, text=True, timeout=300)
        errors = [m for m in json.loads(proc.stdout or proc.stderr)["messages"] if m.get("type") == "error"]
        assert not errors, errors


def test_demo_volume_and_a_paper_with_an_index_pass_epubcheck(demo):
    reports = epubcheck([_folder(demo) / f"{DEMO}.epub", demo.out / "tidal-cooperatives" / "tidal-cooperatives.epub"])
    assert all(r.ok for r in reports), [r.describe() for r in reports]


def test_pages_with_an_index_pass_the_nu_checker(demo):
    if not VNU_JAR.is_file():
        pytest.skip("the Nu HTML Checker is not installed (scripts/npm-deps.sh)")
    pages = [_folder(demo) / "index.html", demo.out / "tidal-cooperatives" / "index.html", demo.out / "index.html"]
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=300)
    errors = [m for m in json.loads(proc.stdout or proc.stderr)["messages"] if m.get("type") == "error"]
    assert not errors, errors


def _volume_result(report):
    (r,) = [r for r in report.papers if r.slug.startswith("volumes/")]
    return r


def test_volume_is_cached_and_rebuilt_when_a_member_or_its_declaration_changes(fixture_site, tmp_path):
    out = tmp_path / "out"
    opts = BuildOptions(source=fixture_site, out=out, jobs=1, formats=["pdf", "epub", "html"])
    first = _volume_result(build(opts))
    assert not first.failed and not first.cached
    pdf = out / "volumes" / "policy-2025" / "policy-2025.pdf"
    before = pdf.read_bytes()
    again = _volume_result(build(opts))
    assert again.cached and pdf.read_bytes() == before
    post = fixture_site / "_posts" / "2025-02-01-paper-2.md"
    post.write_text(post.read_text(encoding="utf-8").replace("A conclusion", "A new conclusion"), encoding="utf-8")
    changed = _volume_result(build(opts))
    assert not changed.cached and "A new conclusion" in squash(subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode("utf-8"))
    _write_posts(fixture_site, 4)  # a new paper the selection picks up
    grown = _volume_result(build(opts))
    assert not grown.cached and grown.summary["members"] == [f"paper-{i}" for i in (1, 2, 3, 4)]
    (fixture_site / "_config.yml").write_text(CONFIG.format(title="Renamed Volume"), encoding="utf-8")
    renamed = _volume_result(build(opts))
    assert not renamed.cached and renamed.summary["title"] == "Renamed Volume"
    (fixture_site / "_config.yml").write_text("title: Fixture Institute\n", encoding="utf-8")
    gone = build(opts)
    assert not [r for r in gone.papers if r.slug.startswith("volumes/")]
    assert not (out / "volumes" / "policy-2025").exists()
    assert "volumes/" not in (out / "manifest.json").read_text(encoding="utf-8")


def test_same_input_gives_the_same_volume_bytes(fixture_site, tmp_path):
    names = ("policy-2025.pdf", "policy-2025.epub", "index.html")
    got = []
    for k in (1, 2):
        out = tmp_path / f"out{k}"
        build(BuildOptions(source=fixture_site, out=out, jobs=1))
        got.append([(out / "volumes" / "policy-2025" / n).read_bytes() for n in names])
    assert got[0] == got[1]


def test_shards_build_the_volume_once_and_merge_keeps_it(fixture_site, tmp_path):
    from publisher.merge import merge

    outs = []
    for k in (1, 2):
        out = tmp_path / f"shard{k}"
        build(BuildOptions(source=fixture_site, out=out, jobs=1, shard=(k, 2), formats=["epub", "html"]))
        outs.append(out)
    holders = [o for o in outs if (o / "volumes" / "policy-2025" / "index.html").is_file()]
    assert len(holders) == 1  # built in exactly one shard
    # every paper is in the volume, whichever shard built it
    text = (holders[0] / "volumes" / "policy-2025" / "index.html").read_text(encoding="utf-8")
    assert all(f"Paper number {i}" in text for i in (1, 2, 3))
    dest = tmp_path / "merged"
    merge(outs, dest, source=fixture_site)
    assert (dest / "volumes" / "policy-2025" / "policy-2025.epub").is_file()
    single = build(BuildOptions(source=fixture_site, out=tmp_path / "single", jobs=1, formats=["epub", "html"])).out
    assert published(dest) == published(single)  # the merged dist is what one build gives
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in manifest["papers"] if p.get("kind") == "volume"] == ["volumes/policy-2025"]


def published(out: Path) -> dict[str, bytes]:
    """Every published file of OUT (not the private .publisher record) → bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".publisher" not in p.relative_to(out).parts}


def test_no_op_rebuild_with_a_volume_runs_neither_pandoc_nor_weasyprint(fixture_site, tmp_path):
    import sys

    out = tmp_path / "out"
    build(BuildOptions(source=fixture_site, out=out, jobs=1))
    script = f"""
import sys
from pathlib import Path
import publisher.render as render
def refuse(*a, **k):
    raise SystemExit("pandoc was run")
render.render = refuse
from publisher.build import BuildOptions, build
report = build(BuildOptions(source=Path({str(fixture_site)!r}), out=Path({str(out)!r}), jobs=1))
assert not report.failed, report.failed
assert all(r.cached for r in report.papers), [(r.slug, r.cached) for r in report.papers]
assert "weasyprint" not in sys.modules, "WeasyPrint was imported"
print("ok", sorted(r.slug for r in report.papers))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok ['paper-1', 'paper-2', 'paper-3', 'volumes/policy-2025']"


def test_command_line_volume_with_the_cli(fixture_site, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "publisher"), "build", str(fixture_site), "-o", str(out),
                           "--format", "html,epub", "-q", "--volume", "tag=t3", "--volume-title", "Just Three"],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    page = (out / "volumes" / "just-three" / "index.html").read_text(encoding="utf-8")
    assert "Paper number 3" in page and "Paper number 1" not in page
    bad = subprocess.run([str(ROOT / ".venv" / "bin" / "publisher"), "build", str(fixture_site), "-o", str(out),
                          "--volume", "colour=red"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "colour=red" in bad.stderr


def test_volume_that_selects_nothing_is_reported_not_a_traceback(tmp_path):
    root = tmp_path / "site"
    _write_posts(root, 1)
    (root / "_config.yml").write_text("title: T\npublisher:\n  volumes:\n    - slug: empty\n      title: Empty\n"
                                      "      select: {category: nothing-here}\n", encoding="utf-8")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["html"]))
    (r,) = [r for r in report.papers if r.slug == "volumes/empty"]
    assert r.failed and "has no papers" in str(r.problems[-1]) and report.exit_code == 1
    assert [x.slug for x in report.papers if not x.failed] == ["paper-1"]


# ---- the real paper and the demo content in one volume ------------------------------------------------

def test_volume_of_the_real_paper_and_the_demo_content(tmp_path):
    corpus = SHARED / "corpus" / "_posts"
    if not corpus.is_dir():
        pytest.skip("../shared/corpus is not here (the real paper is not part of the repository)")
    root = tmp_path / "site"
    shutil.copytree(ROOT / "content" / "_posts", root / "_posts")
    for post in corpus.glob("*.md"):  # copied to a temporary site only, never into the repository
        shutil.copy(post, root / "_posts" / post.name)
    config = (ROOT / "content" / "_config.yml").read_text(encoding="utf-8")
    config = config.split("  # volumes (issue 17)")[0] + (
        "  volumes:\n    - slug: mixed\n      title: Mixed Papers\n      editors: [Ada Editor]\n"
        "      papers: [prisoners-of-assad, tidal-cooperatives, water-utility-open-data]\n")
    (root / "_config.yml").write_text(config, encoding="utf-8")
    out = tmp_path / "out"
    report = build(BuildOptions(source=root, out=out, jobs=2, formats=["pdf", "epub"]))
    r = _volume_result(report)
    assert not r.failed, [str(p) for p in r.problems]
    pdf = out / "volumes" / "mixed" / "mixed.pdf"
    tree = outline(pdf)
    assert [t for t, _ in tree] == ["Prisoners Of Assad", "Tidal Power Cooperatives in Small Island States",
                                    "Open Data in Municipal Water Utilities: What Gets Published, and Why",
                                    "Index"]  # as listed; the demo papers' index terms make an index
    assert len(tree[0][1]) >= 4  # the real paper's sections under it
    entries = contents_entries(pdf)
    opening = [n for t, n in entries if t == "Tidal Power Cooperatives in Small Island States"]
    assert opening and opening[0] % 2 == 1
    assert squash(page_text(pdf, opening[0])).startswith("Tidal Power Cooperatives")
    (check,) = epubcheck([out / "volumes" / "mixed" / "mixed.epub"])
    assert check.ok, check.describe()


# ---- the subject index (filters/index.lua, publisher/subject_index.py) ----------------------------------

def test_index_entries_group_by_letter_and_merge_page_ranges():
    from publisher.subject_index import Mark, entries, page_ranges

    marks = [Mark("gradient descent", "", "i1"), Mark("Adam", "", "i2"), Mark("optimisation", "Adam", "i3"),
             Mark("Gradient descent", "", "i4"), Mark("2-D plots", "", "i5"), Mark("Élan", "", "i6")]
    groups = entries(marks, {"gradient descent": ["optimisation", "not there"]})
    assert [g for g, _ in groups] == ["A", "E", "G", "O", "#"]
    (gd,) = dict(groups)["G"]
    assert gd.term == "gradient descent" and [m.id for m in gd.marks] == ["i1", "i4"] and gd.see == ["optimisation"]
    assert list(dict(groups)["O"][0].subs) == ["Adam"]
    pages = {"a": 3, "b": 4, "c": 4, "d": 5, "e": 9, "f": 12, "g": 13}
    ranged = page_ranges([Mark("t", "", k) for k in "abcdefg"], pages)
    assert ranged == [("3\u20135", "a"), ("9", "e"), ("12\u201313", "f")]


def named_destinations(pdf) -> dict[str, int]:
    """Name → 1-based page of the PDF's named destinations (WeasyPrint writes one per id)."""
    numbers = {page.objgen: n for n, page in enumerate(pdf.pages, start=1)}
    found: dict[str, int] = {}

    def walk(node):
        for kid in node.get("/Kids", []):
            walk(kid)
        names = list(node.get("/Names", []))
        for name, dest in zip(names[::2], names[1::2]):
            dest = dest.get("/D", dest) if hasattr(dest, "get") and not hasattr(dest, "append") else dest
            found[str(name)] = numbers.get(dest[0].objgen)
    walk(pdf.Root.Names.Dests)
    return found


def index_links(pdf, page_number: int) -> list[tuple[str, int]]:
    """(link text is not in the annotation; destination name, its page) of the links on a page."""
    dests = named_destinations(pdf)
    out = []
    for annot in pdf.pages[page_number - 1].obj.get("/Annots", []):
        dest = annot.get("/Dest")
        if dest is None and annot.get("/A") is not None:
            dest = annot.A.get("/D")
        if dest is not None and str(dest) in dests:
            out.append((str(dest), dests[str(dest)]))
    return out


def _pages_with(pdf: Path, phrase: str, count: int) -> list[int]:
    return [n for n in range(1, count + 1) if phrase in squash(page_text(pdf, n))]


def test_paper_pdf_index_has_the_real_pages_merged_and_linked(demo):
    import pikepdf

    pdf = demo.out / "tidal-cooperatives" / "tidal-cooperatives.pdf"
    with pikepdf.open(pdf) as doc:
        count = len(doc.pages)
        links = index_links(doc, count)
    index = squash(page_text(pdf, count))
    assert index.startswith(f"Index {count} Index")
    expect = {"tidal stream": ["Tidal streams are predictable"], "export prices": ["fixed export prices"],
              "community ownership": ["Community ownership promised", "Community ownership did not make"],
              "grid operator": ["the grid that takes the power", "Bargaining with the grid operator"]}
    for term, phrases in expect.items():
        pages = sorted({n for p in phrases for n in _pages_with(pdf, p, count - 1)})
        assert pages, term
        label = ", ".join(str(p) for p in pages) if len(pages) == 1 or pages[-1] - pages[0] != len(pages) - 1 \
            else f"{pages[0]}\u2013{pages[-1]}"
        assert f"{term}, {label}" in index, (term, label, index)
    assert re.search(r"maintenance, \d+ see also investment", index)  # index_see_also in content/_config.yml
    # every locator is a link to the first mark on the page it names
    assert links and all(name.startswith("idx-") for name, _ in links)
    assert {page for _, page in links} <= set(range(1, count))
    assert len(links) == len(re.findall(r"\d+(?:\u2013\d+)?", index.split(" Index ", 1)[1]))


def test_paper_epub_and_html_index_link_to_every_mark(demo):
    epub = demo.out / "tidal-cooperatives" / "tidal-cooperatives.epub"
    with zipfile.ZipFile(epub) as z:
        index = z.read("EPUB/index.xhtml").decode("utf-8")
        nav = z.read("EPUB/nav.xhtml").decode("utf-8")
        targets = re.findall(r'href="([^"#]+)#(idx-\d+)"', index)
        for file, ident in targets:
            assert f'id="{ident}"' in z.read(f"EPUB/{file}").decode("utf-8")
    assert 'epub:type="index"' in index and '<a href="index.xhtml" epub:type="index">Index</a>' in nav
    marked = (ROOT / "content" / "_posts" / "2025-03-14-tidal-cooperatives.md").read_text(encoding="utf-8").count("{.index")
    assert len(targets) == marked  # every mark in the post, none twice
    assert len(set(targets)) == len(targets)
    page = (demo.out / "tidal-cooperatives" / "index.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(page)
    (section,) = tree.xpath("//section[@id='subject-index']")
    hrefs = section.xpath(".//a/@href")
    assert len(hrefs) == marked and all(tree.xpath(f"//*[@id='{h[1:]}']") for h in hrefs)
    assert "community ownership" in section.text_content()
    assert "see also investment" in squash(section.text_content())


def test_paper_without_index_terms_has_no_index(fixture_site, tmp_path):
    out = tmp_path / "out"
    build(BuildOptions(source=fixture_site, out=out, jobs=1, formats=["epub", "html"]))
    assert not lxml_html.fromstring((out / "paper-1" / "index.html").read_bytes()).xpath("//*[@id='subject-index']")
    with zipfile.ZipFile(out / "paper-1" / "paper-1.epub") as z:
        assert "EPUB/index.xhtml" not in z.namelist()
    with zipfile.ZipFile(out / "volumes" / "policy-2025" / "policy-2025.epub") as z:
        assert "EPUB/index.xhtml" not in z.namelist()


def test_volume_index_merges_the_papers_terms_in_every_edition(demo):
    import pikepdf

    folder = _folder(demo)
    pdf = folder / f"{DEMO}.pdf"
    with pikepdf.open(pdf) as doc:
        count = len(doc.pages)
        links = index_links(doc, count)
    index = squash(page_text(pdf, count))
    water = _pages_with(pdf, "failed to invest", count - 1)
    tidal = _pages_with(pdf, "a regional grant", count - 1)
    assert water and tidal and water[0] < tidal[0]
    assert f"investment, {water[0]}" in index and f"grants, {tidal[0]}" in index  # one entry, both papers
    assert all(page < count for _, page in links) and len(links) >= 15
    with zipfile.ZipFile(folder / f"{DEMO}.epub") as z:
        chapter = z.read("EPUB/index.xhtml").decode("utf-8")
        targets = re.findall(r'href="([^"#]+)#(p0\d-idx-\d+)"', chapter)
        assert {f[:3] for f, _ in targets} == {"p01", "p02"}
        for file, ident in targets:
            assert f'id="{ident}"' in z.read(f"EPUB/{file}").decode("utf-8")
    page = lxml_html.fromstring((folder / "index.html").read_text(encoding="utf-8"))
    hrefs = page.xpath("//section[@id='subject-index']//a/@href")
    assert hrefs
    for href in hrefs:
        path, ident = href.split("#")
        target = lxml_html.fromstring((folder / path).resolve().read_text(encoding="utf-8"))
        assert target.xpath(f"//*[@id='{ident}']"), href


# ---- a real-world site: a conference's blog track as proceedings --------------------------------------

def test_proceedings_volume_of_a_realworld_site(tmp_path):
    import pikepdf

    source = SHARED / "realworld" / "iclr-2023"
    if not source.is_dir():
        pytest.skip("../shared/realworld is not here (the real-world sites are not part of the repository)")
    root = tmp_path / "site"
    shutil.copytree(source, root)  # a temporary copy, two of its posts kept (a small build)
    keep = ("2023-05-01-facial-poisoning.md",
            "2023-05-01-how-does-the-inductive-bias-influence-the-generalization-capability-of-neural-networks.md")
    for post in (root / "_posts").iterdir():
        if post.name not in keep:
            post.unlink()
    extra = tmp_path / "volume.yml"
    extra.write_text("publisher:\n  volumes:\n    - slug: proceedings\n      title: Blog Track Proceedings\n"
                     "      editors: [Ada Editor]\n      select: {from: 2023-05-01, to: 2023-05-01}\n"
                     "      order: title\n", encoding="utf-8")
    out = tmp_path / "out"
    report = build(BuildOptions(source=root, out=out, jobs=2, formats=["pdf", "epub"],
                                config_files=[root / "_config.yml", extra]))
    r = _volume_result(report)
    assert not r.failed, [str(p) for p in r.problems]
    pdf = out / "volumes" / "proceedings" / "proceedings.pdf"
    with pikepdf.open(pdf) as doc, doc.open_outline() as o:
        numbers = {p.objgen: n for n, p in enumerate(doc.pages, start=1)}
        papers = [(item.title, numbers[item.destination[0].objgen], len(item.children)) for item in o.root]
    assert [t for t, _, _ in papers] == sorted(t for t, _, _ in papers)  # order: title
    assert len(papers) == 2 and all(children >= 3 for _, _, children in papers)
    contents = page_text(pdf, 2)
    for title, number, _ in papers:
        assert number % 2 == 1  # a recto
        assert squash(page_text(pdf, number)).startswith(squash(title)[:30])
        assert re.search(rf"\.\s+{number}\s*$", contents, re.M)  # the contents give that page
    (check,) = epubcheck([out / "volumes" / "proceedings" / "proceedings.epub"])
    assert check.ok, check.describe()


def test_press_and_pdf_variants_apply_to_the_volume(fixture_site, tmp_path):
    import pikepdf

    report = build(BuildOptions(source=fixture_site, out=tmp_path / "out", jobs=1, formats=["pdf"],
                                pdf_variant="pdf/a-3b,pdf/ua-1", print_ready=True))
    r = _volume_result(report)
    assert not r.failed, [str(p) for p in r.problems]
    with pikepdf.open(r.editions[0].path) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B" and meta["pdfuaid:part"] == "1"
        assert meta["dc:title"] == "Policy Papers 2025" and "Ada Editor" in str(meta["dc:creator"])
        assert "/StructTreeRoot" in pdf.Root
        for page in pdf.pages:
            media, trim = [float(v) for v in page.MediaBox], [float(v) for v in page.TrimBox]
            assert trim[0] - media[0] == pytest.approx(3 * 72 / 25.4, abs=0.1)  # 3 mm of bleed


ACE = ROOT / "tools" / "ace" / "node_modules" / ".bin" / "ace-cli"


@pytest.mark.parametrize("book", [f"volumes/{DEMO}/{DEMO}.epub", "tidal-cooperatives/tidal-cooperatives.epub"])
def test_ace_reports_no_violations_in_the_volume_and_a_paper_with_an_index(demo, tmp_path, book):
    status, failures = ace_failures(demo.out / book, tmp_path)
    assert status == 0 and not failures, (status, failures)


def ace_failures(book: Path, out: Path) -> tuple[int, list]:
    """Ace by DAISY on BOOK: (exit status, [(file, rule)] of its violations); skips without Ace."""
    import os

    if not ACE.is_file():
        pytest.skip("Ace is not installed (bash scripts/npm-deps.sh)")
    env = dict(os.environ, PUPPETEER_EXECUTABLE_PATH=shutil.which("chromium") or "/usr/bin/chromium")
    proc = subprocess.run([str(ACE), "-E", "-f", "-s", "-o", str(out), str(book)],
                          capture_output=True, text=True, timeout=400, env=env)
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return proc.returncode, [(a["earl:testSubject"]["url"], b["earl:test"]["dct:title"]) for a in report["assertions"]
                             for b in a.get("assertions", []) if b["earl:result"]["earl:outcome"] == "fail"]


@pytest.mark.parametrize("page", [f"volumes/{DEMO}/index.html", "tidal-cooperatives/index.html", "index.html"])
def test_volume_page_paper_index_and_catalog_have_no_axe_violations(demo, axe_check, page):
    violations = axe_check(demo.out / page, 1280, "light")
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_a_paper_in_two_volumes_goes_through_pandoc_once_for_both(fixture_site, tmp_path):
    from publisher import pandoc

    (fixture_site / "_config.yml").write_text(CONFIG.format(title="First") + (
        "    - slug: again\n      title: Again\n      papers: [paper-3, paper-1]\n"), encoding="utf-8")
    before = dict(pandoc.RUNS)
    report = build(BuildOptions(source=fixture_site, out=tmp_path / "out", jobs=1, formats=["html"]))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    assert pandoc.RUNS.get("render", 0) - before.get("render", 0) == 3  # the papers' own passes, for both volumes
    assert pandoc.runs() - sum(before.values()) == 3
    page = (tmp_path / "out" / "volumes" / "again" / "index.html").read_text(encoding="utf-8")
    assert page.index("Paper number 3") < page.index("Paper number 1")  # as listed


def test_volume_reuses_its_members_own_pandoc_pass(fixture_site, tmp_path):
    import dataclasses

    from publisher import documents, pandoc

    out, fresh = tmp_path / "out", tmp_path / "fresh"
    opts = BuildOptions(source=fixture_site, out=out, jobs=1, formats=["epub", "html"])
    runs = pandoc.runs()
    first = build(opts)
    assert not first.failed and not _volume_result(first).cached
    assert pandoc.runs() - runs == 3  # one pass per paper; the volume runs none
    kept = json.loads(documents.path(out, "paper-2").read_text(encoding="utf-8"))  # JSON, not a pickle
    assert kept["slug"] == "paper-2" and kept["document"]["fields"]["title_text"] == "Paper number 2"
    # a new paper: its pass runs, the three others come from the cache with their kept passes
    _write_posts(fixture_site, 4)
    runs = pandoc.runs()
    second = build(opts)
    assert not _volume_result(second).cached and len(second.papers) == 5
    assert [r.slug for r in second.papers if not r.cached] == ["paper-4", "volumes/policy-2025"]
    assert pandoc.runs() - runs == 1
    # a one-off volume of cached papers runs no pandoc at all
    one_off = dataclasses.replace(opts, volume="tag=t3", volume_title="Just Three")
    runs = pandoc.runs()
    assert not build(one_off).failed and pandoc.runs() == runs
    # the volumes are what fresh passes make
    build(dataclasses.replace(one_off, out=fresh, force=True))
    for name in ("policy-2025/policy-2025.epub", "policy-2025/index.html", "just-three/just-three.epub"):
        assert (out / "volumes" / name).read_bytes() == (fresh / "volumes" / name).read_bytes(), name
    # a member edited: only its pass runs again (the kept document of its old key is not used)
    post = fixture_site / "_posts" / "2025-02-01-paper-2.md"
    post.write_text(post.read_text(encoding="utf-8").replace("A conclusion", "A new conclusion"), encoding="utf-8")
    runs = pandoc.runs()
    assert not _volume_result(build(opts)).cached and pandoc.runs() - runs == 1
    with zipfile.ZipFile(out / "volumes/policy-2025/policy-2025.epub") as z:
        assert "A new conclusion" in z.read("EPUB/p02-ch02.xhtml").decode("utf-8")
    # a damaged record is not read: that member goes through pandoc again
    documents.path(out, "paper-1").write_text("{not json", encoding="utf-8")
    post.write_text(post.read_text(encoding="utf-8").replace("A new conclusion", "A newer one"), encoding="utf-8")
    runs = pandoc.runs()
    assert not build(opts).failed and pandoc.runs() - runs == 2
    # no volume any more: no document is kept
    (fixture_site / "_config.yml").write_text("title: Fixture Institute\n", encoding="utf-8")
    build(opts)
    assert not list((out / ".publisher" / documents.FOLDER).glob("*.json"))


def test_volume_cover_image_opens_the_pdf_and_is_the_epub_cover(fixture_site, tmp_path):
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (600, 900), (20, 60, 120)).save(buf, format="PNG")
    (fixture_site / "assets").mkdir()
    (fixture_site / "assets" / "cover.png").write_bytes(buf.getvalue())
    config = CONFIG.format(title="With a Cover") + "      cover: assets/cover.png\n      isbn: 978-3-16-148410-0\n"
    (fixture_site / "_config.yml").write_text(config, encoding="utf-8")
    out = tmp_path / "out"
    report = build(BuildOptions(source=fixture_site, out=out, jobs=1, formats=["pdf", "epub"]))
    assert not _volume_result(report).failed
    folder = out / "volumes" / "policy-2025"
    images = subprocess.run(["pdfimages", "-list", "-f", "1", "-l", "1", str(folder / "policy-2025.pdf")],
                            capture_output=True, text=True, check=True).stdout
    assert re.search(r"^\s*1\s+\d+\s+image\s+600\s+900", images, re.M), images  # the cover fills page 1
    assert "With a Cover" in squash(page_text(folder / "policy-2025.pdf", 2))  # then the title page
    with zipfile.ZipFile(folder / "policy-2025.epub") as z:
        assert z.read("EPUB/cover.png") == buf.getvalue()
        assert "<dc:identifier id=\"id\">urn:isbn:9783161484100</dc:identifier>" in z.read("EPUB/content.opf").decode()


# ---- one bibliography for the volume (bibliography: volume) -------------------------------------------

BIB = """@book{zeller2019, author = {Zeller, Anna}, title = {Harbours and Tides}, year = {2019}, publisher = {Coast Press}}
@article{adams2021, author = {Adams, Bea}, title = {Water Prices}, journal = {Utility Review}, year = {2021}}
@article{moreau2020, author = {Moreau, Carl}, title = {Open Data in Small Towns}, journal = {Civic Data}, year = {2020}}
@article{unused2018, author = {Nobody, Ned}, title = {Never Cited}, journal = {Civic Data}, year = {2018}}
"""
CITING = {
    "_posts/2025-01-01-first.md": "---\ntitle: First Paper\nauthor: Ann One\ncategories: [policy]\n---\n\n"
                                  "Tides matter [@zeller2019] and so do prices [@adams2021].\n\n## More\n\n"
                                  "Again [@zeller2019, p. 4].\n",
    "_posts/2025-02-01-second.md": "---\ntitle: Second Paper\nauthor: Ben Two\ncategories: [policy]\n---\n\n"
                                   "Data [@moreau2020] and prices [@adams2021].\n",
    "refs.bib": BIB,
}
CITING_CONFIG = """title: Bib Institute
url: https://bib.example.org
publisher:
  bibliography: refs.bib
  volumes:
    - slug: one-list
      title: One List
      select: {category: policy}
      bibliography: volume
    - slug: per-paper
      title: Per Paper
      select: {category: policy}
"""
ENTRIES = ["Adams, B. 2021", "Moreau, C. 2020", "Zeller, A. 2019"]  # the author-date style's order


def test_volume_bibliography_is_one_list_with_every_entry_once_and_links_to_it(tmp_site, tmp_path):
    import pikepdf

    from publisher import pandoc

    root = tmp_site(CITING, CITING_CONFIG)
    out = tmp_path / "out"
    runs = dict(pandoc.RUNS)
    report = build(BuildOptions(source=root, out=out, jobs=1))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    # the papers' passes, and one citeproc run to sort the merged list: no member goes through pandoc again
    assert pandoc.RUNS.get("render", 0) - runs.get("render", 0) == 2
    assert pandoc.RUNS.get("volume-bibliography", 0) - runs.get("volume-bibliography", 0) == 1
    pdf = out / "volumes" / "one-list" / "one-list.pdf"
    with pikepdf.open(pdf) as doc:
        count = len(doc.pages)
        text = [squash(page_text(pdf, n)) for n in range(1, count + 1)]
        (refs_page,) = [n for n, t in enumerate(text, start=1) if "Zeller, A. 2019" in t]
        listing = text[refs_page - 1]
        assert [listing.index(e) for e in ENTRIES] == sorted(listing.index(e) for e in ENTRIES)
        assert all(" ".join(text).count(e) == 1 for e in ENTRIES) and "Never cited" not in " ".join(text)
        assert not any("References" in t for t in text[2:refs_page - 1])  # no paper keeps a list of its own
        assert ("References", refs_page) in contents_entries(pdf)
        assert outline(pdf)[-1] == ("References", [])
        dests = named_destinations(doc)
        assert {f"ref-{k}" for k in ("adams2021", "moreau2020", "zeller2019")} <= set(dests)
        cited = [(name, page) for n in range(3, refs_page) for name, page in index_links(doc, n)
                 if name.startswith("ref-")]
        assert {name for name, _ in cited} == {"ref-adams2021", "ref-moreau2020", "ref-zeller2019"}
        assert all(page == refs_page for _, page in cited)  # every citation, in both papers, leads to the list
    epub = out / "volumes" / "one-list" / "one-list.epub"
    (checked,) = epubcheck([epub])
    assert checked.ok, checked.describe()
    with zipfile.ZipFile(epub) as z:
        names = z.namelist()
        refs = z.read("EPUB/references.xhtml").decode("utf-8")
        nav = etree.fromstring(z.read("EPUB/nav.xhtml"))
        chapters = {n: z.read(n).decode("utf-8") for n in names if re.match(r"EPUB/p\d\d-", n)}
    assert 'epub:type="bibliography"' in refs and 'role="doc-bibliography"' in refs
    assert re.findall(r'<div id="ref-([^"]+)" class="csl-entry', refs) == ["adams2021", "moreau2020", "zeller2019"]
    landmarks = {a.get(f"{{{NAV['epub']}}}type"): a.get("href")
                 for a in nav.xpath("//x:nav[@epub:type='landmarks']//x:a", namespaces=NAV)}
    assert landmarks["bibliography"] == "references.xhtml"
    assert "references.xhtml" in nav.xpath("//x:nav[@epub:type='toc']//x:a/@href", namespaces=NAV)
    links = [h for text in chapters.values() for h in re.findall(r'href="(references\.xhtml#[^"]+)"', text)]
    assert sorted(set(links)) == [f"references.xhtml#ref-{k}" for k in ("adams2021", "moreau2020", "zeller2019")]
    assert not any("csl-entry" in text for text in chapters.values())
    # the default: each paper keeps its own list, at its end
    per_paper = out / "volumes" / "per-paper"
    full = squash(subprocess.run(["pdftotext", str(per_paper / "per-paper.pdf"), "-"], capture_output=True,
                                 check=True).stdout.decode("utf-8"))
    assert full.count("Adams, B. 2021") == 2 and full.count("Zeller, A. 2019") == 1
    with zipfile.ZipFile(per_paper / "per-paper.epub") as z:
        assert "EPUB/references.xhtml" not in z.namelist()
        assert sum(z.read(n).decode("utf-8").count('class="csl-entry"') for n in z.namelist()
                   if n.endswith(".xhtml")) == 4
    # the audit holds both volumes to their members' text: one list stands for the papers' own lists
    from publisher.audit import audit

    findings = {r.slug: [str(p) for p in r.findings] for r in audit(out)}
    assert findings["volumes/one-list"] == findings["volumes/per-paper"] == [], findings


def test_numeric_style_keeps_each_papers_list_with_a_warning(tmp_site, tmp_path):
    root = tmp_site(CITING, CITING_CONFIG.replace("  bibliography: refs.bib", "  bibliography: refs.bib\n  csl: numeric")
                    .split("  volumes:")[0])
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["epub"], volume="category=policy",
                                volume_title="Numbered", volume_bibliography="volume"))
    vol = _volume_result(report)
    assert not vol.failed
    assert any("numeric style" in p.message and p.severity == "warning" for p in vol.problems), vol.problems
    with zipfile.ZipFile(tmp_path / "out" / "volumes" / "numbered" / "numbered.epub") as z:
        assert "EPUB/references.xhtml" not in z.namelist()


@pytest.mark.ace
def test_ace_reports_no_violations_in_a_volume_bibliography(tmp_site, tmp_path):
    root = tmp_site(CITING, CITING_CONFIG)
    assert not build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["epub"])).failed
    status, failures = ace_failures(tmp_path / "out" / "volumes" / "one-list" / "one-list.epub", tmp_path / "ace")
    assert status == 0 and not failures, (status, failures)


def test_a_key_two_bibliographies_define_differently_is_two_entries(tmp_site, tmp_path):
    other = BIB.replace("title = {Water Prices}", "title = {Tide Tables}")  # adams2021: another work
    root = tmp_site({"_posts/2025-01-01-first.md": CITING["_posts/2025-01-01-first.md"], "refs.bib": BIB,
                     "other.bib": other,
                     "_posts/2025-02-01-second.md": "---\ntitle: Second Paper\ncategories: [policy]\n"
                     "bibliography: other.bib\n---\n\nTables [@adams2021] and tides [@zeller2019].\n"},
                    CITING_CONFIG.split("    - slug: per-paper")[0])
    out = tmp_path / "out"
    assert not build(BuildOptions(source=root, out=out, jobs=1, formats=["epub"])).failed
    epub = out / "volumes" / "one-list" / "one-list.epub"
    with zipfile.ZipFile(epub) as z:
        refs = z.read("EPUB/references.xhtml").decode("utf-8")
        second = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("EPUB/p02-"))
    entries = dict(re.findall(r'<div id="(ref-[^"]+)" class="csl-entry" role="listitem">\s*(.+?)\s*<a', refs))
    assert sorted(entries) == ["ref-adams2021", "ref-adams2021--2", "ref-zeller2019"]  # the same zeller2019 once
    assert "Water prices" in entries["ref-adams2021"] and "Tide tables" in entries["ref-adams2021--2"]
    assert 'href="references.xhtml#ref-adams2021--2"' in second and 'href="references.xhtml#ref-zeller2019"' in second
    (checked,) = epubcheck([epub])
    assert checked.ok, checked.describe()
