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
