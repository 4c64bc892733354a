"""Markup real Jekyll sites write (issue 15, content): theme figure includes, raw HTML attributes, span
IALs, `---` in the body, posts written in HTML, plugin Liquid tags. One tiny site of our own, built
once; each test asserts what the editions contain (images in the PDF, valid attributes, a rule …)."""
from __future__ import annotations

import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from lxml import html as lxml_html

from publisher.build import BuildOptions, build
from publisher.validate import epubcheck

VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

CONFIG = "title: Markup\nurl: https://example.org\nbaseurl: /site\nimagemagick:\n  enabled: true\n  widths: [400]\n"

# The site's own figure include, written the way academic themes write theirs: a <picture> with
# <source>s, width/height "auto", a JavaScript error handler.
FIGURE_INCLUDE = """<figure>
  <picture>
    {% for w in site.imagemagick.widths %}<source media="(max-width: {{ w }}px)" srcset="{{ include.path | relative_url }}-{{ w }}.webp" />
    {% endfor %}
    <img src="{{ include.path | relative_url }}" width="auto" height="auto"
      {% if include.alt %}alt="{{ include.alt }}"{% endif %} onerror="this.onerror=null; hide(this);" />
  </picture>
  {% if include.caption %}<figcaption>{{ include.caption }}</figcaption>{% endif %}
</figure>
"""

POSTS = {
    "_posts/2024-01-01-site-figure.md": """---
title: Site figure
---
A figure through the site's include.

{% include figure.html path="assets/img/dot.png" alt="A dot" caption="The dot." %}

{% include figure.html path="assets/img/gone.png" alt="Gone" %}

{% if true %}
{% include figure.html path="assets/img/square.png" alt="A square" %}
{% endif %}
""",
    "_posts/2024-01-02-theme-includes.md": """---
title: Theme includes
gallery:
  - url: /assets/img/dot.png
    image_path: /assets/img/dot.png
    alt: "Gallery dot"
  - image_path: /assets/img/square.png
    alt: "Gallery square"
---
Includes from theme gems the site does not have.

{% include figure.liquid path="assets/img/dot.png" class="img-fluid rounded" caption="A *theme* figure." %}

{% include figure image_path="/assets/img/square.png" alt="Square" caption="Minimal Mistakes figure." %}

{% include gallery caption="A gallery." %}

{% include video id="abcdefghijk" provider="youtube" %}

{% include figure.liquid path="assets/img/missing-figure.png" caption="Not there." %}
""",
    "_posts/2024-01-03-raw-attributes.md": """---
title: Raw attributes
---
Raw HTML with attributes browsers forgive.

<img src="/site/assets/img/dot.png" alt="Percent" width="80%" height="300px" onclick="go()">

<img src="/site/assets/img/square.png" alt="Auto" width="auto" height="auto" min-width="10px">

<iframe src="https://www.youtube.com/embed/abcdefghijk" width="100%" height="auto" frameborder="0" allowfullscreen="true"></iframe>

<figcaption>A caption without a figure.</figcaption>

<details>
<p>Hidden text without a summary.</p>
</details>

<p>Loose <source src="x.mp4"> source.</p>

<script src="/site/assets/js/theme.js"></script>

<script>$('.responsive-img-srcset').remove();</script>

<script src="https://platform.example.org/widgets.js"></script>

<a href="https://example.org/big.jpg"><img src="https://example.org/remote.jpg"></a>

<details close markdown="1">
<summary>Closed</summary>
Some *text*.
</details>

1. one
2. two
{:start="4"}

Old markup: <strike>struck</strike>, <tt>typewriter</tt> and <font color="red">red</font>.
""",
    "_posts/2024-01-04-span-ial.md": """---
title: Span IAL
---
An image with attributes: ![A dot](/assets/img/dot.png){: .img-small width="70"} and a
[link](https://example.org){: target="_blank"} and **bold**{: .mark} text.

![Alone](/assets/img/square.png){: .center width="70%"}

See [the section on Adam](#pytorch-adam-wrt-rlhf), written for kramdown's heading ids.

## **PyTorch Adam w.r.t RLHF**

Text of the section.
""",
    "_posts/2024-01-05-rules.md": """---
title: The real title
---
Text before the rule.

---
title: looks like YAML
---

Text after the rule.

---
broken: [yaml
---

The end.
""",
    "_posts/2024-01-06-written-in-html.html": """---
title: Written in HTML
---
<h2>An HTML section</h2>
    <p>An indented paragraph, {{ page.title }}, with inline math $$x^2$$ that MathJax would render.</p>
    <figure><img src="/assets/img/dot.png" alt="HTML dot" width="auto"><figcaption>HTML figure.</figcaption></figure>
<p>Markdown is *not* converted here.</p>
""",
    "_posts/2024-01-07-plugin-tags.md": """---
title: Plugin tags
---
Common plugins.

{% twitter https://twitter.com/someone/status/123456 %}

{% youtube abcdefghijk %}

{% gist someone/0123abcd example.py %}

{% details Click to open %}
Inside the **details**.
{% enddetails %}

{% tabs demo %}
{% tab demo first %}
First tab text.
{% endtab %}
{% tab demo second %}
Second tab text.
{% endtab %}
{% endtabs %}

{% mermaid %}
graph TD
A-->B
{% endmermaid %}

{%- raw -%}
{{ literal }}
{%- endraw -%}

{% sparkle some args %}

{% highlight c++ linenos %}
int main() { return 0; }
{% endhighlight %}

```markdown
{%- raw -%}![alt]({{ site.url }}/a.jpg)
{: .full}{%- endraw -%}
```
""",
    "_posts/2024-01-08-textile.textile": "---\ntitle: Textile\n---\nh1. Textile\n",
}


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), rgb).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """(BuildReport, out folder, every problem as text) for the fixture site."""
    root = tmp_path_factory.mktemp("markup-site")
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    files = {**POSTS, "_includes/figure.html": FIGURE_INCLUDE}
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    (root / "assets/img").mkdir(parents=True)
    (root / "assets/img/dot.png").write_bytes(_png(30, 20, (200, 30, 30)))
    (root / "assets/img/square.png").write_bytes(_png(25, 25, (30, 30, 200)))
    out = tmp_path_factory.mktemp("markup-out")
    report = build(BuildOptions(source=root, out=out, jobs=2))
    problems = [str(p) for p in report.problems] + [str(p) for r in report.papers for p in r.problems]
    return report, out, problems


SIZES = {(30, 20), (25, 25)}  # the fixture's two pictures (the PDF may hold others: a cover, a logo)


def _pdf_images(pdf: Path) -> int:
    """How many times the fixture's pictures are drawn in PDF (from the PDF's own image objects)."""
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True, timeout=60).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    return sum(1 for r in rows if len(r) > 4 and r[2] == "image" and (int(r[3]), int(r[4])) in SIZES)


def _page(out: Path, slug: str):
    return lxml_html.fromstring((out / slug / "index.html").read_text(encoding="utf-8"))


def _main(out: Path, slug: str):
    return _page(out, slug).cssselect("main")[0]


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, timeout=60).stdout.decode()


def test_every_post_is_built(site):
    report, out, problems = site
    assert not [r for r in report.papers if r.failed], problems
    for slug in ("site-figure", "theme-includes", "raw-attributes", "span-ial", "rules", "written-in-html",
                 "plugin-tags"):
        assert (out / slug / f"{slug}.pdf").is_file(), slug
        assert (out / slug / f"{slug}.epub").is_file(), slug


def test_site_include_figure_reaches_the_pdf(site):
    """<picture><source …><img width=auto onerror=…>: the image is in the PDF (it used to vanish)."""
    _report, out, problems = site
    assert _pdf_images(out / "site-figure" / "site-figure.pdf") == 2  # the second is inside {% if %}
    # a missing image behind the site's include is reported at the include's line, naming the path
    assert any("site-figure.md:8: warning: image '/site/assets/img/gone.png' was not found" in p
               for p in problems), problems
    for img in _main(out, "site-figure").iter("img"):
        assert img.get("width") is None and img.get("height") is None and img.get("onerror") is None
    assert not list(_main(out, "site-figure").iter("source"))


def test_theme_includes_have_built_in_equivalents(site):
    _report, out, problems = site
    main = _main(out, "theme-includes")
    figures = main.cssselect("figure")
    captions = [f.cssselect("figcaption")[0].text_content() for f in figures if f.cssselect("figcaption")]
    assert "A theme figure." in captions and "Minimal Mistakes figure." in captions and "A gallery." in captions
    gallery = main.cssselect("figure.gallery")[0]
    assert [i.get("alt") for i in gallery.iter("img")] == ["Gallery dot", "Gallery square"]
    assert main.cssselect('figure.embed a[href="https://www.youtube.com/watch?v=abcdefghijk"]')
    # figure.liquid + figure + two gallery images; the missing one is a placeholder
    assert _pdf_images(out / "theme-includes" / "theme-includes.pdf") == 4
    assert any("theme-includes.md:20: warning: image" in p and "missing-figure.png" in p for p in problems), problems
    assert not any("not found in _includes" in p for p in problems), problems


def test_raw_html_attributes_are_made_valid(site):
    _report, out, problems = site
    main = _main(out, "raw-attributes")
    for el in main.iter("img", "iframe", "video"):
        for attr in ("width", "height"):
            assert el.get(attr) is None or el.get(attr).isdigit(), lxml_html.tostring(el)
        assert not [a for a in el.attrib if a.startswith("on")]
        assert el.get("frameborder") is None and el.get("min-width") is None
    percent = main.cssselect('img[alt="Percent"]')[0]
    assert "width: 80%" in percent.get("style") and percent.get("height") == "300"
    assert main.cssselect("iframe")[0].get("allowfullscreen") == ""
    assert not main.cssselect("figcaption") or all(c.getparent().tag == "figure" for c in main.cssselect("figcaption"))
    assert main.cssselect("p.caption")[0].text_content() == "A caption without a figure."
    details = main.cssselect("details")[0]
    assert details[0].tag == "summary"
    closed = main.cssselect("details")[1]
    assert closed.get("close") is None and closed.get("markdown") is None
    assert main.cssselect("ol")[0].get("start") == "4"
    assert not list(main.iter("source"))
    # theme scripts go (the site's own JS, inline jQuery); the author's remote script stays (html_policy)
    assert [s.get("src") for s in main.iter("script")] == ["https://platform.example.org/widgets.js"]
    assert main.cssselect("s")[0].text == "struck" and main.cssselect("code")[0].text == "typewriter"
    assert not list(main.iter("strike", "tt", "font")) and "color: red" in main.cssselect("span[style]")[0].get("style")
    assert _pdf_images(out / "raw-attributes" / "raw-attributes.pdf") == 2


def test_epubs_pass_epubcheck(site):
    _report, out, _ = site
    reports = epubcheck(sorted(out.glob("*/*.epub")))
    assert len(reports) == 7
    bad = [r.describe() for r in reports if not r.ok]
    assert not bad, "\n".join(bad)


def test_html_pages_pass_the_nu_checker(site):
    _report, out, _ = site
    assert VNU_JAR.is_file(), "the Nu HTML Checker is missing: run scripts/npm-deps.sh"
    pages = sorted(out.glob("*/index.html"))
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=600)
    errors = [f"{m.get('url')}:{m.get('lastLine')}: {m['message']}"
              for m in json.loads(proc.stdout or proc.stderr)["messages"] if m["type"] == "error"]
    assert not errors, "\n".join(errors)


def test_span_ial_after_an_image_is_an_attribute_not_text(site):
    _report, out, _ = site
    main = _main(out, "span-ial")
    assert "{:" not in main.text_content() and "{:" not in _pdf_text(out / "span-ial" / "span-ial.pdf")
    img = main.cssselect('img[alt="A dot"]')[0]
    assert "img-small" in img.get("class") and img.get("width") == "70"
    alone = main.cssselect('img[alt="Alone"]')[0]
    assert "center" in alone.get("class") and re.search(r"width:\s*70(\.0)?%", alone.get("style"))
    assert main.cssselect('a[href="https://example.org"]')[0].get("target") == "_blank"


def test_links_to_kramdown_heading_ids_lead_to_the_heading(site):
    _report, out, _ = site
    main = _main(out, "span-ial")
    heading = [h for h in main.cssselect("h2") if "Adam" in h.text_content()][0]
    target = heading.get("id") or heading.getparent().get("id")
    link = [a for a in main.cssselect("a") if a.text_content() == "the section on Adam"][0]
    assert target and link.get("href") == "#" + target
    with zipfile.ZipFile(next(out.glob("span-ial/*.epub"))) as z:
        chapters = {n: z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml")}
    assert any(f'href="ch01.xhtml#{target}"' in t or f'href="#{target}"' in t for t in chapters.values())


def test_dashes_in_the_body_are_rules_not_metadata(site):
    _report, out, problems = site
    page = _page(out, "rules")
    assert page.cssselect("h1")[0].text_content().strip().startswith("The real title")
    main = page.cssselect("main")[0]
    # as kramdown reads it: a rule, then the next line is a heading underlined by the closing ---
    assert len(main.cssselect("hr")) == 2
    assert [h.text_content().split(" #")[0].strip() for h in main.cssselect("h2")] == \
        ["title: looks like YAML", "broken: [yaml"]
    assert "Text after the rule." in main.text_content() and "The end." in main.text_content()
    assert not any("YAML" in p and "rules" in p for p in problems), problems


def test_posts_written_in_html_are_read(site):
    _report, out, problems = site
    main = _main(out, "written-in-html")
    assert main.cssselect("h2")[0].text_content().startswith("An HTML section")
    assert "Written in HTML" in main.text_content()  # Liquid ran
    assert not main.cssselect("pre")  # indentation is not a code block in HTML
    assert main.cssselect("math")  # $$…$$ as MathJax reads it
    assert "*not*" in main.text_content()  # no Markdown conversion, as in Jekyll
    assert _pdf_images(out / "written-in-html" / "written-in-html.pdf") == 1
    assert any("2024-01-08-textile.textile" in p and "publisher reads only Markdown and HTML" in p
               for p in problems), problems


def test_plugin_tags_map_to_equivalents_and_unknown_ones_warn(site):
    _report, out, problems = site
    main = _main(out, "plugin-tags")
    hrefs = {a.get("href") for a in main.cssselect("figure.embed a")}
    assert {"https://twitter.com/someone/status/123456", "https://www.youtube.com/watch?v=abcdefghijk",
            "https://gist.github.com/someone/0123abcd#file-example-py"} <= hrefs
    details = main.cssselect("details")[0]
    assert details[0].tag == "summary" and details[0].text_content().strip() == "Click to open"
    assert details.cssselect("strong")[0].text == "details"  # the content is Markdown
    labels = [p.text_content().strip() for p in main.cssselect("div.tab p.tab-label")]
    assert labels == ["first", "second"]
    assert "Second tab text." in main.cssselect("div.tab")[1].text_content()
    assert "A-->B" in main.cssselect("pre")[0].text_content()
    assert "{{ literal }}" in main.text_content()
    shown = [p.text_content() for p in main.cssselect("pre") if "{: .full}" in p.text_content()]
    assert shown and "![alt]({{ site.url }}/a.jpg)" in shown[0]  # {%- raw -%} trims nothing around it
    cpp = [p for p in main.cssselect("pre") if "int main()" in p.text_content()]
    assert cpp and "cpp" in cpp[0].get("class", "") + cpp[0].cssselect("code")[0].get("class", "")
    assert any("plugin-tags.md:34" in p and "unknown Liquid tag 'sparkle'" in p for p in problems), problems
    assert any("plugin-tags.md" in p and "mermaid" in p for p in problems), problems
    epub = next(out.glob("plugin-tags/*.epub"))
    with zipfile.ZipFile(epub) as z:
        text = " ".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert "gist.github.com/someone/0123abcd" in text and not re.search(r"\{%|%\}", text)


def test_one_faulty_liquid_markup_does_not_cost_the_post_its_other_liquid():
    """Jekyll's lax Liquid: a Hugo shortcode in a comment and an unclosed {% if %} are removed on their
    own (with their lines); the include and the variables around them still render."""
    from publisher.jekyll import liquid

    root = Path(__file__).resolve().parent / "sites" / "jekyll-syntax"
    state = liquid.RenderState("x.md", 10, root, liquid.SiteIndex(root))
    env = liquid.make_environment("https://example.org", "")
    body = ('a {{ page.title }}\n<!-- {{<sidefigure src="x.png">}} -->\nb {% if x %} never closed\n'
            '{{ "ok" | upcase }}\n')
    out = liquid.render(body, {"title": "T"}, state, env)
    assert out.split("\n")[0] == "a T" and "OK" in out and "sidefigure" not in out and "{%" not in out
    messages = [str(p) for p in state.problems]
    assert any(m.startswith("x.md:11: warning: Liquid:") and "that markup was removed" in m for m in messages)
    assert any(m.startswith("x.md:12: warning: Liquid: expected tag endif") for m in messages), messages


def test_only_dashes_pandoc_would_take_for_metadata_become_rules():
    from publisher.jekyll.thematic_breaks import protect_rules

    body = "---\nfirst: x\n---\n\nHeading\n---\n\n```yaml\n\n---\nkey: v\n---\n```\n\n    ---\n"
    out = protect_rules(body).split("\n")
    assert out[0] == "* * *" and out[2] == "---"  # a rule; then a setext underline, as kramdown reads it
    assert out[5] == "---"  # under a line of text: a heading underline
    assert out[9] == "---" and out[11] == "---"  # inside fenced code: untouched
    assert out[14] == "    ---"  # indented code
    assert len(out) == len(body.split("\n"))
