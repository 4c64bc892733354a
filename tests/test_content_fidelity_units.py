"""Content fidelity (issue 4), piece by piece: image resolution, math drawing, body transforms, note styles."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pdfplumber
import pytest

from publisher import assets, config
from publisher.build import BuildOptions, build
from publisher.editions import body
from publisher.mathsvg import MathError, to_svg
from publisher.model import Asset, Document, InputError, Paper

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00"
       b"\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")
SVG = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
       b'<script>alert(1)</script><rect width="10" height="10" onclick="x()"/>'
       b'<image xlink:href="https://tracker.example.com/a.png"/></svg>')


def _paper(root: Path, body_text: str = "", rel: str = "_posts/2025-01-01-a.md") -> Paper:
    return Paper(source=root / rel, rel_source=rel, slug="a", title="A", date=dt.datetime(2025, 1, 1), url="/a",
                 body=body_text, body_line=5)


@pytest.fixture
def site(tmp_path) -> Path:
    (tmp_path / "_posts" / "pics").mkdir(parents=True)
    (tmp_path / "assets").mkdir()
    (tmp_path / "_posts" / "pics" / "dot.png").write_bytes(PNG)
    (tmp_path / "assets" / "dot.png").write_bytes(PNG)
    (tmp_path / "assets" / "drawing.svg").write_bytes(SVG)
    (tmp_path / "assets" / "fake.png").write_bytes(b"this is text, not an image")
    (tmp_path.parent / "secret.png").write_bytes(PNG)
    return tmp_path


# ---- images ---------------------------------------------------------------------------------------------

def test_local_images_resolve_relative_to_the_post_and_the_site_root(site):
    r = assets.Resolver(_paper(site), site, baseurl="/blog")
    for src in ("pics/dot.png", "/assets/dot.png", "/blog/assets/dot.png", "{{ site.baseurl }}/assets/dot.png",
                "%7B%7B%20site.baseurl%20%7D%7D/assets/dot.png", "{{ '/assets/dot.png' | relative_url }}",
                "assets/dot.png", "/assets/dot.png?v=2#x"):
        a = r.resolve(src, "a dot")
        assert a.ok, (src, a.error)
        assert a.media_type == "image/png" and a.data == PNG and re.fullmatch(r"images/dot-[0-9a-f]{10}\.png", a.name)


def test_images_outside_the_site_or_with_other_schemes_are_refused(site):
    r = assets.Resolver(_paper(site), site)
    assert "outside the site" in r.resolve("../../secret.png").error
    assert "not found" in r.resolve("/etc/passwd").error  # an absolute path is a site path, never the disk root
    assert "not allowed" in r.resolve("file:///etc/passwd").error
    assert "not allowed" in r.resolve("javascript:alert(1)").error
    assert "not an image" in r.resolve("/assets/fake.png").error
    assert "not found" in r.resolve("/assets/missing.png").error


def test_an_image_at_the_sites_own_address_is_a_site_file(site):
    """`{{ site.url }}{{ site.baseurl }}/assets/dot.png`: read from the site, never fetched; one the site
    lacks is not found (an "Image not available" placeholder), not a remote image shown as a link."""
    r = assets.Resolver(_paper(site), site, baseurl="/blog", site_url="https://harbour.example.org")
    found = r.resolve("https://harbour.example.org/blog/assets/dot.png", "a dot")
    assert found.ok and not found.remote and found.path == (site / "assets" / "dot.png").resolve()
    lost = r.resolve("https://harbour.example.org/blog/assets/none.png")
    assert not lost.remote and "was not found" in lost.error
    other = r.resolve("https://harbour.example.org.evil.example/blog/assets/dot.png")
    assert other.remote and "network access is off" in other.error


def test_remote_images_need_the_network_and_use_the_cache(site, tmp_path_factory):
    url = "https://images.example.invalid/photo.png"
    off = assets.Resolver(_paper(site), site).resolve(url, "photo")
    assert not off.ok and "network access is off" in off.error
    # network on: a host that does not resolve is refused (it is not a public address) ...
    cache = tmp_path_factory.mktemp("cache")
    on = assets.Resolver(_paper(site), site, network=True, cache_dir=cache)
    assert "not a public address" in on.resolve(url).error
    assert "not a public address" in on.resolve("http://127.0.0.1/x.png").error
    # ... unless the image is already in the on-disk cache
    assets.RemoteCache(cache).put(url, PNG)
    cached = on.resolve(url, "photo")
    assert cached.ok and cached.data == PNG
    # the cache is never read when the network is off (no stale leak of a policy change)
    assert not assets.Resolver(_paper(site), site, cache_dir=cache).resolve(url).ok
    # the allow-list applies before anything else
    listed = assets.Resolver(_paper(site), site, network=True, allowed_hosts=["example.org"], cache_dir=cache)
    assert "allowed_hosts" in listed.resolve("https://other.example.net/a.png").error


def test_svg_images_are_cleaned_and_types_come_from_the_bytes(site):
    a = assets.Resolver(_paper(site), site).resolve("/assets/drawing.svg", "drawing")
    assert a.ok and a.media_type == "image/svg+xml"
    assert b"<script" not in a.data and b"onclick" not in a.data and b"tracker.example.com" not in a.data
    assert assets.media_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert assets.media_type(b"GIF89a...") == "image/gif"
    assert assets.media_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert assets.media_type(b"<?xml version='1.0'?>\n<svg xmlns='http://www.w3.org/2000/svg'/>") == "image/svg+xml"


def test_attach_warns_with_file_and_line_and_finds_the_cover(site):
    text = "Intro\n\n![A missing chart](/assets/nothing.png)\n\n![ok](pics/dot.png)\n"
    paper = _paper(site, text)
    paper.image = "/assets/dot.png"
    doc = Document(body_html='<p><img src="/assets/nothing.png" alt="A missing chart"></p><img src="pics/dot.png" '
                             'alt="ok">', title_html="A", title_text="A")
    assets.attach(paper, doc, site)
    assert doc.assets["pics/dot.png"].ok and not doc.assets["/assets/nothing.png"].ok
    [warning] = doc.warnings
    assert warning.severity == "warning" and warning.file == paper.rel_source and warning.line == 7
    assert "/assets/nothing.png" in warning.message
    assert doc.cover is not None and doc.cover.data == PNG


# ---- math -----------------------------------------------------------------------------------------------

def test_mathml_becomes_an_svg_sized_in_em():
    svg, w, h, depth = to_svg('<math xmlns="http://www.w3.org/1998/Math/MathML"><semantics><mfrac><mi>a</mi>'
                              '<mi>b</mi></mfrac><annotation encoding="application/x-tex">\\frac{a}{b}</annotation>'
                              '</semantics></math>')
    assert svg.startswith("<svg") and "<path" in svg and "frac" not in svg
    assert 0.3 < w < 3 and 1 < h < 4 and depth > 0.2


def test_math_ziamath_cannot_draw_falls_back_to_tex_with_a_warning(tmp_path):
    with pytest.raises(MathError):
        to_svg('<math xmlns="http://www.w3.org/1998/Math/MathML"><mblob>x</mblob></math>')
    paper = _paper(tmp_path, "Text with $\\weird{x}$ inside.\n")
    doc = Document(body_html='<p>Text with <math display="inline"><semantics><mblob>x</mblob><annotation '
                             'encoding="application/x-tex">\\weird{x}</annotation></semantics></math> inside.</p>',
                   title_html="A", title_text="A")
    problems = []
    out = body.for_pdf(doc, paper, problems=problems)
    assert '<code class="math-fallback">\\weird{x}</code>' in out and "<math" not in out
    [p] = problems
    assert p.line == 5 and p.severity == "warning" and "\\weird{x}" in p.message


def test_tex_pandoc_cannot_convert_is_reported_with_its_line_and_shown_as_source(tmp_site):
    root = tmp_site({"_posts/2025-01-02-m.md": "---\ntitle: M\n---\n\nFine $x^2$ here.\n\nBad $\\notacommand{y}$ "
                                                 "here.\n"}, config="title: T\n")
    report = build(BuildOptions(source=root, out=root / "out", formats=["html", "epub"]))
    [paper] = report.papers
    assert not paper.failed
    [warning] = [p for p in paper.problems if "math" in p.message]
    assert warning.line == 7 and "\\notacommand{y}" in warning.message
    page = (root / "out" / "m" / "index.html").read_text(encoding="utf-8")
    assert '<code class="math-fallback" title="TeX that could not be typeset">\\notacommand{y}</code>' in page
    assert "<math" in page and "$\\notacommand" not in page


# ---- body transforms ------------------------------------------------------------------------------------

def _doc(html: str, **assets_by_src) -> Document:
    return Document(body_html=html, title_html="T", title_text="T", assets=dict(assets_by_src))


def test_embeds_become_captioned_links_and_scripts_disappear(tmp_path):
    html = ('<p>Watch:</p>\n<iframe src="https://www.youtube-nocookie.com/embed/XyZ12345678?start=3" title="Launch">'
            '</iframe>\n<p>Listen <audio src="/media/a.mp3"></audio> now</p>\n<video><source src="//cdn.example.org/v.mp4">'
            '</video>\n<script src="https://evil.example.com/x.js"></script><noscript><p>No JS</p></noscript>'
            '<p><iframe src="https://player.vimeo.com/video/12345"></iframe></p>')
    for out in (body.for_epub(_doc(html), _paper(tmp_path), site_url="https://site.example"),
                body.for_pdf(_doc(html), _paper(tmp_path), site_url="https://site.example")):
        assert "<iframe" not in out and "<script" not in out and "<video" not in out and "<audio" not in out
        assert '<a href="https://www.youtube.com/watch?v=XyZ12345678">Launch</a>' in out
        assert '<a href="https://site.example/media/a.mp3">' in out and "(audio, online only)" in out
        assert 'href="https://cdn.example.org/v.mp4"' in out
        assert '<figure class="embed"><p class="embed-link"><a href="https://vimeo.com/12345">' in out
        assert "<p>No JS</p>" in out.replace('<span class="caps">JS</span>', "JS")  # the PDF sets capitals small
    kept = body.for_html(_doc(html), _paper(tmp_path))
    assert "<iframe" in kept and "<script" in kept and "<audio" in kept


def test_the_pdf_counts_words_before_it_sets_capitals_small(tmp_path):
    """The word count that decides the PDF's page openings (pdf.LONG_PAPER_WORDS) is taken on the tree
    before small capitals are set: a span.caps next to punctuation is no extra word."""
    from publisher.editions.pdf import LONG_PAPER_WORDS

    runs = LONG_PAPER_WORDS // 2
    words: list[int] = []
    out = body.for_pdf(_doc("<p>" + "(NATO), " * runs + "and <em>un</em>wise.</p>"), _paper(tmp_path), words=words)
    assert out.count('(<span class="caps">NATO</span>),') == runs
    assert words == [runs + 3]  # every tag counts as a space, as it always did: "un" and "wise." are two
    summary: list[int] = []
    body.for_pdf(_doc("<p>x</p>"), _paper(tmp_path), part="summary", words=summary)
    assert summary == []  # only the body decides


def test_the_web_pages_headings_link_to_themselves_with_their_text_as_label(tmp_path):
    """Heading anchors are made on the tree: the label is the heading's text, escaped once."""
    from lxml import html as lxml_html

    html = ('<section id="rd" class="level2"><h2>R&amp;D’s &lt;tools&gt; for Adam\'s "team"</h2>'
            '<section id="sub" class="level3"><h3 id="own">Own id</h3></section></section>'
            '<h4 id="raw">Raw <em>heading</em></h4>')
    root = lxml_html.fragment_fromstring(body.for_html(_doc(html), _paper(tmp_path)), create_parent="div")
    anchors = {a.get("href"): a for a in root.iter("a") if a.get("class") == "anchor"}
    assert sorted(anchors) == ["#raw", "#rd", "#sub"]  # one per heading; h3#own links to its section
    assert anchors["#rd"].get("aria-label") == 'Link to the section “R&D’s <tools> for Adam\'s "team"”'
    assert anchors["#raw"].get("aria-label") == "Link to the section “Raw heading”"
    assert anchors["#raw"].getparent().tag == "h4" and anchors["#raw"].text == "#"


def test_images_are_placed_per_edition_and_missing_ones_become_placeholders(tmp_path):
    ok = Asset(src="a.png", alt="A", path=tmp_path / "a.png", data=PNG, media_type="image/png", name="images/a-1.png")
    gone = Asset(src="https://x.example/b.png", alt="B", error="was not fetched", remote=True)
    lost = Asset(src="https://site.example/c.png", alt="C", error="was not found")  # the site's own address
    html = ('<figure><img src="a.png" alt="A"><figcaption>A</figcaption></figure><p><img src="https://x.example/b.png" '
            'alt="Bee"></p><p><img src="https://site.example/c.png" alt="Sea"></p>')
    doc = _doc(html, **{"a.png": ok, "https://x.example/b.png": gone, "https://site.example/c.png": lost})
    epub = body.for_epub(doc, _paper(tmp_path))
    assert '<img src="images/a-1.png" alt="A">' in epub
    assert ('<span class="image-missing image-remote" id="_remote-image-1"><span class="image-missing-label">Image online'
            '</span>: Bee (<a class="image-url" href="https://x.example/b.png">x.example/b.png</a>)</span>') in epub
    assert '<span class="image-missing"><span class="image-missing-label">Image not available</span>: Sea</span>' in epub
    assert body.epub_images(doc) == [ok]
    pdf = body.for_pdf(doc, _paper(tmp_path))
    assert f'src="{(tmp_path / "a.png").as_uri()}"' in pdf and "Image online</span>: Bee (" in pdf
    out = tmp_path / "out"
    page = body.for_html(doc, _paper(tmp_path), out)
    assert (out / "images" / "a-1.png").read_bytes() == PNG and 'src="images/a-1.png"' in page
    assert 'src="https://x.example/b.png"' in page  # the browser may still load it


def test_tables_get_a_header_row_and_wide_ones_are_marked(tmp_path):
    html = ("<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>"
            "<table><thead><tr>" + "<th>x</th>" * 9 + "</tr></thead><tbody><tr>" + "<td>1</td>" * 9 + "</tr></tbody></table>")
    out = body.for_epub(_doc(html), _paper(tmp_path))
    assert "<table><thead><tr><th>a</th><th>b</th></tr></thead><tbody><tr><td>1</td>" in out
    assert '<table class="wide">' in out
    page = body.for_html(_doc(html), _paper(tmp_path))
    assert page.count('<div class="table-scroll" role="region" tabindex="0" aria-label="Table">') == 2


NOTES_HTML = ('<section id="one" class="level2"><h2>One</h2><p>Alpha.<a href="#fn1" class="footnote-ref" id="fnref1" '
              'role="doc-noteref"><sup>1</sup></a></p></section><section id="two" class="level2"><h2>Two</h2><p>Beta.'
              '<a href="#fn2" class="footnote-ref" id="fnref2" role="doc-noteref"><sup>2</sup></a></p></section>'
              '<section id="footnotes" class="footnotes footnotes-end-of-document" role="doc-endnotes"><hr><ol>'
              '<li id="fn1"><p>First note.<a href="#fnref1" class="footnote-back" role="doc-backlink">↩︎</a></p>'
              '<p>Its second paragraph.</p></li><li id="fn2"><p>Second note.<a href="#fnref2" class="footnote-back" '
              'role="doc-backlink">↩︎</a></p></li></ol></section>')


def test_pdf_note_styles(tmp_path):
    foot = body.for_pdf(_doc(NOTES_HTML), _paper(tmp_path))
    assert ('<p>Alpha.<span class="footnote" id="fn1">First note.<br><span class="fn-p">Its second paragraph.</span>'
            '</span></p>') in foot
    assert "footnotes-end-of-document" not in foot and "↩" not in foot
    end = body.for_pdf(_doc(NOTES_HTML), _paper(tmp_path), notes="endnotes")
    assert '<section id="footnotes" class="endnotes" role="doc-endnotes"><h2 class="notes-title">Notes</h2>' in end
    per = body.for_pdf(_doc(NOTES_HTML), _paper(tmp_path), notes="section-endnotes")
    assert re.search(r'Alpha\..*<section class="endnotes section-notes"><h3 class="notes-title">Notes</h3>'
                     r'<ol start="1"><li id="fn1">.*</section></section><section id="two"', per, re.S)
    assert '<ol start="2"><li id="fn2">' in per and 'id="footnotes"' not in per


def test_notes_option_is_validated(tmp_path):
    (tmp_path / "_config.yml").write_text("publisher:\n  notes: margin\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        config.load(tmp_path)
    assert err.value.problem.line == 2 and "footnotes" in err.value.problem.hint
    (tmp_path / "_config.yml").write_text("publisher:\n  notes: endnotes\n  sidenotes: true\n", encoding="utf-8")
    opts = config.load(tmp_path).options
    assert opts.notes == "endnotes" and opts.sidenotes is True


def test_pdf_endnotes_build_puts_notes_at_the_end(tmp_site):
    post = ("---\ntitle: Notes\n---\n\nA claim.[^a] Another.[^b]\n\n### Later\n\nMore text.\n\n"
            "[^a]: The first endnote text.\n[^b]: The second endnote text.\n")
    root = tmp_site({"_posts/2025-01-03-notes.md": post}, config="title: T\npublisher:\n  notes: endnotes\n")
    report = build(BuildOptions(source=root, out=root / "out", formats=["pdf"]))
    assert not report.failed
    with pdfplumber.open(root / "out" / "notes" / "notes.pdf") as pdf:
        texts = [re.sub(r"\s+", " ", p.extract_text() or "") for p in pdf.pages]
    last = next(t for t in reversed(texts) if t.strip())
    assert "Notes" in last and "The first endnote text." in last and "The second endnote text." in last
    claim = next(t for t in texts if "A claim." in t)
    assert "The first endnote text." not in claim or claim == last


def test_local_dependencies_lists_the_image_files_a_post_uses(site):
    text = ("![a](pics/dot.png) and ![b]({{ site.baseurl }}/assets/drawing.svg \"title\")\n"
            '<img src="/assets/dot.png" alt="c"> ![remote](https://x.example/y.png) ![gone](/assets/none.png)\n')
    paper = _paper(site, text)
    paper.image = "assets/fake.png"
    found = assets.local_dependencies(paper, site)
    assert found == [(site / "_posts/pics/dot.png").resolve(), (site / "assets/drawing.svg").resolve(),
                     (site / "assets/dot.png").resolve(), (site / "assets/fake.png").resolve()]
