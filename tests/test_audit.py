"""`publisher audit`: findings made to happen for real in tiny posts, a clean post without any, the exit
status, and the audit of every site the suite builds."""
from __future__ import annotations

import json
import zlib
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.audit import audit
from publisher.build import BuildOptions, build
from publisher.cli import cli


def png(width: int, height: int) -> bytes:
    """A small grey PNG, written by hand (no image library needed)."""
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


CLEAN = """---
title: A clean paper
---
The harbour keeps a tide book, and the book keeps the harbour honest.[^a]

## Readings

![Monthly readings at the quay](/assets/readings.png)

| Month | Height |
|-------|-------:|
| March | 4.1    |

$$h = a \\sin(\\omega t)$$

## Conclusion

Records made by hand remain the longest series there is.

[^a]: The book starts in 1931.
"""

REMOTE = """---
title: A remote figure
---
The photograph below lives on another server and the build may not fetch it.

![Aerial view of the harbour](https://archive.example.net/harbour.png)

The text goes on after the figure, as it does in every edition.

[![Thumbnail of the quay](https://archive.example.net/quay.jpg?w=200&fit=max#crop)](https://archive.example.net/quay-full.jpg)

{% capture tide %}[![Tide chart](https://charts.example.org/tide-1931.png?size=large&v=2)](https://charts.example.org/){% endcapture %}
<figure>
  {{ tide | markdownify | remove: "<p>" | remove: "</p>" }}
  <figcaption>The tide chart of 1931.</figcaption>
</figure>

The last paragraph closes the post.
"""

EMOJI = """---
title: Emoji in the text
---
The team thanks the hugging face 🤗 community, **the lettuce 🥬 in bold** and *fast forward ⏩ in italics*.

A framed picture 🖼️ with its selector, a scientist 👩‍🔬 and a shortcode :tada: too; the sign © stays text.
"""

WIDE = """---
title: A wide string
---
The checksum of the archive follows, exactly as the server printed it.

```
sha512=8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4a8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4
```

And inline, as the log printed it: `8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4a8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4` in full.

The house style breaks those strings (overflow-wrap), so this line is what still runs off the page:
<span style="white-space: nowrap">its author keeps the whole of this long sentence on one line, whatever the width of the page it is set on, with a style of its own.</span>
"""

NO_FILE = """---
title: A figure without its file
---
The figure below was never added to the site.

![A chart that was never uploaded](/assets/never-uploaded.png)
"""

GLYPH = """---
title: A rare script
---
The tablet shows the sign \U00010000 for a, which no house font has.
"""


def _site(root: Path, posts: dict[str, str]) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text("title: Audit fixtures\n", encoding="utf-8")
    (root / "assets").mkdir()
    (root / "assets" / "readings.png").write_bytes(png(64, 40))
    for name, text in posts.items():
        (root / "_posts" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def clean_out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("audit-clean")
    root = _site(base / "site", {"2025-01-01-clean.md": CLEAN, "2025-01-05-no-file.md": NO_FILE})
    out = base / "out"
    report = build(BuildOptions(source=root, out=out, jobs=1))
    assert not report.failed
    return out


@pytest.fixture(scope="module")
def faulty_out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("audit-faulty")
    root = _site(base / "site", {"2025-01-03-wide.md": WIDE, "2025-01-04-glyph.md": GLYPH})
    out = base / "out"
    report = build(BuildOptions(source=root, out=out, jobs=1))
    assert not report.failed
    return out


def by_slug(out: Path) -> dict:
    return {r.slug: r for r in audit(out)}


def test_clean_paper_has_no_finding_and_measures_agree(clean_out):
    r = by_slug(clean_out)["clean"]
    assert r.findings == [], [str(p) for p in r.findings]
    html, epub, pdf, src = (r.measures[k] for k in ("html", "epub", "pdf", "source"))
    assert html.words == epub.words and abs(pdf.words - html.words) <= 5
    assert html.words > 30
    assert html.images == epub.images == ["readings"] and len(pdf.images) == 1
    assert html.equations == epub.equations == 1 and html.footnotes == epub.footnotes == 1
    assert html.tables == epub.tables == 1
    assert html.headings == epub.headings == pdf.headings == ["Readings", "Conclusion"]
    assert len(src.figures) == 1 and src.equations and src.footnotes


def test_figure_whose_file_the_site_lacks_is_a_warning_about_the_source(clean_out):
    findings = by_slug(clean_out)["no-file"].findings
    assert [str(p) for p in findings] == [
        "_posts/2025-01-05-no-file.md:6: warning: figure '/assets/never-uploaded.png' is in no edition: the site has "
        "no file named 'never-uploaded.png' (hint: add the image to the site, or correct the path)"]


def test_cli_exit_status_clean_and_usage(clean_out, tmp_path):
    result = CliRunner().invoke(cli, ["audit", str(clean_out), "--json"])
    assert result.exit_code == 0, result.output  # a warning about the source is not a finding
    records = {r["slug"]: r for r in map(json.loads, result.stdout.splitlines())}
    record = records["clean"]
    assert record["findings"] == [] and records["no-file"]["findings"][0]["severity"] == "warning"
    assert record["measures"]["pdf"]["words"] == record["measures"]["html"]["words"]
    assert CliRunner().invoke(cli, ["audit", str(tmp_path)]).exit_code == 2


def test_unbreakable_string_off_the_page(faulty_out):
    findings = [str(p) for p in by_slug(faulty_out)["wide"].findings]
    assert any("text runs outside the text block" in f and f.startswith("wide/wide.pdf") for f in findings), findings


def test_character_no_house_font_has(faulty_out):
    findings = [str(p) for p in by_slug(faulty_out)["glyph"].findings]
    assert any("fallback face" in f and "\U00010000" in f for f in findings), findings


def test_cli_reports_findings_with_exit_1(faulty_out):
    result = CliRunner().invoke(cli, ["audit", str(faulty_out)])
    assert result.exit_code == 1
    assert "glyph/glyph.pdf: error:" in result.stderr
    assert "finding(s)" in result.stderr


# Findings the audit makes on the suite's own sites today, each for a reason outside the audit:
KNOWN: set[tuple[str, str]] = set()


def test_audit_of_every_site_the_suite_builds(built_sites):
    unexpected = []
    for name, report in built_sites.items():
        if name == "corpus" and not (Path(__file__).resolve().parents[2] / "shared" / "corpus").is_dir():
            continue
        for r in audit(report.out):
            for p in r.findings:
                if p.severity == "error" and not any(name == site and part in str(p) for site, part in KNOWN):
                    unexpected.append(f"{name}: {p}")
    assert not unexpected, "\n".join(unexpected)


def test_figure_the_pdf_lost_is_traced_to_its_line(clean_out, tmp_path):
    """The clean build's PDF with its one image no longer drawn (the typesetter's failure, made for real
    by removing the `Do` from the page's content stream): the audit names the figure and its line."""
    import shutil

    import pikepdf

    out = tmp_path / "out"
    shutil.copytree(clean_out, out)
    pdf_path = out / "clean" / "clean.pdf"
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        removed = 0
        for page in pdf.pages:
            ops = pikepdf.parse_content_stream(page)
            kept = [(o, op) for o, op in ops if str(op) != "Do"]
            removed += len(ops) - len(kept)
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
        pdf.save(pdf_path)
    assert removed == 1
    findings = [str(p) for p in by_slug(out)["clean"].findings]
    assert any(f.startswith("_posts/2025-01-01-clean.md:8: error: figure 'readings' (64x40 pixels) is in the EPUB "
                            "but not in the PDF") for f in findings), findings
    assert any("the PDF shows 0 raster image(s) in the body, the HTML page 1, the EPUB 1" in f for f in findings)


def test_check_includes_the_audit(clean_out, faulty_out):
    assert CliRunner().invoke(cli, ["check", "--no-epubcheck", "--audit", str(clean_out)]).exit_code == 0
    result = CliRunner().invoke(cli, ["check", "--no-epubcheck", "--audit", str(faulty_out)])
    assert result.exit_code == 1 and "text runs outside the text block" in result.stderr


def test_line_end_hyphens_joined_only_where_the_typesetter_put_them():
    from publisher.audit.pdfmeasure import _words

    vocabulary = {"an", "open", "access", "paper", "on", "typography", "as", "certain", "ascertain"}
    lines = ["an open-", "access paper on typo\u2010", "graphy to as-", "certain"]
    assert _words(lines, vocabulary) == ["an", "open", "access", "paper", "on", "typography", "to", "ascertain"]


def test_text_an_edition_lost_is_traced_to_its_line(clean_out, tmp_path):
    """The clean build's EPUB with one paragraph taken out of its XHTML (for real, in the zip): the
    word counts disagree, and the finding points at the paragraph's line in the post."""
    import shutil
    import zipfile

    out = tmp_path / "out"
    shutil.copytree(clean_out, out)
    epub = out / "clean" / "clean.epub"
    with zipfile.ZipFile(epub) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    sentence = b"<p>Records made by hand remain the longest series there is.</p>"
    assert sum(data.count(sentence) for _, data in items) == 1
    with zipfile.ZipFile(epub, "w") as z:
        for info, data in items:
            z.writestr(info, data.replace(sentence, b""))
    findings = [str(p) for p in by_slug(out)["clean"].findings]
    assert any(f.startswith("_posts/2025-01-01-clean.md:18: error: the EPUB has") and "words of body text" in f
               for f in findings), findings


# ---- generated navigation (subject index, lists of figures and tables), references, volumes ----------

NAV_ONE = """---
title: Gauges and tides
references:
- id: tide1931
  type: book
  title: The Tide Book of the Quay
  author: [{family: Marsh, given: Ada}]
  issued: {date-parts: [[1931]]}
publisher: {list_of_figures: true, list_of_tables: true}
---
The [harbour]{.index} has kept a [tide book]{.index} since the quay was built [@tide1931].

## Readings

![Monthly readings at the quay](/assets/readings.png){#fig:readings}

The readings in @fig:readings come from the [float gauge]{.index term="gauge!float"} on the quay wall.

| Month | Height |
|-------|-------:|
| March | 4.1    |

: Heights in metres {#tbl:heights}

## Keepers

Each keeper signed the [tide book]{.index} at the end of the watch, as @tbl:heights shows for March.
"""

NAV_TWO = """---
title: Ledgers of the lock
---
The lock keepers wrote every passage in a [ledger]{.index} bound in green cloth.

## Passages

Barges passed at high water only, and the [harbour]{.index} master read the ledger every Sunday.

### Covers

Each ledger had a cover of green cloth.

#### Bindings

The green cloth was replaced every ten years; a volume's PDF outline does not show this heading.

## Footnotes

A section of the text may be called "Footnotes" while the paper has notes of its own.[^wax]

[^wax]: The seals on the ledger were red wax.
"""

NAV_CONFIG = """title: Navigation fixtures
publisher:
  volumes:
    - slug: harbour-papers
      title: Harbour papers
      select: {from: 2025-01-01}
"""


@pytest.fixture(scope="module")
def nav_out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("audit-nav")
    root = _site(base / "site", {"2025-02-01-gauges.md": NAV_ONE, "2025-02-02-ledgers.md": NAV_TWO})
    (root / "_config.yml").write_text(NAV_CONFIG, encoding="utf-8")
    out = base / "out"
    report = build(BuildOptions(source=root, out=out, jobs=1))
    assert not report.failed
    return out


def test_index_lists_references_and_volume_audit_clean(nav_out):
    results = by_slug(nav_out)
    assert set(results) == {"gauges", "ledgers", "volumes/harbour-papers"}
    for r in results.values():
        assert r.findings == [], [str(p) for p in r.findings]
    gauges = results["gauges"]
    html, epub, pdf = (gauges.measures[k] for k in ("html", "epub", "pdf"))
    # the index and the lists are left out everywhere; the references list is body in every edition
    assert html.nav_headings == ["List of figures", "List of tables", "Index"]
    assert html.headings == epub.headings == pdf.headings == ["Readings", "Keepers", "References"]
    assert html.words == epub.words == pdf.words
    assert "marsh" in html.word_counts and "marsh" in pdf.word_counts
    # a section titled "Footnotes" shares pandoc's id for the notes: the PDF keeps it and its note
    ledgers = results["ledgers"].measures
    assert ledgers["html"].headings == ledgers["epub"].headings == ledgers["pdf"].headings == ["Passages", "Covers", "Bindings", "Footnotes"]
    assert ledgers["pdf"].word_counts["wax"] == 1 and ledgers["pdf"].word_counts["called"] == 1
    volume = results["volumes/harbour-papers"]
    assert set(volume.measures) == {"epub", "pdf"}  # its HTML edition is a contents page
    members = [results[s].measures["html"] for s in ("gauges", "ledgers")]
    assert volume.measures["epub"].words == volume.measures["pdf"].words == sum(m.words for m in members)
    assert len(volume.measures["epub"].headings) == sum(len(m.headings) for m in members)
    assert "Bindings" in volume.measures["epub"].headings and "Bindings" not in volume.measures["pdf"].headings


def test_volume_that_lost_a_paragraph_is_a_finding(nav_out, tmp_path):
    """The volume's EPUB with one paragraph of a member taken out (for real, in the zip): the EPUB no
    longer agrees with the PDF nor with its papers."""
    import shutil
    import zipfile

    out = tmp_path / "out"
    shutil.copytree(nav_out, out)
    epub = out / "volumes" / "harbour-papers" / "harbour-papers.epub"
    with zipfile.ZipFile(epub) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    sentence = b"Barges passed at high water only"
    hits = [(info, data) for info, data in items if sentence in data]
    assert len(hits) == 1
    start = hits[0][1].rfind(b"<p", 0, hits[0][1].index(sentence))
    end = hits[0][1].index(b"</p>", start) + 4
    with zipfile.ZipFile(epub, "w") as z:
        for info, data in items:
            z.writestr(info, data[:start] + data[end:] if info is hits[0][0] else data)
    findings = [str(p) for p in by_slug(out)["volumes/harbour-papers"].findings]
    assert any("the volume's EPUB has" in f and "its 2 papers" in f for f in findings), findings
    assert any("the PDF has" in f and "words of body text, the EPUB" in f for f in findings), findings


# ---- media: remote images shown as links, Markdown captured and markdownified, emoji ------------------

@pytest.fixture(scope="module")
def media_out(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("audit-media")
    root = _site(base / "site", {"2025-01-02-remote.md": REMOTE, "2025-01-06-emoji.md": EMOJI})
    out = base / "out"
    report = build(BuildOptions(source=root, out=out, jobs=1))
    assert not report.failed
    return out


def _epub_body(epub: Path):
    import zipfile

    from lxml import etree

    with zipfile.ZipFile(epub) as z:
        docs = [etree.fromstring(z.read(n)) for n in sorted(z.namelist()) if n.endswith(".xhtml")]
    return docs


def test_remote_images_are_links_in_the_pdf_and_epub_and_kept_in_the_html(media_out):
    """Network off: the HTML page keeps every remote <img> (a captured, markdownified one too, with its
    query string); the EPUB and the PDF show a captioned link to each in its place."""
    from lxml import html as lxml_html

    page = lxml_html.fromstring((media_out / "remote" / "index.html").read_bytes())
    srcs = [img.get("src") for img in page.iter("img")]
    assert "https://archive.example.net/harbour.png" in srcs
    assert "https://archive.example.net/quay.jpg?w=200&fit=max#crop" in srcs
    tide = page.xpath('//figure/a[@href="https://charts.example.org/"]/img')
    assert [i.get("src") for i in tide] == ["https://charts.example.org/tide-1931.png?size=large&v=2"]
    assert "[![" not in page.text_content()
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    stand_ins = [el for doc in _epub_body(media_out / "remote" / "remote.epub")
                 for el in doc.iterfind(".//x:span[@class='image-missing image-remote']", ns)]
    texts = [" ".join("".join(el.itertext()).split()) for el in stand_ins]
    assert texts == ["Image online (archive.example.net/harbour.png)",  # its figure's caption gives the alt text
                     "Image online: Thumbnail of the quay (archive.example.net/quay.jpg)",
                     "Image online: Tide chart (charts.example.org/tide-1931.png)"]
    links = [el.find("x:a", ns) for el in stand_ins]
    assert links[0].get("href") == "https://archive.example.net/harbour.png"
    assert links[1] is None and links[2] is None  # inside the author's own link: the address as text
    import pdfplumber

    with pdfplumber.open(media_out / "remote" / "remote.pdf") as pdf:
        text = " ".join(" ".join((pg.extract_text() or "").split()) for pg in pdf.pages)
    assert text.count("Image online") == 3 and "(archive.example.net/harbour.png)" in text


def test_remote_image_shown_as_a_link_is_a_warning_about_the_source(media_out):
    r = by_slug(media_out)["remote"]
    assert [p for p in r.findings if p.severity == "error"] == []
    assert [(p.line, p.severity) for p in r.findings] == [(6, "warning"), (10, "warning"), (12, "warning")]
    assert "figure 'https://archive.example.net/harbour.png' is a remote image the build did not fetch" \
        in str(r.findings[0])
    html, epub, pdf = (r.measures[k] for k in ("html", "epub", "pdf"))
    assert html.raster == 3 and epub.raster == 0 and len(epub.stand_ins) == 3
    assert pdf.images == [] and len(pdf.stand_ins) == 3
    assert CliRunner().invoke(cli, ["audit", str(media_out)]).exit_code == 0


def test_remote_image_that_vanished_is_still_a_finding(media_out, tmp_path):
    """The stand-in taken out of the EPUB's XHTML, and the PDF's stand-ins no longer laid out (their named
    destinations removed, for real, in the files): errors, as for any figure an edition lost."""
    import re
    import shutil
    import zipfile

    import pikepdf

    out = tmp_path / "out"
    shutil.copytree(media_out, out)
    epub = out / "remote" / "remote.epub"
    with zipfile.ZipFile(epub) as z:
        items = [(info, z.read(info)) for info in z.infolist()]
    stand_in = re.compile(rb'<span class="image-missing image-remote" id="_remote-image-1">.*?</a>\)</span>')
    assert sum(len(stand_in.findall(data)) for _, data in items) == 1
    with zipfile.ZipFile(epub, "w") as z:
        for info, data in items:
            z.writestr(info, stand_in.sub(b"", data))
    pdf_path = out / "remote" / "remote.pdf"
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        names = [k for k in dests.keys() if k.startswith("_remote-image-")]
        for name in names:
            del dests[name]
        pdf.save(pdf_path)
    assert len(names) == 3
    findings = [str(p) for p in by_slug(out)["remote"].findings]
    assert any(f.startswith("_posts/2025-01-02-remote.md:6: error: figure 'https://archive.example.net/harbour.png' "
                            "is not in the EPUB") for f in findings), findings
    assert any(f.startswith("remote/remote.pdf: error: the PDF shows 0 raster image(s) in the body, the HTML page 3, "
                            "the EPUB 2") for f in findings), findings


def test_emoji_are_set_in_the_declared_face_upright_and_regular(media_out):
    """Emoji, in bold and italic text too, are set in the emoji face print.css declares (no synthetic
    bold or oblique of it); © without a selector stays in the text face; the audit has no finding."""
    import pdfplumber

    from publisher.audit.pdfmeasure import house_faces

    faces: dict[str, set[str]] = {}
    with pdfplumber.open(media_out / "emoji" / "emoji.pdf") as pdf:
        for page in pdf.pages:
            for c in page.chars:
                faces.setdefault(c["text"], set()).add(c["fontname"].split("+", 1)[-1])
    for emoji in ("🤗", "🥬", "⏩", "🖼\ufe0f", "👩\u200d🔬", "🎉"):
        assert faces.get(emoji) == {"Noto-Color-Emoji"}, (emoji, faces.get(emoji))
    assert faces["©"] == {"Publisher-Text"}
    assert "notocoloremoji" in house_faces()
    r = by_slug(media_out)["emoji"]
    assert r.findings == [], [str(p) for p in r.findings]


def test_emoji_runs_are_wrapped_for_the_pdf():
    from publisher.editions import body, emoji

    root = body.parse('<p>a 🤗 b <b>c 🥬</b> ⚠️ © ⚠ 👩‍🔬 1️⃣ 🇫🇷 👍🏽 <span class="emoji">🎉</span> d</p>'
                      "<svg><text>🤗</text></svg>")
    emoji.wrap(root)
    assert body.serialize(root) == (
        '<p>a <span class="emoji">🤗</span> b <b>c <span class="emoji">🥬</span></b> <span class="emoji">⚠️</span>'
        ' © ⚠ <span class="emoji">👩‍🔬</span> <span class="emoji">1️⃣</span> <span class="emoji">🇫🇷</span> '
        '<span class="emoji">👍🏽</span> <span class="emoji">🎉</span> d</p><svg><text>🤗</text></svg>')


def test_source_figures_read_quoted_src_with_liquid_and_query_strings(tmp_path):
    from publisher.audit.source import measure_source

    post = tmp_path / "post.md"
    post.write_text('---\ntitle: t\n---\n<img src="{{ site.url }}{{ site.baseurl }}/assets/gauge 1.png" alt="">\n\n'
                    "<img src='https://x.example/quay.jpg?w=2&h=1#top'>\n\n"
                    "[![a](https://x.example/tide.png?v=2)](https://x.example/)\n", encoding="utf-8")
    assert [(line, ident) for line, ident, _ in measure_source(post).figures] == [
        (4, "gauge 1"), (6, "quay"), (8, "tide")]


def test_pdf_with_emoji_is_byte_identical_across_builds(media_out, tmp_path, monkeypatch):
    """The colour emoji face WeasyPrint embeds is saved by fontTools, which stamped it with the time
    (unless SOURCE_DATE_EPOCH is set, as the suite sets it: unset here)."""
    import time

    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    pdfs = []
    for n in (1, 2):
        time.sleep(1.1)  # the font's stamp has a resolution of one second
        out = tmp_path / f"out{n}"
        assert not build(BuildOptions(source=media_out.parent / "site", out=out, jobs=1, formats=["pdf"])).failed
        pdfs.append((out / "emoji" / "emoji.pdf").read_bytes())
    assert pdfs[0] == pdfs[1]
