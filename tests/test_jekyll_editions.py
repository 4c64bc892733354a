"""No Liquid or kramdown syntax reaches any edition of the Jekyll fixture sites, and no math is lost."""
from __future__ import annotations

import re
import subprocess
import zipfile

import pytest
from lxml import html as lxml_html

SYNTAX = [r"\{%", r"\{\{", r"\{:", r"\{::", r"\*\[\w+\]:", r"\$\$", r":tada:", r"\bTOC\b", r"markdown=",
          r"post_url", r"endhighlight", r"\\\\\(", r"\\\\\[",
          r"\*friends\*", r"&amp;", r"&\w+;"]  # the title's Markdown and entity are rendered
SITES = ["jekyll-syntax"]
RAW_LITERAL = "{{ not_a_variable }} and {% not_a_tag %}"  # kept on purpose by {% raw %}


def _html_text(markup: str, keep_cite: bool = False) -> str:
    root = lxml_html.fromstring(markup)
    for el in list(root.iter("style", "script", "annotation")):
        el.drop_tree()
    if not keep_cite:  # the "Cite this" box is checked on its own below (known defect)
        for el in root.cssselect("details.cite"):
            el.drop_tree()
    return root.text_content()


def _texts(out):
    """(edition, visible text) for every HTML page, EPUB chapter and PDF of a built site."""
    for page in sorted(out.glob("*/index.html")):
        yield page.relative_to(out).as_posix(), _html_text(page.read_text(encoding="utf-8"))
    for epub in sorted(out.glob("*/*.epub")):
        with zipfile.ZipFile(epub) as z:
            for name in z.namelist():
                if name.endswith(".xhtml"):
                    yield f"{epub.name}!{name}", _html_text(z.read(name).decode("utf-8").encode())
    for pdf in sorted(out.glob("*/*.pdf")):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, timeout=60).stdout
        yield pdf.name, text.decode("utf-8", "replace")


@pytest.mark.parametrize("site", SITES)
def test_no_liquid_or_kramdown_syntax_in_any_edition(built_sites, site):
    report = built_sites[site]
    assert not report.failed and len(report.papers) == 2
    seen = 0
    for where, text in _texts(report.out):
        seen += 1
        text = re.sub(r"\s+", " ", text).replace(RAW_LITERAL, "")
        for pattern in SYNTAX:
            assert not re.search(pattern, text), f"{where}: {pattern!r} visible"
    assert seen >= 6


@pytest.mark.parametrize("site", SITES)
def test_no_math_warning_from_pandoc(built_sites, site):
    problems = [str(p) for r in built_sites[site].papers for p in r.problems]
    # no pandoc warning about math, and no edition that could not draw a formula
    assert not [p for p in problems if re.search(r"math|TeX", p, re.I)], problems
    page = (built_sites[site].out / "kramdown-features" / "index.html").read_text(encoding="utf-8")
    assert page.count('<math display="inline"') == 2 and page.count('<math display="block"') == 2


def test_liquid_and_kramdown_results_are_in_the_html(built_sites):
    out = built_sites["jekyll-syntax"].out
    liquid = (out / "liquid-features" / "index.html").read_text(encoding="utf-8")
    assert "says the answer is 42" in liquid and "alpha, beta, gamma" in liquid
    assert RAW_LITERAL in _html_text(liquid)  # {% raw %} keeps its text literally
    # post_url/link: the target is in the same build, so the page links to its HTML edition (tests/test_links.py)
    assert 'href="../kramdown-features/index.html"' in liquid
    assert "numberLines" in liquid and "<strong>Note:</strong> included text (Syntax Fixture)" in liquid
    kram = (out / "kramdown-features" / "index.html").read_text(encoding="utf-8")
    assert "Kramdown &amp; <em>friends</em>" in kram  # Markdown and entities in the title
    assert '<abbr title="HyperText Markup Language">HTML</abbr>' in kram
    assert 'id="opening" class="lead"' in kram and 'class="external"' in kram
    assert "🎉" in kram and "@someone" in kram and "$5 and $10" in kram
    assert "This comment must not appear" not in kram


def test_citation_box_shows_the_title_as_text(built_sites):
    page = built_sites["jekyll-syntax"].out / "kramdown-features" / "index.html"
    text = _html_text(page.read_text(encoding="utf-8"), keep_cite=True)
    assert "*friends*" not in text and "&amp;" not in text
