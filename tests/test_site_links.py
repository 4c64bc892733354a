"""publisher/links.py: the links between the papers of a build, computed once from all of them."""
import datetime as dt
from pathlib import Path

from publisher.links import page_address, site_links


def _paper(slug: str, body: str = ""):
    from publisher.model import Paper

    return Paper(source=Path(f"/site/_posts/2024-01-01-{slug}.md"), rel_source=f"_posts/2024-01-01-{slug}.md",
                 slug=slug, title=slug, date=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
                 url=f"/2024/01/01/{slug}.html", body=body)


def test_a_link_written_by_hand_makes_the_other_post_a_dependency_and_a_target():
    a = _paper("a", "See [the other paper](/blog/2024/01/01/b.html#results).\n")
    b = _paper("b", "No links.\n")
    c = _paper("c", "See [a](https://example.org/blog/2024/01/01/a.html) and [b](b.html).\n")
    links = site_links([a, b, c], "https://example.org", "/blog")
    assert a.dependencies == ["_posts/2024-01-01-b.md"] and b.dependencies == []
    assert c.dependencies == ["_posts/2024-01-01-a.md", "_posts/2024-01-01-b.md"]
    assert links.for_paper(a) == {"/blog/2024/01/01/b.html": "b", "https://example.org/blog/2024/01/01/b.html": "b"}
    assert links.for_paper(b) == {}
    assert set(links.for_paper(c).values()) == {"a", "b"}


def test_a_root_link_without_the_baseurl_leads_elsewhere_and_is_no_dependency():
    a = _paper("a", "See [b](/2024/01/01/b.html).\n")
    site_links([a, _paper("b")], "https://example.org", "/blog")
    assert a.dependencies == []
    assert page_address(a, "https://example.org", "/blog") == "https://example.org/blog/2024/01/01/a.html"


FRAGMENT = ('<p id="x">See <a href="/blog/2024/01/01/b.html#results">b</a>, <a href="c.html">c</a>, '
            '<a id="keep" href="../data.csv">data</a>, <a href="//cdn.example.org/x">cdn</a>, '
            '<a href="#x">here</a> and <a href="https://example.org/blog/2024/01/01/a.html">myself</a>.</p>')
TARGETS = {"/blog/2024/01/01/b.html": "b", "https://example.org/blog/2024/01/01/b.html": "b",
           "/blog/2024/01/01/c.html": "c", "https://example.org/blog/2024/01/01/c.html": "c",
           "/blog/2024/01/01/a.html": "a", "https://example.org/blog/2024/01/01/a.html": "a"}


def _links(rules, fragment: str, *args) -> str:
    """FRAGMENT through link RULES (edition_links) on its tree."""
    from publisher.editions.body import parse, serialize

    root = parse(fragment)
    rules(root, *args)
    return serialize(root)


def test_each_editions_link_rules_on_one_tree_give_what_the_separate_rules_give():
    """pdf_links() and html_links() run on the tree the edition adapts; the result is the two rules
    applied in turn, and a fragment without links comes out unchanged."""
    from publisher.editions.edition_links import absolutize, html_links, link_editions, pdf_links

    name = lambda slug: f"{slug}.pdf"  # noqa: E731
    for page in ("https://example.org/blog/2024/01/01/a.html", "/blog/2024/01/01/a.html"):
        old_unresolved: list[str] = []
        old = _links(absolutize, _links(link_editions, FRAGMENT, TARGETS, "a", name, "https://e.org/", page),
                     page, old_unresolved)
        new_unresolved: list[str] = []
        assert _links(pdf_links, FRAGMENT, page, new_unresolved, TARGETS, "a", name, "https://e.org/") == old
        assert new_unresolved == old_unresolved
        assert _links(html_links, FRAGMENT, page, TARGETS, "a") == _links(
            link_editions, _links(absolutize, FRAGMENT, page), TARGETS, "a", lambda slug: "index.html")
        if not page.startswith("https:"):  # no site url: links the PDF cannot resolve become text, reported
            assert new_unresolved == ["../data.csv"] and '<span id="keep">data</span>' in old
    assert 'href="https://e.org/b/b.pdf#results"' in _links(pdf_links, FRAGMENT, "https://example.org/blog/2024/01/01/a.html",
                                                            [], TARGETS, "a", name, "https://e.org/")
    assert 'href="../c/index.html"' in _links(html_links, FRAGMENT, "https://example.org/blog/2024/01/01/a.html",
                                              TARGETS, "a")
    assert _links(pdf_links, "<p>no links</p>", "/x.html", [], TARGETS, "a", name, "/") == "<p>no links</p>"
