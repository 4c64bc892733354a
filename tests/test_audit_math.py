"""Display equations, tables, notes and hidden text, as a Jekyll site shows them, reach every edition and
the audit counts them as the site does (issue 15): tiny posts of our own, built in all three editions."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publisher.audit import audit
from publisher.audit.markup import image_identity
from publisher.audit.source import measure_source
from publisher.build import BuildOptions, build

ROWS = r"""---
title: Rows without an environment
---
The mixing weights obey two conditions at once:

$$
Q = \sum_{i} w_i q_i + b, \\
w_i = \frac{\partial Q}{\partial q_i} \geq 0.
\tag{5} \label{5}
$$

Both rows hold for every agent, $$x \\ y$$ inline too.
"""

TABLES = """---
title: Tables written for kramdown
---
The first table opens and closes with a separator line, as some authors write it.

| ------------- |-------------|
| Facet         | Meaning     |
| ------------- |-------------|
| Start         | first mode  |
| Trigger       | when to switch |
| ------------- |-------------|

The second has no header at all.

| alpha | one |
| beta  | two |

The end of the tables.
"""

BLANK_MATH = r"""---
title: A formula with a blank line
---
The update is one formula, whatever blank line its author left in it:

$$
\begin{align}
u &= v + \left(\begin{array}{c}
0\\

- w
\end{array}\right)
\end{align}
$$

And the text goes on after it.
"""

HIDDEN = """---
title: Hidden drafts
---
The visible part of the post carries one note.[^seen]

<div style="display: none" markdown="1">

## Draft appendix

Words the site never shows, with a note of their own.[^unseen] See [the conclusion](#conclusion).

</div>

The [draft](#draft-appendix) is linked from the text.

## Conclusion

Only what the reader sees is counted.

<!--
$$ a = b $$

| a | b |
|---|---|
| c | d |
-->

[^seen]: The note the reader sees.
[^unseen]: A note nobody sees.
"""

FOOTNOTES_HEADING = """---
title: A section named Footnotes
---
Opening words of the post.

## Footnotes

This section explains how notes are written, and has none itself.

## Afterwards

Closing words of the post.
"""

HTML_POST = """---
title: Notes in an HTML post
---
<p>The distill element makes a note here.<d-footnote>Hover text of the note.</d-footnote></p>

<h2 id="footnotes">Footnotes</h2>

<p>Write the note inside the element, as above.</p>
"""

WIDE = "---\ntitle: A wide formula\n---\nThe sum is wider than the page:\n\n$$\n" + " + ".join(
    f"\\frac{{a_{{{i}}}}}{{b_{{{i}}}}}" for i in range(1, 41)) + " \\label{eq:wide}\n$$\n\nSee \\eqref{eq:wide}.\n"

BIB_POST = """---
title: Math in a reference
bibliography: math-refs.bib
---
The method follows earlier work <d-cite key="greek2016"></d-cite>.
"""

BIB = r"""@article{greek2016,
  title = {Fast {$\epsilon$}-Free Inference with {$O(n^2)$} Steps},
  author = {Papadopoulos, Maria},
  journal = {Journal of Examples},
  year = {2016}
}
"""

RAW_MATH = r"""---
title: One bad formula
---
Before the block.

<p class="framed">Good \(a + b\), bad \(\nosuchcommand{x}\) and good again \(c^2\).</p>

After the block.
"""


@pytest.fixture(scope="module")
def site_out(tmp_path_factory) -> tuple[Path, object]:
    base = tmp_path_factory.mktemp("audit-math")
    root = base / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text("title: Math fixtures\nurl: https://example.org\n", encoding="utf-8")
    posts = {"2025-02-01-rows.md": ROWS, "2025-02-02-tables.md": TABLES, "2025-02-03-blank-math.md": BLANK_MATH,
             "2025-02-04-hidden.md": HIDDEN, "2025-02-05-footnotes-heading.md": FOOTNOTES_HEADING,
             "2025-02-06-notes.html": HTML_POST, "2025-02-07-raw-math.md": RAW_MATH, "2025-02-08-wide.md": WIDE}
    posts["2025-02-09-bib-math.md"] = BIB_POST
    for name, text in posts.items():
        (root / "_posts" / name).write_text(text, encoding="utf-8")
    (root / "assets" / "bibliography").mkdir(parents=True)
    (root / "assets" / "bibliography" / "math-refs.bib").write_text(BIB, encoding="utf-8")
    out = base / "out"
    report = build(BuildOptions(source=root, out=out, jobs=1))
    assert not report.failed, [p.problems for p in report.papers]
    return out, report


def page(out: Path, slug: str):
    return lxml_html.parse(str(out / slug / "index.html")).getroot().find_class("paper-text")[0]


def epub_text(out: Path, slug: str) -> str:
    with zipfile.ZipFile(out / slug / f"{slug}.epub") as z:
        return "".join(z.read(n).decode("utf-8") for n in sorted(z.namelist()) if n.endswith(".xhtml"))


def pdf_text(out: Path, slug: str) -> str:
    return subprocess.run(["pdftotext", str(out / slug / f"{slug}.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout


def problems(report, slug: str) -> list[str]:
    (paper,) = [p for p in report.papers if p.slug == slug]
    return [str(p) for p in paper.problems]


def test_the_audit_finds_nothing(site_out):
    out, _report = site_out
    findings = {r.slug: [f.text for f in r.findings] for r in audit(out)}
    assert findings and not any(findings.values()), findings


def test_rows_without_an_environment_are_typeset(site_out):
    out, report = site_out
    body = page(out, "rows")
    display = [m for m in body.iter("math") if m.get("display") == "block"]
    assert len(display) == 1 and len(display[0].findall(".//mtr")) == 2
    assert not body.find_class("math-fallback")
    assert body.find_class("eq-number")[0].text_content() == "(5)"
    assert not [p for p in problems(report, "rows") if "math" in p]
    assert "\\" not in pdf_text(out, "rows")


def test_kramdown_tables_become_tables(site_out):
    out, _report = site_out
    body = page(out, "tables")
    tables = body.findall(".//table")
    assert len(tables) == 2
    first, second = tables
    assert [th.text_content().strip() for th in first.iter("th")] == ["Facet", "Meaning"]
    assert [td.text_content().strip() for td in first.iter("td")] == ["Start", "first mode", "Trigger",
                                                                       "when to switch"]
    assert second.find(".//thead") is None and len(second.findall(".//tr")) == 2
    assert "---" not in body.text_content() and "\u2014" not in body.text_content()
    assert epub_text(out, "tables").count("<table") == 2


def test_a_math_block_keeps_its_blank_line_inside(site_out):
    out, report = site_out
    body = page(out, "blank-math")
    assert len([m for m in body.iter("math") if m.get("display") == "block"]) == 1
    assert body.find(".//ul") is None and not body.find_class("math-fallback")
    assert not [p for p in problems(report, "blank-math") if "math" in p]


def test_hidden_content_reaches_no_edition(site_out):
    out, report = site_out
    body = page(out, "hidden")
    assert [h.text_content().split("#")[0].strip() for h in body.iter("h2") if "notes-title" not in
            (h.get("class") or "")] == ["Conclusion"]
    assert "never shows" not in body.text_content() and "nobody sees" not in body.text_content()
    assert "The note the reader sees." in body.text_content()
    assert "The draft is linked from the text." in body.text_content()
    assert not body.xpath(".//a[@href='#draft-appendix']")
    assert not [p for p in problems(report, "hidden") if "leads nowhere" in p]
    assert "Draft appendix" not in epub_text(out, "hidden")
    assert "Draft appendix" not in pdf_text(out, "hidden")


def test_a_section_named_footnotes_stays_in_the_epub(site_out):
    out, _report = site_out
    assert "This section explains how notes are written" in epub_text(out, "footnotes-heading")


def test_distill_note_in_an_html_post_is_a_note(site_out):
    out, _report = site_out
    body = page(out, "notes")
    assert "^[" not in body.text_content()
    assert len(body.find_class("footnote-ref")) == 1
    text = epub_text(out, "notes")
    assert "Hover text of the note." in text and 'epub:type="footnote"' in text
    assert "Write the note inside the element" in text


def test_a_wide_numbered_formula_shrinks_to_the_text_block(site_out):
    out, _report = site_out
    (record,) = [r for r in audit(out) if r.slug == "wide"]
    assert record.measures["html"].equations == 1 and not record.findings, record.findings
    assert "(1)" in pdf_text(out, "wide")  # its number is set, inside the text block (the audit looks)


def test_math_in_a_bibliography_entry_is_set_as_text(site_out):
    out, _report = site_out
    refs = page(out, "bib-math").get_element_by_id("refs").text_content()
    assert "\u03f5-free inference with o(n\u00b2) steps" in re.sub(r"\s+", " ", refs).lower(), refs
    assert "$" not in refs and "\\" not in refs
    assert "\\" not in pdf_text(out, "bib-math")


def test_one_bad_formula_in_raw_html_costs_only_itself(site_out):
    out, report = site_out
    body = page(out, "raw-math")
    framed = body.find_class("framed")[0]
    assert [m.find(".//annotation").text for m in framed.iter("math")] == ["a + b", "c^2"]
    assert "\\(\\nosuchcommand{x}\\)" in framed.text_content()
    warned = [p for p in problems(report, "raw-math") if "nosuchcommand" in p]
    assert len(warned) == 1 and warned[0].startswith("_posts/2025-02-07-raw-math.md:6: warning:"), warned


def _measure(tmp_path: Path, text: str):
    post = tmp_path / "post.md"
    post.write_text("---\ntitle: T\n---\n" + text, encoding="utf-8")
    return measure_source(post)


def test_source_counts_follow_kramdown(tmp_path):
    m = _measure(tmp_path, "\n".join([
        "Text.", "",
        "$$a = b$$.", "",  # 6: a paragraph with inline math (text follows the $$)
        "$$c = d$$ and more words", "",  # 8: the same
        "$$", "e", "", "f", "$$", "",  # 10: one block, a blank line inside
        "<!-- $$ g $$", "", "$$ h $$", "-->", "",  # 16: in a comment
        "| x | y |", "| z | w |", "",  # 21: a table without a header
        "| --- | --- |", "| h | i |", "| --- | --- |", "| j | k |", "| --- | --- |", "",  # 24: one table
        "<div hidden>", "", "| p | q |", "|---|---|", "| r | s |", "", "</div>", "",
        '<img src="{{ \'assets/fig.png\' | relative_url }}" alt="a figure">',
    ]))
    assert m.equations == [10]
    assert m.tables == [21, 24]
    assert [(line, identity) for line, identity, _ref in m.figures] == [(38, image_identity("assets/fig.png"))]


def test_kramdown_tables_are_rewritten_only_where_pandoc_misreads_them():
    from publisher.jekyll.kramdown_tables import to_pipe_tables

    ready = ["", "| a | b |", "|:--|--:|", "| c | d |", ""]
    assert to_pipe_tables(ready) == ready
    code = ["", "    | --- | --- |", "    | a | b |", ""]
    assert to_pipe_tables(code) == code
    sentence = ["", "Pick a | b or c.", ""]
    assert to_pipe_tables(sentence) == sentence
    split = ["", "| h | i |", "|:-:|--:|", "| a | b |", "| - | - |", "| c | `x|y` |", "|===|===|", "| e | f |", ""]
    assert to_pipe_tables(split) == ["", "| h | i |", "|:---:|---:|", "| a | b |", "| c | `x|y` |", "| e | f |", "",
                                     "", ""]


@pytest.mark.java
def test_every_epub_passes_epubcheck(site_out):
    from publisher.validate import epubcheck

    out, _report = site_out
    reports = epubcheck(sorted(out.rglob("*.epub")))
    assert len(reports) == 9 and all(r.ok for r in reports), [(r.path.name, r.messages[:3]) for r in reports
                                                               if not r.ok]
