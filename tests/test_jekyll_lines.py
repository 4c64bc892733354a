"""After Liquid and kramdown rewrote a body, pandoc's warnings still name the source file's line."""
from __future__ import annotations

from publisher.build import BuildOptions, list_papers
from publisher.jekyll import lines
from publisher.render import render


def test_line_map_follows_inserted_and_removed_lines():
    before = "a\n{% include x %}\nb\n{: .x}\nc"
    after = "a\ninc 1\ninc 2\n::: {.x}\nb\n:::\nc"
    assert lines.follow(before, after, [10, 11, 12, 13, 14]) == [10, 11, 11, 11, 12, 13, 14]


def test_pandoc_warning_points_at_the_source_line(tmp_site):
    post = ("---\ntitle: Lines\n---\n"          # lines 1-3
            "{% include three.html %}\n"        # 4: expands to three lines
            "\n"                                # 5
            "A paragraph.\n"                    # 6
            "{: .lead}\n"                       # 7: becomes a div around line 6
            "\n"                                # 8
            "[dup]: https://example.org/one\n"  # 9
            "[dup]: https://example.org/two\n")  # 10: pandoc warns about this duplicate
    root = tmp_site({"_includes/three.html": "one\n\ntwo\n\nthree",
                     "_posts/2024-01-01-lines.md": post}, "title: T\ntimezone: UTC\n")
    papers, failed, _ = list_papers(BuildOptions(source=root))
    assert failed == []
    paper = papers[0]
    assert paper.body.count("\n") > post.split("---\n", 2)[2].count("\n")  # the body did grow
    doc = render(paper)
    dup = [w for w in doc.warnings if "Duplicate link reference" in w.message]
    assert dup and dup[0].line == 10, [str(w) for w in doc.warnings]
