"""Property-based tests (hypothesis): any front matter and any Markdown body give either editions or
a reported problem, never an unhandled exception (issue 9).

Example counts are kept small for CI: many examples for reading and normalizing (no external tools),
a few HTML-only builds, and a handful of full builds whose EPUBs then go through EPUBCheck.
"""
from __future__ import annotations

import zipfile
from pathlib import Path

import pypdf
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html

from publisher import config, frontmatter, jekyll
from publisher.build import BuildOptions, build
from publisher.model import InputError, SourceFile
from publisher.validate import epubcheck

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)

# ---- strategies -----------------------------------------------------------------------------------------

KEYS = ["title", "date", "tags", "categories", "category", "author", "authors", "excerpt", "slug", "description",
        "lang", "layout", "published", "permalink", "image", "subtitle", "series", "doi", "excerpt_separator"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(allow_nan=True),
                    st.text(max_size=40), st.dates(), st.datetimes(), st.sampled_from(
                        ["2024-02-30", "yes", "~", "1e9", "0x1F", "2024-01-01 25:61:00 +9999", "::", "{{ x }}"]))
values = st.recursive(scalars, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                      max_leaves=6)
front = st.dictionaries(st.sampled_from(KEYS) | st.text(min_size=1, max_size=10), values, max_size=6)
garbage_yaml = st.sampled_from(["title: [unclosed", "\ttitle: tab", "a: &a [*a]", "!!python/object:os.system x",
                                "- a list\n- not a mapping", "title: 'quote", "? complex\n: key", "%YAML 9.9\n---",
                                "title: x\ntitle: y", "<<: *missing", ": :", "'"])

text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n"),
               max_size=30)
urls = st.sampled_from(["https://example.org/a", "../../etc/passwd", "/etc/passwd", "file:///etc/passwd",
                        "javascript:alert(1)", "data:text/html,x", "http://127.0.0.1/x", "#frag", "", "img.png",
                        "mailto:a@b.c", "http://[::1]/x", "\\\\server\\share"])
inline = st.one_of(
    text, text.map(lambda t: f"*{t}*"), text.map(lambda t: f"**{t}**"), text.map(lambda t: f"`{t}`"),
    st.tuples(text, urls).map(lambda p: f"[{p[0]}]({p[1]})"), st.tuples(text, urls).map(lambda p: f"![{p[0]}]({p[1]})"),
    st.sampled_from(["$x^2$", "$$\\frac{a}{b}$$", "$\\badcommand{$", "[^1]", "[^missing]", ":smile:", "\\(a\\)",
                     "<b>bold</b>", "<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "{{ page.title }}",
                     "{% include nothing.html %}", "{% raw %}", "{% if %}", "<excerpt/>", "&amp;", "&#0;", "\\",
                     "<!--", "-->", "<div style='background:url(/etc/passwd)'>", "</div>", "@handle", "<", ">"]))
line = st.lists(inline, min_size=1, max_size=5).map(" ".join)
block = st.one_of(
    line,
    st.tuples(st.integers(1, 7), line).map(lambda p: "#" * p[0] + " " + p[1]),
    st.lists(line, min_size=1, max_size=4).map(lambda items: "\n".join(f"- {i}" for i in items)),
    st.lists(line, min_size=1, max_size=4).map(lambda items: "\n".join(f"{n}. {i}" for n, i in enumerate(items, 1))),
    line.map(lambda t: f"> {t}"),
    st.tuples(st.integers(1, 60), line).map(lambda p: "> " * p[0] + p[1]),
    st.tuples(st.integers(1, 60), line).map(lambda p: "".join("  " * i + "- x\n" for i in range(p[0])) + p[1]),
    st.tuples(st.sampled_from(["", "python", "{.weird}", "~~~"]), text).map(lambda p: f"```{p[0]}\n{p[1]}\n```"),
    st.lists(line, min_size=2, max_size=4).map(lambda cells: "| " + " | ".join(cells) + " |\n|"
                                                + "---|" * len(cells) + "\n| " + " | ".join(cells) + " |"),
    st.sampled_from(["---", "***", "[^1]: A note.", "<table><tr><td>cell", "<!-- open comment", "\\begin{x}",
                     "{: .class}", "* * *", "<details><summary>s</summary>d</details>", "    indented code"]),
)
bodies = st.lists(block, max_size=8).map("\n\n".join)


def post_text(meta, body, raw_yaml=None) -> str:
    if raw_yaml is not None:
        head = raw_yaml
    else:
        try:
            head = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
        except yaml.YAMLError:
            head = ""
    return f"---\n{head}---\n\n{body}\n"


posts = st.tuples(front, bodies, st.none() | garbage_yaml).map(lambda p: post_text(*p))


def _site(root: Path, post: str | bytes, formats: str) -> Path:
    (root / "_posts").mkdir(parents=True, exist_ok=True)
    for old in (root / "_posts").iterdir():
        old.unlink()
    data = post if isinstance(post, bytes) else post.encode("utf-8")
    (root / "_posts" / "2024-05-06-generated.md").write_bytes(data)
    (root / "_config.yml").write_text(f"title: Generated\nurl: https://gen.example.org\npublisher:\n"
                                      f"  formats: [{formats}]\n  timeout: 60\n")
    return root


def _no_internal_errors(report) -> None:
    problems = [p for r in report.papers for p in r.problems] + report.problems
    internal = [str(p) for p in problems if "internal error" in p.message or "Traceback" in p.message]
    assert not internal, internal
    for p in problems:
        assert p.message and p.file, p


# ---- read and normalize: many examples, no external tools ---------------------------------------------

@settings(max_examples=200, **SETTINGS)
@given(st.one_of(posts, st.binary(max_size=300).map(lambda b: b"---\n" + b), st.binary(max_size=200)))
@pytest.mark.slow
def test_reading_and_normalizing_never_raise_anything_but_input_errors(tmp_path_factory, post):
    root = tmp_path_factory.mktemp("p", numbered=True)
    site = config.load(_site(root, post, "html"))
    path = root / "_posts" / "2024-05-06-generated.md"
    source = SourceFile(path, "_posts/2024-05-06-generated.md", "post")
    try:
        raw, warnings = frontmatter.read_post(source, site.options.max_post_bytes)
        if raw is not None:
            paper = jekyll.normalize(raw, site, {})
            assert paper.slug and isinstance(paper.title, str) and paper.date.tzinfo is not None
    except InputError as exc:
        assert exc.problem.file == "_posts/2024-05-06-generated.md"
        assert exc.problem.message


# ---- HTML-only builds: a few dozen examples ---------------------------------------------------------------

@settings(max_examples=8, **SETTINGS)
@given(posts)
def test_any_post_gives_a_valid_html_edition_or_a_reported_problem(tmp_path_factory, post):
    root = tmp_path_factory.mktemp("h", numbered=True)
    report = build(BuildOptions(source=_site(root / "site", post, "html"), out=root / "out", jobs=1))
    _no_internal_errors(report)
    for r in report.papers:
        if r.failed:
            assert any(p.severity == "error" for p in r.problems)
            continue
        page = root / "out" / r.slug / "index.html"
        tree = lxml_html.fromstring(page.read_bytes())
        assert tree.find(".//title") is not None
        body = page.read_text(encoding="utf-8").split("<body", 1)[1]
        assert "/etc/passwd</" not in body and "root:x:0:0" not in body


# ---- full builds: a few examples, then EPUBCheck on every EPUB they made ----------------------------------

FULL_EPUBS: list[Path] = []


@settings(max_examples=2, **SETTINGS)
@given(posts)
def test_any_post_gives_valid_pdf_and_epub_editions_or_a_reported_problem(tmp_path_factory, post):
    root = tmp_path_factory.mktemp("f", numbered=True)
    report = build(BuildOptions(source=_site(root / "site", post, "html, epub, pdf"), out=root / "out", jobs=1))
    _no_internal_errors(report)
    for r in report.papers:
        if r.failed:
            continue
        pdf = root / "out" / r.slug / f"{r.slug}.pdf"
        assert len(pypdf.PdfReader(pdf).pages) >= 1
        epub = root / "out" / r.slug / f"{r.slug}.epub"
        with zipfile.ZipFile(epub) as z:
            assert z.namelist()[0] == "mimetype" and z.testzip() is None
        FULL_EPUBS.append(epub)


@pytest.mark.java
def test_the_generated_epubs_pass_epubcheck():
    if not FULL_EPUBS:
        pytest.skip("the full-build property test did not run (or built nothing)")
    bad = [r.describe() for r in epubcheck(FULL_EPUBS) if not r.ok]
    assert not bad, "\n".join(bad)


@pytest.mark.java
def test_an_empty_post_gives_a_valid_epub(tmp_path):
    """Found by the property test above: an empty body once gave an empty nav and NCX."""
    report = build(BuildOptions(source=_site(tmp_path / "site", "---\ntitle: Empty\n---\n\n", "epub"),
                                out=tmp_path / "out", jobs=1))
    [check] = epubcheck([tmp_path / "out" / "generated" / "generated.epub"])
    assert check.ok, check.describe()
