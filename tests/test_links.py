"""`{% post_url %}` and `{% link %}` to a paper of the same build lead to that paper's edition."""
from __future__ import annotations

import pikepdf
from lxml import html as lxml_html


def test_links_to_a_paper_in_the_same_build_point_at_its_editions(built_sites):
    out = built_sites["jekyll-syntax"].out
    page = lxml_html.fromstring((out / "liquid-features" / "index.html").read_bytes())
    hrefs = [a.get("href") for a in page.cssselect("main a")]
    assert hrefs.count("../kramdown-features/index.html") == 2  # post_url and link
    assert "https://syntax.example.org/papers/" in hrefs  # other site links stay as they are
    with pikepdf.open(out / "liquid-features" / "liquid-features.pdf") as pdf:
        uris = [str(annot.A.URI) for p in pdf.pages for annot in (p.get("/Annots") or [])
                if "/A" in annot and "/URI" in annot.A]
    # A PDF needs absolute links: the PDF edition next door, at the public address of OUT (url + baseurl).
    assert uris.count("https://syntax.example.org/papers/kramdown-features/kramdown-features.pdf") == 2, uris
    assert not [u for u in uris if u.startswith("file:")]


def test_links_inside_the_epub_keep_the_site_url(built_sites):
    import zipfile

    out = built_sites["jekyll-syntax"].out
    with zipfile.ZipFile(out / "liquid-features" / "liquid-features.epub") as z:
        text = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xhtml"))
    assert "https://syntax.example.org/papers/" in text and "../kramdown-features/" not in text
