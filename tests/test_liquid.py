"""Liquid in post bodies (python-liquid plus Jekyll's tags), on tiny sites."""
from __future__ import annotations

from publisher.build import BuildOptions, list_papers

CONFIG = "title: Tiny\nurl: https://tiny.example\nbaseurl: /b\ntimezone: UTC\n"


def _one(root, slug):
    papers, failed, problems = list_papers(BuildOptions(source=root))
    assert failed == []
    paper = next(p for p in papers if p.slug == slug)
    return paper, [str(w) for w in paper.warnings] + [str(p) for p in problems]


def test_variables_logic_raw_and_highlight(tmp_site):
    root = tmp_site({"_posts/2024-01-02-a.md": (
        "---\ntitle: A\nn: 3\n---\n"
        "{{ site.title }} / {{ page.title }} / {{ page.n | plus: 1 }}\n\n"
        "{% assign xs = 'a,b' | split: ',' %}{% for x in xs %}[{{ x }}]{% endfor %}"
        "{% capture c %}cap{% endcapture %}{{ c }}{% if page.n > 2 %}big{% endif %}\n\n"
        "{% raw %}{{ kept }} {% kept %}{% endraw %}\n\n"
        "{% highlight ruby linenos %}\nputs {{ page.n }}\n{% endhighlight %}\n\n"
        "```\n{{ page.n }} in a fence\n```\n")}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "Tiny / A / 4" in paper.body
    assert "[a][b]capbig" in paper.body
    assert "{{ kept }} {% kept %}" in paper.body
    assert "```{.ruby .numberLines}\nputs 3\n```" in paper.body
    assert "3 in a fence" in paper.body  # Jekyll renders Liquid inside fenced code too
    assert warnings == []


def test_post_url_and_link_resolve_and_become_dependencies(tmp_site):
    root = tmp_site({
        "_posts/2024-01-01-target.md": "---\ntitle: T\ncategories: c\n---\nx\n",
        "_posts/2024-01-02-src.md": "---\ntitle: S\n---\n[a]({% post_url 2024-01-01-target %}) "
                                    "[b]({% link _posts/2024-01-01-target.md %}) "
                                    "![i]({{ site.baseurl }}/img.png)\n",
    }, CONFIG)
    paper, warnings = _one(root, "src")
    assert "[a](https://tiny.example/b/c/2024/01/01/target.html)" in paper.body
    assert "[b](https://tiny.example/b/c/2024/01/01/target.html)" in paper.body
    assert "![i](/b/img.png)" in paper.body
    assert "_posts/2024-01-01-target.md" in paper.dependencies
    assert warnings == []


def test_include_with_parameters_and_dependencies(tmp_site):
    root = tmp_site({
        "_includes/box.html": "<b>{{ include.label }}</b>: {{ include.value }}",
        "_posts/note.txt": "relative {{ page.title }}",
        "_posts/2024-01-02-a.md": "---\ntitle: A\nv: 7\n---\n"
                                  "{% include box.html label=\"L\" value=page.v %}\n\n"
                                  "{% include_relative note.txt %}\n",
    }, CONFIG)
    paper, warnings = _one(root, "a")
    assert "<b>L</b>: 7" in paper.body and "relative A" in paper.body
    assert paper.dependencies == ["_includes/box.html", "_posts/note.txt"]
    assert warnings == []


def test_include_outside_the_site_is_refused(tmp_site, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("TOP SECRET", encoding="utf-8")
    root = tmp_site({"_includes/ok.html": "ok",
                     "_posts/2024-01-02-a.md": "---\ntitle: A\n---\nline one\n\n{% include ../../secret %}\n"
                                               "{% include_relative ../../secret %}\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "TOP SECRET" not in paper.body
    assert any("_posts/2024-01-02-a.md:6: warning: include '../../secret' points outside" in w for w in warnings)
    assert any(":7: warning: include_relative '../../secret' points outside" in w for w in warnings)


def test_unknown_tags_are_reported_with_line_and_removed(tmp_site):
    root = tmp_site({"_posts/2024-01-02-a.md": "---\ntitle: A\n---\nfirst\n\n{% tweet 123 %}\n\n"
                                               "{% spoiler abc %}x{% endspoiler %} and {{ 'y' | frobnicate }}\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "{%" not in paper.body and "tweet" not in paper.body and "spoiler" not in paper.body
    assert any(w.startswith("_posts/2024-01-02-a.md:6: warning: unknown Liquid tag 'tweet'") for w in warnings)
    assert any(":8: warning: unknown Liquid tag 'spoiler'" in w for w in warnings)
    assert any(":8: warning: unknown Liquid filter 'frobnicate'" in w for w in warnings)


def test_broken_liquid_is_reported_and_its_markup_removed(tmp_site):
    root = tmp_site({"_posts/2024-01-02-a.md": "---\ntitle: A\n---\ntext {% if x %} never closed {{ y }}\n"
                                               "{% raw %}{{ literal }}{% endraw %}\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "{% if" not in paper.body and "{{ y }}" not in paper.body
    assert "{{ literal }}" in paper.body
    assert any("Liquid:" in w for w in warnings)


def test_post_without_liquid_is_untouched(tmp_site):
    body = "Plain *text* with $5 and {braces}.\n"
    root = tmp_site({"_posts/2024-01-02-a.md": "---\ntitle: A\n---\n" + body}, CONFIG)
    paper, _ = _one(root, "a")
    assert paper.body == body


def test_data_files_used_are_dependencies(tmp_site):
    root = tmp_site({"_data/authors.yml": "jd:\n  name: Jane Doe\n",
                     "_data/facts.yml": "answer: 42\n",
                     "_posts/2024-01-02-a.md": "---\ntitle: A\nauthor: jd\n---\nThe answer is {{ site.data.facts.answer }}.\n",
                     "_posts/2024-01-03-b.md": "---\ntitle: B\n---\nNo data here.\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "The answer is 42." in paper.body and paper.author_names == ["Jane Doe"]
    assert sorted(paper.dependencies) == ["_data/authors.yml", "_data/facts.yml"]
    other, _ = _one(root, "b")
    assert other.dependencies == []


def test_include_name_from_a_variable(tmp_site):
    root = tmp_site({"_includes/box-a.html": "box {{ include.n }}",
                     "_posts/2024-01-02-a.md": "---\ntitle: A\nwhich: a\n---\n"
                                               "{% include box-{{ page.which }}.html n=2 %}\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "box 2" in paper.body and warnings == []


def test_post_url_to_posts_in_folders(tmp_site):
    root = tmp_site({"essays/_posts/2024-01-01-e.md": "---\ntitle: E\n---\nx\n",
                     "_posts/sub/2024-01-02-s.md": "---\ntitle: S\n---\nx\n",
                     "_posts/2024-01-03-a.md": "---\ntitle: A\n---\n{% post_url essays/2024-01-01-e %} "
                                               "{% post_url /sub/2024-01-02-s %} {% post_url nope %}\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "https://tiny.example/b/essays/2024/01/01/e.html https://tiny.example/b/2024/01/02/s.html" in paper.body
    assert any("post_url: no post named 'nope'" in w for w in warnings)


def test_a_tag_without_argument_keeps_the_text_after_it(tmp_site):
    root = tmp_site({"_posts/2024-01-02-a.md": "---\ntitle: A\n---\nbefore {% post_url %} after {{ 1 }} end\n"}, CONFIG)
    paper, warnings = _one(root, "a")
    assert "before  after 1 end" in paper.body
    assert any("post_url: no post named ''" in w for w in warnings)
