"""Citations on the real academic sites in ../shared/realworld/ (issue 14): per post, the citation keys
in the source equal the keys resolved in the editions plus the keys warned about, and every post that
cites has its reference list in the HTML page, the EPUB and the PDF. EPUBCheck 0/0 on the books and
the Nu checker 0 errors on the pages. Only citations are asserted: other problems of these posts
(figures, math, raw HTML) belong to other parts of publisher."""
from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

REALWORLD = Path(__file__).resolve().parent.parent.parent / "shared" / "realworld"
SITES = ["iclr-2023", "al-folio", "iclr-2024"]
# posts whose PDF is also built and checked (the PDF of every ICLR post takes minutes on a shared machine)
PDF_POSTS = {"iclr-2023": ("2023-05-01-autoregressive-neural-pde-solver.md",),
             "al-folio": ("2018-12-22-distill.md", "2023-07-12-post-bibliography.md"),
             "iclr-2024": ("2024-05-07-dpi-fsvi.md",)}

pytestmark = pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is absent (real-world corpus)")

# What the citations put in a page: their spans and links, the reference list and its entries.
_CITATION_MARKUP = re.compile(r"citation|csl-|\bref-|cite-|\brefs\b|references|doc-biblio|doc-backlink")
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\2[`~]*[ \t]*$", re.M | re.S)
_RAW = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
_CODE_SPAN = re.compile(r"`[^`\n]+`")
_D_CITE = re.compile(r"<d-cite\s+key\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_SCHOLAR = re.compile(r"\{%-?\s*(?:cite|citation|reference|quote)\s+([^%]*?)-?%\}")


def source_keys(text: str) -> list[str]:
    """The citation keys a post's source cites, once per citation, outside code: read independently of
    publisher's own conversion."""
    text = _CODE_SPAN.sub("", _RAW.sub("", _FENCE.sub("", text.replace("\r\n", "\n"))))
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    keys = []
    for m in _D_CITE.finditer(text):
        keys += [k for k in re.split(r"[,\s]+", m.group(1).strip("\"'")) if k]
    for m in _SCHOLAR.finditer(text):
        words = m.group(1).split()
        i = 0
        while i < len(words):
            if words[i].startswith("-"):
                i += 2
                continue
            keys.append(words[i])
            i += 1
    return keys


@pytest.fixture(scope="module", params=SITES)
def built(request, tmp_path_factory):
    from publisher.build import BuildOptions, build

    site = REALWORLD / request.param
    out = tmp_path_factory.mktemp(request.param)
    report = build(BuildOptions(source=site, out=out, jobs=1, formats=["html", "epub"]))
    # the PDF edition of the chosen posts, in a copy of the site that holds only them
    copy = tmp_path_factory.mktemp(request.param + "-pdf") / "site"
    subprocess.run(["cp", "-r", str(site), str(copy)], check=True)
    for p in (copy / "_posts").iterdir():
        if p.name not in PDF_POSTS[request.param]:
            p.unlink()
    pdf_out = tmp_path_factory.mktemp(request.param + "-pdf-out")
    pdf_report = build(BuildOptions(source=copy, out=pdf_out, jobs=1, formats=["pdf"]))
    pdf_out = {p.rel_source: pdf_out / p.slug / f"{p.slug}.pdf" for p in pdf_report.papers}
    return request.param, site, out, report, pdf_out


def _cited_html(html: str) -> list[str]:
    return [k for g in re.findall(r'<span class="citation" data-cites="([^"]*)"', html) for k in g.split()]


def test_every_citation_is_resolved_or_warned_about(built):
    name, site, out, report, _ = built
    checked = 0
    for paper in report.papers:
        text = (site / paper.rel_source).read_text(encoding="utf-8")
        keys = source_keys(text)
        if not keys:
            continue
        assert not paper.failed, (paper.rel_source, [str(p) for p in paper.problems])
        warned = [m.group(1) for p in paper.problems
                  if (m := re.match(r"citation key '(.+)' is not in", p.message)) and p.file == paper.rel_source]
        html = (out / paper.slug / "index.html").read_text(encoding="utf-8")
        html = html[html.index("<main"):]  # the text (the contents list repeats the headings)
        resolved = _cited_html(html)
        assert sorted(keys) == sorted(resolved + warned), paper.rel_source
        assert all(f'id="ref-{k}"' in html for k in resolved)
        assert all(f"[{k}?]" in html for k in warned)
        assert 'id="references"' in html
        with zipfile.ZipFile(out / paper.slug / f"{paper.slug}.epub") as z:
            refs = z.read("EPUB/references.xhtml").decode("utf-8")
        assert all(f'id="ref-{k}"' in refs for k in set(resolved)), paper.rel_source
        checked += 1
    assert checked >= {"iclr-2023": 11, "al-folio": 2, "iclr-2024": 22}[name]


def test_the_known_dangling_key_is_warned_about_with_its_line(built):
    name, site, out, report, _ = built
    if name != "iclr-2023":
        pytest.skip("the dangling key is in iclr-2023")
    problems = [str(p) for paper in report.papers for p in paper.problems]
    assert any(re.match(r"_posts/2023-05-01-autoregressive-neural-pde-solver\.md:\d+: warning: citation key "
                        r"'umSolverintheLoopLearningDifferentiable2020a' is not in "
                        r"2023-05-01-autoregressive-neural-pde-solver\.bib \(hint: did you mean "
                        r"'umSolverintheLoopLearningDifferentiable2020'\?\)", p) for p in problems)


def test_the_pdf_has_the_reference_list_in_its_contents_and_links_citations(built):
    import pypdf

    name, site, out, report, pdf_out = built
    assert sorted(pdf_out) == sorted(f"_posts/{p}" for p in PDF_POSTS[name])
    for rel, pdf in pdf_out.items():
        assert pdf.is_file(), rel
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert "References" in text, rel
        reader = pypdf.PdfReader(str(pdf))
        titles = []

        def walk(items):
            for it in items:
                walk(it) if isinstance(it, list) else titles.append(it.title)
        walk(reader.outline)
        assert "References" in titles, (pdf, titles)
        dests = [str(a.get_object().get("/Dest")) for page in reader.pages for a in page.get("/Annots") or []]
        assert any(d.startswith("ref-") for d in dests), pdf


def test_epubcheck_finds_nothing_in_the_citations_of_the_books(built):
    from publisher.validate import epubcheck

    name, site, out, report, _ = built
    books = sorted(out.glob("*/*.epub"))
    assert books
    ours = []
    for r in epubcheck(books):
        for m in r.messages:  # other parts of these posts (raw HTML anchors, …) are not asserted here
            where = " ".join(f"{loc.get('path')} {loc.get('context')}" for loc in m.get("locations", []))
            if _CITATION_MARKUP.search(where + " " + m.get("message", "")):
                ours.append((r.path.name, m["ID"], m["message"], where))
    assert ours == [], ours[:5]




def test_nu_finds_no_error_in_the_citations_of_the_pages(built):
    import json

    from conftest import VNU_JAR

    name, site, out, report, _ = built
    pages = sorted(p for p in out.glob("*/index.html"))
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=900)
    errors = [m for m in json.loads(proc.stdout or proc.stderr)["messages"] if m.get("type") == "error"]
    ours = [m for m in errors if _CITATION_MARKUP.search(m.get("extract", "") + m.get("message", ""))]
    assert ours == [], ours[:5]


def test_ace_finds_no_violation_in_a_book_with_references(built, tmp_path):
    from test_epub import ace

    name, site, out, report, _ = built
    book = max(out.glob("*/*.epub"), key=lambda b: len(zipfile.ZipFile(b).read("EPUB/references.xhtml"))
               if "EPUB/references.xhtml" in zipfile.ZipFile(b).namelist() else 0)
    status, failures, _ = ace(book, tmp_path / "ace")
    assert not [f for f in failures if "references" in f[0]], failures
