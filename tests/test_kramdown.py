"""kramdown syntax → pandoc Markdown (publisher.jekyll.kramdown), checked through pandoc's HTML."""
from __future__ import annotations

import subprocess

import pytest

from publisher.jekyll.kramdown import attributes, plain_markdown, to_pandoc
from publisher.render import READER, pandoc_path


def html(markdown: str) -> tuple[str, str]:
    text = to_pandoc(markdown)
    proc = subprocess.run([pandoc_path(), f"--from={READER}", "--to=html5", "--mathml", "--wrap=none"],
                          input=text.encode(), capture_output=True, timeout=60, check=True)
    return proc.stdout.decode(), proc.stderr.decode()


def test_attribute_lists():
    assert attributes('.a #b key="v w" k2=\'x\' ref') == '{.a #b key="v w" k2="x"}'


def test_block_ial_on_paragraph_heading_and_code():
    out, err = html("Para text.\n{: .lead #p1}\n\n## Head\n{: #h .x}\n\n```python\nx = 1\n```\n{: .code}\n\n"
                    "{: .before}\nNext para.\n")
    assert '<div id="p1" class="lead">' in out and "<p>Para text.</p>" in out
    assert '<h2 class="x" id="h">Head</h2>' in out
    assert 'class="sourceCode python code"' in out
    assert '<div class="before">\n<p>Next para.</p>' in out
    assert "{:" not in out and err == ""


def test_span_ial_on_links_emphasis_and_code():
    out, _ = html("A [l](http://x){: .ext} *e*{: .m} **s**{:.n} `c`{: .language-py}.\n")
    assert '<a href="http://x" class="ext">l</a>' in out
    assert '<span class="m"><em>e</em></span>' in out and '<span class="n"><strong>s</strong></span>' in out
    assert '<code class="language-py">c</code>' in out


def test_toc_marker_comments_options_and_ald_are_removed():
    out, _ = html("* TOC\n{:toc}\n\n{::comment}\nsecret\n{:/comment}\n\n{::options auto_ids=\"false\" /}\n\n"
                  "{:ref: .x}\n\nText.\n")
    assert "TOC" not in out and "secret" not in out and "options" not in out and "{:" not in out
    assert "<p>Text.</p>" in out


def test_abbreviations():
    out, _ = html("Uses HTML and `HTML` in code.\n\n*[HTML]: HyperText Markup Language\n")
    assert '<abbr title="HyperText Markup Language">HTML</abbr> and <code>HTML</code>' in out
    assert "*[" not in out


def test_nomarkdown_is_raw_html():
    out, _ = html("{::nomarkdown}\n<span>*raw*</span>\n{:/nomarkdown}\n")
    assert "<span>*raw*</span>" in out


def test_markdown_attribute_on_html_blocks():
    out, _ = html('<div markdown="1">\n**bold**\n</div>\n\n<div>\n**not parsed**\n</div>\n')
    assert "<strong>bold</strong>" in out and "**not parsed**" in out and "markdown=" not in out


@pytest.mark.parametrize("source,display", [
    ("Inline $$x^2$$ in text.\n", "inline"),
    ("$$x^2$$\n", "block"),
    ("$$\nx^2\n$$\n", "block"),
    ("Before\n\n$$\n\\frac{1}{2}\n$$\n\nAfter\n", "block"),
])
def test_kramdown_math_rule(source, display):
    out, err = html(source)
    assert f'<math display="{display}"' in out
    assert "$$" not in out and err == ""


def test_mathjax_delimiters_and_dollars_that_are_not_math():
    out, err = html("A \\\\( x+1 \\\\) and \\\\[ y \\\\] and prices $5 and $10. Mail @someone :tada:\n")
    assert out.count("<math") == 2 and "$5 and $10" in out
    assert "@someone" in out and "🎉" in out and "cite" not in out and err == ""


def test_fenced_code_is_left_alone():
    source = "```\n{: .x}\n$$y$$\n*[A]: b\n```\n\n*[A]: Alpha\n"
    text = to_pandoc(source)
    assert "```\n{: .x}\n$$y$$\n*[A]: b\n```" in text


def test_plain_markdown_for_excerpts():
    assert plain_markdown("* TOC\n{:toc}\nText *a*{: .b}\n{: .c}\n*[X]: y\n").split() == ["Text", "*a*"]
    # footnotes: Jekyll appends every definition found after the separator; kramdown prints none
    # that the excerpt does not cite, and the plain text drops the cited ones' markers too
    assert plain_markdown("A note.[^n] End.\n\n[^n]: The note,\n    on two lines.\n[^2]: Two.\n[a]: /x\n").split() \
        == ["A", "note.", "End.", "[a]:", "/x"]


def test_setext_heading_with_ial():
    out, _ = html("Title\n=====\n{: #top .x}\n\nSub\n---\n{: #sub}\n\nText.\n")
    assert '<h1 class="x" id="top">Title</h1>' in out and '<h2 id="sub">Sub</h2>' in out
