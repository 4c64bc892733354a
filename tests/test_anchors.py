"""Ids and in-page links as real posts write them (issue 15, realworld validation): `<a name>` anchors,
links to fragments that exist nowhere, ids used twice, links nested in the contents, skipped heading
levels, block elements inside a paragraph, `style` attributes that hold no CSS, obsolete elements.
One tiny site of our own, built once (HTML and EPUB); each test asserts what the editions contain,
and the last two that EPUBCheck and the Nu checker find nothing wrong."""
from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from publisher.build import BuildOptions, build
from publisher.validate import epubcheck

VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

POSTS = {
    "2024-02-01-name-anchors.md": """---
title: Name anchors
---
## Method

As [the results](#results) and [the first table](#t1) show, old anchors still work.

<a name="results"></a>
The results paragraph follows its anchor.

<table><a name="t1"> </a>
<tr><td>cell</td></tr>
</table>

Closing words.
""",
    "2024-02-02-dangling.md": """---
title: Dangling links
---
## Setup

See the [Appendix](#appendix) for details,
and the [setup](#Setup) above.
""",
    "2024-02-03-duplicate-ids.md": """---
title: Duplicate ids
---
## Optimizer

<div id="optimizer">The optimizer settings.</div>

Back to [the optimizer](#optimizer). A claim.[^1]

## Footnotes

Our own section called Footnotes.

[^1]: The note.
""",
    "2024-02-04-contents-links.md": """---
title: Contents links
---
## [Lightbox](https://example.org/lightbox)

Text.

## Benchmark[^n]

More text.

[^n]: A note in a heading.
""",
    "2024-02-05-outline.md": """---
title: Outline
---
## Top

Intro.

#### Deep

A heading two levels down.
""",
    "2024-02-06-raw-blocks.md": """---
title: Raw blocks
---
Some text.

<div class="wrap">
<p>Lead-in.</p>
<style>.wrap { color: #222; }</style>
</div>

<p>
<figure>
<span style="summary-math">A boxed figure.</span>
<figcaption>A caption.</figcaption>
</figure>
</p>

An <strike>old</strike> word.
""",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(out folder, every problem as text) for the fixture site, built in HTML and EPUB."""
    root = tmp_path_factory.mktemp("anchors-site")
    (root / "_config.yml").write_text("title: Anchors\nurl: https://example.org\n", encoding="utf-8")
    (root / "_posts").mkdir()
    for name, text in POSTS.items():
        (root / "_posts" / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("anchors-out")
    report = build(BuildOptions(source=root, out=out, jobs=2, formats=["html", "epub"]))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    problems = [str(p) for p in report.problems] + [str(p) for r in report.papers for p in r.problems]
    return out, problems


def _main(out: Path, slug: str):
    return lxml_html.fromstring((out / slug / "index.html").read_text(encoding="utf-8")).cssselect("main")[0]


def _epub_body(out: Path, slug: str):
    """Every chapter of the slug's EPUB (not the nav, cover or title page) as one lxml tree."""
    box = lxml_html.Element("div")
    with zipfile.ZipFile(out / slug / f"{slug}.epub") as z:
        for name in sorted(z.namelist()):
            if name.endswith(".xhtml") and not name.endswith(("nav.xhtml", "cover.xhtml", "title.xhtml")):
                box.append(lxml_html.fromstring(z.read(name)))
    return box


def _ids(root) -> list[str]:
    return [el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")]


def _editions(out: Path, slug: str):
    return [("html", _main(out, slug)), ("epub", _epub_body(out, slug))]


def test_name_anchors_become_ids_the_links_reach(site):
    out, _ = site
    for where, root in _editions(out, "name-anchors"):
        assert not root.xpath(".//a[@name]"), where
        results = root.xpath(".//*[@id='results']")
        assert len(results) == 1 and results[0].tag == "span", where
        tables = root.xpath(".//table[@id='t1']")
        assert len(tables) == 1, where  # the anchor inside the table gives the table its id
        hrefs = [a.get("href").rsplit("#", 1)[1] for a in root.iter("a") if "#" in (a.get("href") or "")]
        assert "results" in hrefs and "t1" in hrefs, where


def test_a_link_to_no_fragment_is_plain_text_with_a_warning(site):
    out, problems = site
    for where, root in _editions(out, "dangling"):
        assert not [a for a in root.iter("a") if (a.get("href") or "").endswith("#appendix")], where
        assert "See the Appendix for details" in " ".join(root.text_content().split()), where
        assert [a for a in root.iter("a") if (a.get("href") or "").endswith("#setup")], where  # case variant
    warned = [p for p in problems if "#appendix" in p]
    assert len(warned) == 1, problems
    assert warned[0].startswith("_posts/2024-02-02-dangling.md:6: warning:"), warned
    assert not [p for p in problems if "#Setup" in p]


def test_ids_are_unique_and_headings_keep_theirs(site):
    out, _ = site
    for where, root in _editions(out, "duplicate-ids"):
        ids = _ids(root)
        assert len(ids) == len(set(ids)), (where, sorted(i for i in ids if ids.count(i) > 1))
        owner = root.xpath(".//*[@id='optimizer']")[0]
        assert owner.tag in ("section", "h2") and "Optimizer" in owner.text_content(), where
        assert root.xpath(".//div[@id='optimizer-2']"), where
        footnotes = root.xpath(".//*[@id='footnotes']")[0]
        assert "Our own section" in footnotes.text_content(), where  # the heading's section keeps its id
    page = lxml_html.fromstring((out / "duplicate-ids" / "index.html").read_text(encoding="utf-8"))
    ids = _ids(page)
    assert len(ids) == len(set(ids))


def test_contents_entries_hold_no_links_or_ids(site):
    out, _ = site
    page = lxml_html.fromstring((out / "contents-links" / "index.html").read_text(encoding="utf-8"))
    toc = page.cssselect("nav.toc")[0]
    entries = toc.xpath(".//a")
    assert [a.text_content().strip() for a in entries] == ["Lightbox", "Benchmark"]
    assert not toc.xpath(".//a//a") and not toc.xpath(".//*[@id and not(@id='toc-title')]")
    assert len(page.xpath("//*[@id='fnref1']")) == 1
    assert page.xpath("//a[@href='https://example.org/lightbox']")  # the heading itself keeps its link


def test_a_skipped_heading_level_becomes_the_next_level(site):
    out, _ = site
    for where, root in _editions(out, "outline"):
        deep = [h for h in root.iter("h2", "h3", "h4", "h5") if "Deep" in h.text_content()]
        assert [h.tag for h in deep] == ["h3"], where
    page = lxml_html.fromstring((out / "outline" / "index.html").read_text(encoding="utf-8"))
    nested = page.xpath("//nav[contains(@class, 'toc')]//li[a='Top']/ol/li/a")
    assert [a.text_content() for a in nested] == ["Deep"]  # the contents nest it one level down, like the body


def test_raw_blocks_style_and_obsolete_elements(site):
    out, _ = site
    for where, root in _editions(out, "raw-blocks"):
        assert not root.xpath(".//p[.//figure]"), where
        assert root.xpath(".//figure/figcaption"), where
        assert not root.xpath(".//*[@style='summary-math']"), where
        assert "A boxed figure." in root.text_content()
        assert not root.xpath(".//strike") and root.xpath(".//s[text()='old']"), where
    style = _main(out, "raw-blocks").xpath(".//div[@class='wrap']/style")
    assert style and style[0].getparent().index(style[0]) == 0


def test_epubs_pass_epubcheck(site):
    out, _ = site
    reports = epubcheck(sorted(out.glob("*/*.epub")))
    assert len(reports) == len(POSTS)
    bad = [r.describe() for r in reports if not r.ok]
    assert not bad, "\n".join(bad)


def test_html_pages_pass_the_nu_checker(site):
    out, _ = site
    assert VNU_JAR.is_file(), "the Nu HTML Checker is missing: run scripts/npm-deps.sh"
    pages = sorted(out.glob("*/index.html"))
    assert len(pages) == len(POSTS)
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=600)
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}"
              for m in json.loads(proc.stdout or proc.stderr)["messages"] if m["type"] == "error"]
    assert not errors, "\n".join(errors)
