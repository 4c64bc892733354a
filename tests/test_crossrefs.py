"""Issue 18: numbered cross-references, equation numbers, callouts and theorems in every edition.

One fixture paper (tests/crossrefs/site) uses every syntax; it is built once for this module. The
golden tests of the three filters are in tests/filters/{crossref,callouts,theorems}."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from lxml import etree
from lxml import html as lxml_html

from publisher.build import BuildOptions, build
from publisher.model import Paper

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "tests" / "crossrefs" / "site"
SLUG = "orchard-yields"
POST = "_posts/2024-03-01-orchard-yields.md"
XHTML = "http://www.w3.org/1999/xhtml"

# label → the text a `@label` reference shows
EXPECTED_REFS = {
    "fig:yield": "Figure 1", "fig-second": "Figure 2", "tbl:counts": "Table 1", "tbl-tally": "Table 2",
    "eq:mean": "Equation (1)", "sec:method": "Section 2", "sec:rules": "Section 2.1", "sec:intro": "Section 1",
    "thm-count": "Theorem 1", "lem:pairs": "Lemma 1",
}


def _line(text: str) -> int:
    """The line of the fixture post that contains TEXT."""
    lines = (SITE / POST).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines, start=1) if text in line)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("xref-out")
    report = build(BuildOptions(source=SITE, out=out))
    assert not report.failed, [str(p) for r in report.papers for p in r.problems]
    return report


@pytest.fixture(scope="module")
def page(built):
    return lxml_html.fromstring((built.out / SLUG / "index.html").read_bytes())


def _text(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


# --- numbering and links on the HTML page -------------------------------------------------------------

def test_figures_tables_and_equations_are_numbered(page):
    captions = {f.get("id"): _text(f.find("figcaption")) for f in page.iter("figure") if f.get("id")}
    assert captions == {"fig:yield": "Figure 1. Yield per tree over the season",
                        "fig-second": "Figure 2. Yield again, Quarto style"}
    tables = {t.get("id"): _text(t.find("caption")) for t in page.iter("table") if t.get("id")}
    assert tables == {"tbl:counts": "Table 1. Apples counted per row", "tbl-tally": "Table 2. Bins per row"}
    numbers = [(eq.get("id"), _text(eq.find_class("eq-number")[0])) for eq in page.find_class("equation")]
    assert numbers == [("eq:mean", "(1)"), ("eq:var", "(2)"), ("eq:bound", "(B)"), (None, "(3)"),
                       ("eq:first", "(4) (5)")]  # an align: one number per row, stacked
    # the TeX that MathJax reads is gone from the formula; the number is outside the MathML
    for eq in page.find_class("equation"):
        assert "\\label" not in _text(eq) and "\\tag" not in _text(eq)
        assert eq.find(".//math") is not None


def test_references_read_as_names_and_resolve_on_the_page(page):
    ids = {el.get("id") for el in page.iter() if el.get("id")}
    refs = [(a.get("href")[1:], _text(a)) for a in page.find_class("xref")]
    assert refs, "no cross-reference links"
    for target, _ in refs:
        assert target in ids, f"#{target} leads nowhere"
    shown = dict(refs)
    for label, text in EXPECTED_REFS.items():
        assert (label, text) in refs, (label, shown.get(label))
    # MathJax style: \eqref is the number in parentheses, \ref the bare number, \eqref of a \tag its tag
    assert ("eq:var", "(2)") in refs and ("eq:var", "2") in refs and ("eq:bound", "(B)") in refs
    assert ("eq:first", "(4)") in refs


def test_missing_labels_show_question_marks_and_warn_with_their_line(built, page):
    missing = page.find_class("xref-missing")
    assert [_text(m) for m in missing] == ["??", "??"]
    assert all(m.tag == "span" and m.get("href") is None for m in missing)  # never an empty link
    problems = [p for r in built.papers for p in r.problems]
    line = _line("@fig:nowhere")
    got = {(p.line, p.message) for p in problems if p.severity == "warning"}
    assert (line, "reference to a missing label 'fig:nowhere' (shown as ??)") in got
    assert (line, "reference to a missing label 'eq:nowhere' (shown as ??)") in got
    assert (_line("y = 1 \\label{eq:mean}"), "label 'eq:mean' is defined twice") in got
    text = "\n".join(str(p) for p in problems)
    assert f"{POST}:{line}: warning: reference to a missing label 'fig:nowhere'" in text


def test_no_source_syntax_is_left_visible(built):
    html = _text(lxml_html.fromstring((built.out / SLUG / "index.html").read_bytes()).find(".//main"))
    epub = " ".join(_text(lxml_html.fromstring(data)) for name, data in _epub_files(built).items()
                    if name.endswith(".xhtml"))
    pdf = subprocess.run(["pdftotext", str(built.out / SLUG / f"{SLUG}.pdf"), "-"], capture_output=True,
                         text=True, timeout=60).stdout
    for edition, text in (("html", html), ("epub", epub), ("pdf", pdf)):
        for leftover in ("{#", "@fig", "@tbl", "@eq", "@sec", "@thm", "\\eqref", "\\ref{", "\\label", "[!NOTE]",
                         "[!WARNING]", "{: .", ":::"):
            assert leftover not in text, (edition, leftover)


# --- callouts and theorems ---------------------------------------------------------------------------

def test_every_callout_syntax_becomes_a_labelled_note(page):
    callouts = page.find_class("callout")
    got = [(c.get("role"), c.get("aria-label"), _text(c.find_class("callout-title")[0])) for c in callouts]
    titles = ["Note", "Warning", "Warning", "Note", "Tip", "Read this", "Tip", "Aside"]
    assert got == [("note", t, t) for t in titles]
    kinds = [next(k for k in c.get("class").split() if k.startswith("callout-")) for c in callouts]
    assert kinds == ["callout-note", "callout-warning", "callout-warning", "callout-note", "callout-tip",
                     "callout-important", "callout-tip", "callout-aside"]
    assert "the morning" in _text(callouts[0]) and "[!NOTE]" not in _text(callouts[0])
    assert callouts[4].find(".//blockquote") is None  # `{: .block-tip}` after a quotation: the quotation is the box


def test_theorems_are_numbered_and_proofs_end_with_a_square(page):
    envs = [(d.get("aria-label"), _text(d)) for d in page.find_class("theorem-like")]
    assert envs == [("Theorem 1", "Theorem 1 (Counting). Every apple is counted once."),
                    ("Lemma 1", "Lemma 1. Pairs of trees share no apple."),
                    ("Proof", "Proof. Each apple hangs from one branch. ∎"),
                    ("Definition 1", "Definition 1. A row is a line of trees.")]
    assert all(d.get("role") == "group" for d in page.find_class("theorem-like"))
    assert page.find_class("theorem-like")[0].get("data-crossref-text") is None  # used up by crossref.lua


def test_lists_of_figures_and_tables(page):
    figures = page.get_element_by_id("list-of-figures")
    assert [(a.get("href"), _text(a)) for a in figures.iter("a") if "anchor" not in (a.get("class") or "")] == \
        [("#fig:yield", "Figure 1"), ("#fig-second", "Figure 2")]
    tables = page.get_element_by_id("list-of-tables")
    assert "Table 2. Bins per row" in _text(tables)


def test_front_matter_switches_the_lists_per_paper(tmp_site, tmp_path):
    from publisher import crossref

    paper = Paper(source=Path("x.md"), rel_source="x.md", slug="x", title="T", date=None, url="/x", body="",
                  meta={"publisher": {"list_of_figures": False, "list_of_tables": True}})
    assert crossref.pandoc_args(paper, list_of_figures=True) == ["--metadata=list-of-tables:true"]
    plain = Paper(source=Path("x.md"), rel_source="x.md", slug="x", title="T", date=None, url="/x", body="")
    assert crossref.pandoc_args(plain) == []
    assert crossref.pandoc_args(plain, True, True) == ["--metadata=list-of-figures:true",
                                                       "--metadata=list-of-tables:true"]


# --- EPUB: links across chapter files, EPUBCheck, Ace --------------------------------------------------

def _epub_files(built) -> dict[str, bytes]:
    with zipfile.ZipFile(built.out / SLUG / f"{SLUG}.epub") as z:
        return {n: z.read(n) for n in z.namelist()}


def test_epub_references_resolve_across_chapter_files(built):
    files = {n: etree.fromstring(d) for n, d in _epub_files(built).items() if n.endswith(".xhtml")}
    ids = {n: {el.get("id") for el in doc.iter() if el.get("id")} for n, doc in files.items()}
    crossing = 0
    followed = {}
    for name, doc in files.items():
        for a in doc.iter(f"{{{XHTML}}}a"):
            if "xref" not in (a.get("class") or "").split():
                continue
            href = a.get("href")
            file, _, frag = href.rpartition("#")
            target = str(PurePosixPath(name).parent / file) if file else name
            assert frag in ids.get(target, set()), f"{name}: {href} leads nowhere"
            crossing += target != name
            followed[frag] = "".join(a.itertext())
    assert crossing >= 3, "the fixture refers across chapters: some links must lead to another file"
    for label, text in EXPECTED_REFS.items():
        assert followed.get(label) == text, label
    # equation numbers stand beside the MathML
    numbers = [re.sub(r"\s+", "", "".join(s.itertext())) for doc in files.values() for s in doc.iter(f"{{{XHTML}}}span")
               if "eq-number" in (s.get("class") or "")]
    assert numbers == ["(1)", "(2)", "(B)", "(3)", "(4)(5)"]


def test_epub_passes_epubcheck(built):
    from publisher.validate import epubcheck

    (report,) = epubcheck([built.out / SLUG / f"{SLUG}.epub"])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.describe()


def test_epub_passes_ace(built, tmp_path):
    from test_epub import ace

    status, failures, _ = ace(built.out / SLUG / f"{SLUG}.epub", tmp_path / "ace")
    assert status == 0 and not failures, (status, failures)


# --- PDF: internal links and equation numbers at the right margin ------------------------------------------

def test_pdf_references_are_internal_links(built):
    import pikepdf

    with pikepdf.open(built.out / SLUG / f"{SLUG}.pdf") as pdf:
        dests = set(pikepdf.NameTree(pdf.Root.Names.Dests).keys())
        links = [str(a.Dest) for page in pdf.pages for a in page.get("/Annots", [])
                 if a.get("/Subtype") == "/Link" and a.get("/Dest") is not None]
    for label in EXPECTED_REFS:
        assert label in dests and label in links, label


def test_pdf_equation_numbers_sit_at_the_right_margin(built):
    from pypdf import PdfReader

    reader = PdfReader(built.out / SLUG / f"{SLUG}.pdf")
    width = float(reader.pages[0].mediabox.width)
    found = {}
    for page in reader.pages:
        def visit(text, cm, tm, font, size):
            if re.fullmatch(r"\((1|2|3|B)\)", text.strip()):
                found[text.strip()] = max(found.get(text.strip(), 0), tm[4] * cm[0] + cm[4])
        page.extract_text(visitor_text=visit)
    assert set(found) == {"(1)", "(2)", "(3)", "(B)"}, found  # (2) also in the text: the rightmost counts
    assert all(x > width * 0.75 for x in found.values()), (found, width)


# --- the HTML page: valid and accessible -----------------------------------------------------------------

def test_html_page_is_valid(built):
    from conftest import VNU_JAR
    import json

    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout",
                           str(built.out / SLUG / "index.html")], capture_output=True, text=True, timeout=300)
    errors = [m["message"] for m in json.loads(proc.stdout or proc.stderr)["messages"] if m["type"] == "error"]
    assert not errors, errors


@pytest.mark.parametrize("width,scheme", [(375, "dark"), (1280, "light")])
def test_html_page_has_no_axe_violations(built, axe_check, width, scheme):
    violations = axe_check(built.out / SLUG / "index.html", width, scheme)
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


def test_filters_write_the_same_bytes_every_run(tmp_path):
    """Lua tables have no fixed order: attributes are written from lists, so output never varies."""
    from test_filters import run_filter

    for name in ("callouts", "theorems", "crossref"):
        runs = {run_filter(name, tmp_path) for _ in range(4)}
        assert len(runs) == 1, name


# --- equations labelled inside raw HTML blocks (tests/crossrefs/rawhtml-site) -----------------------------

RAW_SITE = ROOT / "tests" / "crossrefs" / "rawhtml-site"
RAW_SLUG = "kettle-cooling"
# label → its number; the raw-HTML align numbers rows 1 and 3 (the middle one has \nonumber)
RAW_NUMBERS = {"eq:newton": "(1)", "eq:solution": "(2)", "eq:heat": "(4)"}
SOURCE_TEX = ("\\eqref", "\\ref{", "\\label", "\\tag", "\\begin{")


@pytest.fixture(scope="module")
def raw_built(tmp_path_factory):
    report = build(BuildOptions(source=RAW_SITE, out=tmp_path_factory.mktemp("rawref-out")))
    assert not report.failed, [str(p) for r in report.papers for p in r.problems]
    return report


def _math_text(math) -> str:
    """What a formula draws: its text without the TeX annotation."""
    return "".join((el.text or "").strip() for el in math.iter() if not str(el.tag).endswith("annotation"))


def _raw_equations(doc, ns: str = "") -> dict[str, str]:
    """id of each empty anchor span → the text of the formula right after it."""
    found = {}
    for span in doc.iter(f"{ns}span"):
        nxt = span.getnext()
        if span.get("id") and not len(span) and nxt is not None and str(nxt.tag).endswith("math"):
            found[span.get("id")] = _math_text(nxt)
    return found


def _xrefs(doc, ns: str = "") -> list[tuple[str, str]]:
    return [(a.get("href"), "".join(a.itertext())) for a in doc.iter(f"{ns}a")
            if "xref" in (a.get("class") or "").split()]


def test_raw_html_equations_are_numbered_and_referenced_on_the_page(raw_built):
    page = lxml_html.fromstring((raw_built.out / RAW_SLUG / "index.html").read_bytes())
    drawn = _raw_equations(page)
    assert set(drawn) == {"eq:newton", "eq:solution"}
    assert drawn["eq:newton"].endswith("(1)")
    assert "(2)" in drawn["eq:solution"] and drawn["eq:solution"].endswith("(3)")  # row 2 of 3 has no number
    # the Markdown equation after the block goes on counting
    (md_eq,) = page.find_class("equation")
    assert md_eq.get("id") == "eq:heat" and _text(md_eq.find_class("eq-number")[0]) == "(4)"
    assert _xrefs(page) == [("#eq:newton", "(1)"), ("#eq:solution", "2"), ("#eq:heat", "(4)"), ("#eq:solution", "(2)")]
    (missing,) = page.find_class("xref-missing")
    assert _text(missing) == "??"
    text = _visible_text((raw_built.out / RAW_SLUG / "index.html").read_bytes())
    for tex in SOURCE_TEX:
        assert tex not in text, tex


def test_raw_html_missing_label_warns_with_its_line(raw_built):
    (paper,) = raw_built.papers
    lines = (RAW_SITE / "_posts" / "2024-05-02-kettle-cooling.md").read_text(encoding="utf-8").split("\n")
    line = next(i for i, t in enumerate(lines, start=1) if "kettle-nowhere" in t)
    warned = [p for p in paper.problems if "eq:kettle-nowhere" in p.message]
    assert [(p.line, p.severity) for p in warned] == [(line, "warning")]


def test_raw_html_equations_in_the_epub(raw_built):
    from publisher.validate import epubcheck

    book = raw_built.out / RAW_SLUG / f"{RAW_SLUG}.epub"
    with zipfile.ZipFile(book) as z:
        files = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
    ids = {n: {el.get("id") for el in doc.iter() if el.get("id")} for n, doc in files.items()}
    drawn = {k: v for doc in files.values() for k, v in _raw_equations(doc, f"{{{XHTML}}}").items()}
    assert drawn["eq:newton"].endswith("(1)") and drawn["eq:solution"].endswith("(3)")
    followed = []
    for name, doc in files.items():
        for href, text in _xrefs(doc, f"{{{XHTML}}}"):
            file, _, frag = href.rpartition("#")
            target = str(PurePosixPath(name).parent / file) if file else name
            assert frag in ids.get(target, set()), f"{name}: {href} leads nowhere"
            followed.append((frag, text, target != name))
    assert ("eq:newton", "(1)", True) in followed  # the reference is in the next chapter file
    assert ("eq:solution", "2", True) in followed
    (report,) = epubcheck([book])
    assert (report.fatals, report.errors, report.warnings) == (0, 0, 0), report.describe()


def test_raw_html_equations_in_the_pdf(raw_built):
    import pikepdf

    pdf_path = raw_built.out / RAW_SLUG / f"{RAW_SLUG}.pdf"
    with pikepdf.open(pdf_path) as pdf:
        dests = set(pikepdf.NameTree(pdf.Root.Names.Dests).keys())
        links = [str(a.Dest) for page in pdf.pages for a in page.get("/Annots", [])
                 if a.get("/Subtype") == "/Link" and a.get("/Dest") is not None]
    assert {"eq:newton", "eq:solution"} <= dests
    assert links.count("eq:newton") == 1 and links.count("eq:solution") == 2
    text = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True, timeout=60).stdout
    assert "The law (1) gives the curve of row 2" in re.sub(r"\s+", " ", text)
    for tex in SOURCE_TEX:
        assert tex not in text, tex


def test_raw_html_equations_page_is_valid(raw_built):
    from conftest import VNU_JAR
    import json

    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout",
                           str(raw_built.out / RAW_SLUG / "index.html")], capture_output=True, text=True, timeout=300)
    errors = [m["message"] for m in json.loads(proc.stdout or proc.stderr)["messages"] if m["type"] == "error"]
    assert not errors, errors


# --- the real-world sites (conftest.realworld_builds): callouts and equation references rendered ---------

LEFTOVERS = ("{: .notice", "{:.notice", "{: .block-", "\\eqref", "[!NOTE]", "[!TIP]", "[!WARNING]")


def _visible_text(data: bytes) -> str:
    """The text a reader sees: code, scripts and math annotations left out (they may show syntax on purpose)."""
    doc = lxml_html.fromstring(data)
    for el in doc.xpath("//pre|//code|//script|//style|//*[local-name()='annotation']|//head"):
        el.drop_tree()
    return doc.text_content()


@pytest.mark.parametrize("site,expected", [("minimal-mistakes", {"post-notice": 9}),
                                           ("al-folio", {"custom-blockquotes": 3})])
def test_realworld_callouts_and_equation_references_are_rendered(realworld_builds, site, expected):
    report = realworld_builds[site]
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    for slug, count in expected.items():
        page = lxml_html.fromstring((report.out / slug / "index.html").read_bytes())
        callouts = page.find_class("callout")
        assert len(callouts) == count, slug
        assert all(c.get("role") == "note" and c.get("aria-label") for c in callouts)
    for path in sorted(report.out.glob("*/index.html")):
        text = _visible_text(path.read_bytes())
        for leftover in LEFTOVERS:
            assert leftover not in text, (path.parent.name, leftover)
    for book in sorted(report.out.glob("*/*.epub")):
        with zipfile.ZipFile(book) as z:
            text = " ".join(_visible_text(z.read(n)) for n in z.namelist() if n.endswith(".xhtml"))
        for leftover in LEFTOVERS:
            assert leftover not in text, (book.name, leftover)
    if site == "al-folio":  # its math post numbers the Cauchy–Schwarz inequality, as MathJax does
        page = lxml_html.fromstring((report.out / "math" / "index.html").read_bytes())
        (eq,) = page.find_class("equation")
        assert eq.get("id") == "eq:cauchy-schwarz" and _text(eq.find_class("eq-number")[0]) == "(1)"


def test_realworld_equations_labelled_in_raw_html_are_numbered_and_linked(realworld_builds):
    """iclr-2023 writes MathJax equations inside HTML blocks (`<p class="lemma">`) and refers to them
    with \\eqref: every reference becomes a link to an anchor, and no \\eqref is left visible."""
    report = realworld_builds["iclr-2023"]
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    pages = sorted(report.out.glob("*/index.html"))
    assert pages
    raw_anchors = 0
    for path in pages:
        data = path.read_bytes()
        text = _visible_text(data)
        for leftover in ("\\eqref", "\\label{"):
            assert leftover not in text, (path.parent.name, leftover)
        page = lxml_html.fromstring(data)
        ids = {el.get("id") for el in page.iter() if el.get("id")}
        for href, shown in _xrefs(page):
            assert href[1:] in ids, (path.parent.name, href)
            assert re.fullmatch(r"\(\d+\)|\d+", shown), (path.parent.name, href, shown)
        raw_anchors += len(_raw_equations(page))
        # the equation numbers, Markdown and raw HTML alike, go 1, 2, 3… in reading order
        for el in page.xpath("//*[local-name()='annotation']"):
            el.drop_tree()
        numbers = [int(n) for el in page.iter() if el.get("class") == "eq-number" or str(el.tag).endswith("mtext")
                   for n in re.findall(r"^\((\d+)\)$", el.text_content().strip(), re.M)]
        assert numbers == list(range(1, len(numbers) + 1)), (path.parent.name, numbers)
    assert raw_anchors >= 2, "the labelled equations inside raw HTML have their anchors"


def test_a_filter_runs_only_when_the_post_uses_its_syntax():
    from publisher import crossref

    def needed(body: str, lists: bool = False) -> list[str]:
        paper = Paper(source=Path("x.md"), rel_source="x.md", slug="x", title="T", date=None, url="/x", body=body)
        return crossref.filters(paper, list_of_figures=lists)

    assert needed("Plain text, an address me@example.org and a handle @someone.") == []
    assert needed("Plain text.", lists=True) == ["crossref.lua"]
    assert needed("See @fig:loss.") == ["crossref.lua"]
    assert needed("See (@tbl-results).") == ["crossref.lua"]
    assert needed("$$ x \\label{eq:x} $$ and \\eqref{eq:x}") == ["crossref.lua"]
    assert needed("\\begin{equation}\nx\n\\end{equation}") == ["crossref.lua"]
    assert needed("> [!TIP]\n> t") == ["callouts.lua"]
    assert needed("<aside>\nx\n</aside>") == ["callouts.lua"]
    assert needed("::: {.theorem #thm-a}\nx\n:::\n\n@thm-a") == ["callouts.lua", "theorems.lua", "crossref.lua"]
    # a labelled theorem nobody refers to: crossref.lua still runs, to take the reference text off it
    assert needed("::: {.theorem #thm-a}\nx\n:::") == ["callouts.lua", "theorems.lua", "crossref.lua"]
