"""Long unbreakable strings (a SHA-512 hash, a long URL, long identifiers in code, in a table and in a
heading) stay inside the text block: every glyph of the PDF within the page's margins (pdfplumber),
and no EPUB chapter or HTML page that scrolls sideways on a phone (Chromium)."""
from __future__ import annotations

import hashlib
import zipfile

import pytest

from publisher.build import BuildOptions, build
from publisher.editions.pdf import geometry

DIGEST = hashlib.sha512(b"publisher").hexdigest()
URL = "https://example.org/" + "a-very-long-path-segment-" * 8 + "end"
IDENT = "a_really_long_identifier_" * 6
POST = f"""---
title: Long strings
---
The digest is {DIGEST} and it must stay on the page.

A bare address: {URL} and text.

Inline code `{IDENT}` in a sentence.

| column | digest |
|--------|--------|
| one | {DIGEST} |
| two | `{IDENT}` |

```
digest = "{DIGEST}{DIGEST}"
```

## Heading{IDENT}

A last paragraph.
"""
MM = 72 / 25.4


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("long")
    (tmp / "site" / "_posts").mkdir(parents=True)
    (tmp / "site" / "_config.yml").write_text("title: T\n", encoding="utf-8")
    (tmp / "site" / "_posts" / "2024-01-01-long.md").write_text(POST, encoding="utf-8")
    report = build(BuildOptions(source=tmp / "site", out=tmp / "out", jobs=1, formats=["pdf", "epub", "html"]))
    assert not report.papers[0].failed, report.papers[0].problems
    return report.out / "long"


def test_every_pdf_glyph_is_inside_the_text_block(built):
    import pdfplumber

    g = geometry("A4")
    margin = min(g.inner, g.outer) * MM  # mirrored margins: the narrower one on either side
    text = ""
    with pdfplumber.open(built / "long.pdf") as pdf:
        for page in pdf.pages:
            outside = [c["text"] for c in page.chars if c["x0"] < margin - 0.5 or c["x1"] > page.width - margin + 0.5]
            assert not outside, (page.page_number, "".join(outside)[:120])
            text += page.extract_text() or ""
    assert DIGEST[:16] in text and "A last paragraph" in text  # the text is there, not clipped away


@pytest.mark.parametrize("width", [375, 768])
def test_no_edition_scrolls_sideways(built, browser, tmp_path, width):
    with zipfile.ZipFile(built / "long.epub") as z:
        z.extractall(tmp_path)
    docs = sorted(p for p in tmp_path.rglob("*.xhtml") if p.name != "nav.xhtml") + [built / "index.html"]
    page = browser.new_page(viewport={"width": width, "height": 800})
    try:
        for doc in docs:
            page.goto(doc.as_uri())
            scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert scroll <= client, (doc.name, width, scroll, client)
            # text outside code blocks and table regions (which scroll in the HTML page) stays in its column
            wide = page.evaluate("""() => [...document.querySelectorAll('p, h2, li')].filter(e => !e.closest('pre, table'))
                .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.textContent.slice(0, 40))""")
            assert not wide, (doc.name, width, wide)
    finally:
        page.close()
