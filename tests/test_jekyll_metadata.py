"""Front-matter values Jekyll has no opinion on (authors), and inputs publisher is stricter or more
lenient about than Jekyll (broken YAML, UTF-16), on tiny sites."""
from __future__ import annotations

import codecs

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.build import BuildOptions, list_papers
from publisher.cli import cli

CONFIG = "title: T\ntimezone: Asia/Tokyo\nauthor: Site Person\n"


def test_broken_yaml_is_reported_with_line_and_column_and_the_rest_is_listed(tmp_site):
    root = tmp_site({
        "_posts/2024-01-01-good.md": "---\ntitle: Good\n---\nok\n",
        "_posts/2024-01-02-bad.md": "---\ntitle: Bad\ntags: [a, b\nauthor: x\n---\nbody\n",
    }, CONFIG)
    result = CliRunner().invoke(cli, ["list", str(root), "--json"])
    assert result.exit_code == 1
    assert '"slug": "good"' in result.stdout and '"bad"' not in result.stdout
    line = next(x for x in result.stderr.splitlines() if "bad.md" in x)
    assert line.startswith("_posts/2024-01-02-bad.md:4:7: error: invalid YAML front matter:")


def test_utf16_with_bom_and_nbsp_titles(tmp_site):
    text = "---\ntitle: \"Caf\u00e9\u00a0au lait\"\n---\nBody\n"
    root = tmp_site({"_posts/2024-01-01-u16.md": codecs.BOM_UTF16_LE + text.encode("utf-16-le")}, CONFIG)
    papers, failed, _ = list_papers(BuildOptions(source=root))
    assert failed == [] and papers[0].title == "Caf\u00e9\u00a0au lait" and papers[0].excerpt == "Body"


def test_latin1_is_a_clear_error(tmp_site):
    root = tmp_site({"_posts/2024-01-01-l1.md": "---\ntitle: caf\u00e9\n---\n".encode("latin-1")}, CONFIG)
    _, failed, _ = list_papers(BuildOptions(source=root))
    assert "not valid UTF-8" in str(failed[0].problems[0])


def test_authors_forms_and_data_lookup(tmp_site):
    root = tmp_site({
        "_data/authors.yml": "jdoe:\n  name: Jane Doe\n",
        "_posts/2024-01-01-a.md": "---\nauthors:\n  - name: Obj Person\n  - jdoe\n  - \"<b>Bold</b> Name\"\n---\nx\n",
        "_posts/2024-01-02-b.md": "---\nauthor: A and B\n---\nx\n",
        "_posts/2024-01-03-c.md": "---\ntitle: no author\n---\nx\n",
    }, CONFIG)
    papers = {p.slug: p for p in list_papers(BuildOptions(source=root))[0]}
    assert papers["a"].author_names == ["Obj Person", "Jane Doe", "Bold Name"]
    assert papers["b"].author_names == ["A and B"]
    assert papers["c"].author_names == ["Site Person"]


def test_defaults_type_and_path_precedence(tmp_site):
    config = CONFIG + ("defaults:\n"
                       "  - scope: {path: \"essays\"}\n    values: {lang: de, series: S1}\n"
                       "  - scope: {path: \"\", type: posts}\n    values: {lang: fr, series: S0}\n")
    root = tmp_site({"essays/_posts/2024-01-01-a.md": "---\ntitle: A\n---\nx\n",
                     "_posts/2024-01-02-b.md": "---\ntitle: B\nlang: en\n---\nx\n"}, config)
    papers = {p.slug: p for p in list_papers(BuildOptions(source=root))[0]}
    assert (papers["a"].lang, papers["a"].series) == ("de", "S1")  # the longer path wins
    assert papers["a"].categories == ["essays"]
    assert (papers["b"].lang, papers["b"].series) == ("en", "S0")  # front matter beats defaults


def test_config_files_merge_left_to_right(tmp_site):
    root = tmp_site({"_posts/2024-01-01-a.md": "---\ntitle: A\n---\nx\n",
                     "_dev.yml": "permalink: /p/:title/\ntimezone: UTC\n"}, CONFIG)
    papers, _, _ = list_papers(BuildOptions(source=root, config_files=[root / "_config.yml", root / "_dev.yml"]))
    assert papers[0].url == "/p/a/" and papers[0].date.utcoffset().total_seconds() == 0


def test_selection_switches_in_the_config(tmp_site):
    files = {"_posts/2099-01-01-later.md": "---\ntitle: Later\n---\nx\n",
             "_posts/2024-01-01-hidden.md": "---\ntitle: Hidden\npublished: false\n---\nx\n",
             "_posts/2024-01-02-shown.md": "---\ntitle: Shown\npublished: \"false\"\n---\nx\n",
             "_drafts/idea.md": "---\ntitle: Idea\ndate: 2024-01-03\n---\nx\n"}
    root = tmp_site(files, CONFIG)
    assert sorted(p.slug for p in list_papers(BuildOptions(source=root))[0]) == ["shown"]  # "false" is a string
    root = tmp_site(files, CONFIG + "future: true\nshow_drafts: true\nunpublished: true\n")
    assert sorted(p.slug for p in list_papers(BuildOptions(source=root))[0]) == ["hidden", "idea", "later", "shown"]


def test_authors_from_the_authors_collection(tmp_site):
    root = tmp_site({
        "_authors/jill.md": "---\nshort_name: js\nname: Jill Smith\nurl: https://example.org/jill\n---\nBio.\n",
        "_authors/ben.md": "---\nname: Ben Lee\n---\n",
        "_posts/2024-01-01-a.md": "---\nauthors: [js, ben, Someone Else]\n---\nx\n",
    }, CONFIG)
    paper = list_papers(BuildOptions(source=root))[0][0]
    assert paper.author_names == ["Jill Smith", "Ben Lee", "Someone Else"]
    assert paper.authors[0].url == "https://example.org/jill"
    assert paper.dependencies == ["_authors/jill.md", "_authors/ben.md"]


def test_an_and_in_an_author_string_is_left_as_written_unless_configured(tmp_site):
    from publisher.build import BuildOptions, list_papers

    post = "---\ntitle: Two hands\nauthor: Ada Byron and Alan Turing\n---\n\nText.\n"
    root = tmp_site({"_posts/2024-01-01-two.md": post}, config="title: T\n")
    papers, _, _ = list_papers(BuildOptions(source=root))
    assert papers[0].author_names == ["Ada Byron and Alan Turing"]
    (root / "_config.yml").write_text("title: T\npublisher:\n  split_authors: true\n", encoding="utf-8")
    (root / "_posts" / "2024-01-02-three.md").write_text(
        "---\ntitle: Three hands\nauthor: \"Ada Byron, Alan Turing & Grace Hopper\"\n---\n\nText.\n", encoding="utf-8")
    papers, _, _ = list_papers(BuildOptions(source=root))
    names = {p.slug: p.author_names for p in papers}
    assert names == {"two": ["Ada Byron", "Alan Turing"], "three": ["Ada Byron", "Alan Turing", "Grace Hopper"]}


# --- the excerpt as plain text: text without markup is not rendered, and comes out the same ----------

PLAIN_SAMPLES = [
    "Paper 12 is about tides and ice; this paragraph is its summary.",
    "Two lines\nof one paragraph.\n\nAnd a second paragraph,  with  spaces.",
    "Caf\u00e9\u00a0au lait \u2014 \u00e9t\u00e9, \u6f22\u5b57.",
    "Ends with a hard break  \nand goes on.",
    "A *word* in emphasis", "An _underscored_ word", "A [link](https://example.org)", "A `code` span",
    "Fish & chips", "A &amp; B", "a <b>tag</b>", "1. a list", "- a list", "# A heading", "> a quote",
    "Title\n=====", "Title\n---", "| a | b |\n|---|---|\n| 1 | 2 |", "    indented code", "\tcode",
    "Text\n    with an indented line", "A line\n2. starting with a number", "ok {: .lead}", "A\\*b", "x ~~y~~",
    "Line one\n\n```\nfenced\n```", "![an image](a.png) caption", "[^1]: a note", "Text\n+ item", "3) item",
    "http://example.org/a_b", "Tabs\tinside\ttext", "",
]


@pytest.mark.parametrize("text", PLAIN_SAMPLES)
def test_plain_excerpt_is_the_rendered_text(text):
    from publisher.jekyll.excerpt import rendered_plain, to_plain

    assert to_plain(text) == rendered_plain(text)


def test_plain_excerpt_skips_rendering_only_for_text_without_markup():
    from publisher.jekyll import excerpt

    plain = [t for t in PLAIN_SAMPLES if not excerpt._MARKUP.search(t)]
    assert plain == PLAIN_SAMPLES[:4] + ["Tabs\tinside\ttext", ""]


def test_plain_excerpt_of_every_fixture_paragraph():
    """Each paragraph of every post in the fixtures (and ../shared's real sites when present)."""
    from conftest import ROOT

    from publisher import frontmatter
    from publisher.jekyll import kramdown
    from publisher.jekyll.excerpt import rendered_plain, to_plain

    roots = [ROOT / "tests", ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "realworld"]
    checked = 0
    for path in (p for root in roots if root.is_dir() for p in sorted(root.rglob("*.md"))):
        try:
            parts = frontmatter.split(frontmatter.decode(path.read_bytes(), path.name), path.name)
        except Exception:  # hostile fixtures: not what this test is about
            continue
        for para in (parts[1] if parts else "").split("\n\n"):
            para = kramdown.plain_markdown(para)
            assert to_plain(para) == rendered_plain(para), (path, para)
            checked += 1
    assert checked > 200


@settings(max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.sampled_from(list("aZé字 \t\n\u00a0\u2028-+=#>.,:;'\"()$%/1*_[]<&")), max_size=40))
def test_plain_excerpt_is_the_rendered_text_for_any_text(text):
    from publisher.jekyll.excerpt import rendered_plain, to_plain

    assert to_plain(text) == rendered_plain(text)
