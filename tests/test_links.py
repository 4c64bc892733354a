"""`{% post_url %}` and `{% link %}` to a paper of the same build lead to that paper's edition."""
from __future__ import annotations

import pikepdf
import pytest
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


# ---- links written for the post's page on the website --------------------------------------------------

SITE_FORMS = ["../", "notes.html", "/", "//mirror.example.org/paper"]
ABSOLUTE = ["https://syntax.example.org/papers/2022/", "https://syntax.example.org/papers/2022/kramdown-features/notes.html",
            "https://syntax.example.org/", "https://mirror.example.org/paper"]


def _pdf_uris(path) -> list[str]:
    with pikepdf.open(path) as pdf:
        return [str(annot.A.URI) for p in pdf.pages for annot in (p.get("/Annots") or [])
                if "/A" in annot and "/URI" in annot.A]


def _epub_hrefs(path) -> list[str]:
    import re
    import zipfile

    with zipfile.ZipFile(path) as z:
        return [h for n in z.namelist() if n.endswith(".xhtml") and n != "EPUB/nav.xhtml"
                for h in re.findall(r'href="([^"]+)"', z.read(n).decode())]


def test_relative_links_lead_to_the_website_from_every_edition(built_sites):
    """url + baseurl + the post's URL is what its relative links are relative to (as on the site)."""
    out = built_sites["jekyll-syntax"].out / "kramdown-features"
    page = lxml_html.fromstring((out / "index.html").read_bytes())
    hrefs = [a.get("href") for a in page.cssselect("main a")]
    assert [h for h in ABSOLUTE[:3] + ["//mirror.example.org/paper"] if h not in hrefs] == []
    uris = _pdf_uris(out / "kramdown-features.pdf")
    assert [h for h in ABSOLUTE if h not in uris] == [], uris
    assert not [u for u in uris if u.startswith("file:")]
    epub = _epub_hrefs(out / "kramdown-features.epub")
    assert [h for h in ABSOLUTE if h not in epub] == [], epub
    assert not [h for h in SITE_FORMS if h in epub]  # no link left as written in the EPUB


def test_without_a_site_address_relative_links_are_text_in_the_pdf_and_epub(tmp_site, tmp_path):
    from publisher.build import BuildOptions, build

    post = ("---\ntitle: Links\n---\n\nSee [the about page](/about/), [a sibling](other.html),\n"
            "[the data](../data.csv), [a section](#here), [mail](mailto:a@example.org) and [a mirror](//mirror.example.org/p).\n\n"
            "## Here {#here}\n\nText.\n")
    root = tmp_site({"_posts/2024-01-02-links.md": post}, config="title: No address\nbaseurl: /blog\n")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1))
    [paper] = report.papers
    warnings = [str(p) for p in paper.problems]
    assert warnings == [f"_posts/2024-01-02-links.md:{line}: warning: link '{href}' is relative to the post's page on "
                        "the website, whose address is not known; it is plain text in the PDF and EPUB (hint: set "
                        "url: (and baseurl:) in _config.yml, or write the full address)"
                        for line, href in ((5, "/about/"), (5, "other.html"), (6, "../data.csv"))], warnings
    out = tmp_path / "out" / "links"
    assert _pdf_uris(out / "links.pdf") == ["mailto:a@example.org", "https://mirror.example.org/p"]
    epub = _epub_hrefs(out / "links.epub")
    assert [h for h in epub if not h.endswith(".css")] == ["ch01.xhtml#here", "mailto:a@example.org",
                                                            "https://mirror.example.org/p"]
    page = lxml_html.fromstring((out / "index.html").read_bytes())
    # the HTML page keeps them as site paths (url-less sites are served from their own host)
    assert [a.get("href") for a in page.cssselect("main .paper-text p a")] == [
        "/about/", "/blog/2024/01/02/other.html", "/blog/2024/01/data.csv", "#here", "mailto:a@example.org",
        "//mirror.example.org/p"]


# ---- the summary and the author's bio are adapted like the body -----------------------------------------

@pytest.mark.java
def test_math_images_and_links_in_the_summary_are_adapted_for_each_edition(tmp_site, tmp_path):
    import zipfile

    import pdfplumber
    from PIL import Image

    from publisher.build import BuildOptions, build
    from publisher.validate import epubcheck

    post = ("---\ntitle: Summary math\n---\n\nWe show that $E = mc^2$ holds, with ![an icon](/icon.png) "
            "and [a note](notes.html).\n\n<!--more-->\n\nThe body.\n")
    root = tmp_site({"_posts/2024-01-02-sum.md": post},
                    config="title: S\nurl: https://s.example.org\nexcerpt_separator: <!--more-->\n")
    Image.new("RGB", (40, 40), "red").save(root / "icon.png")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1))
    assert report.exit_code == 0, [str(p) for r in report.papers for p in r.problems]
    out = tmp_path / "out" / "sum"
    note = "https://s.example.org/2024/01/02/notes.html"
    # PDF: the formula drawn (no MathML text, no TeX), the image shown, the link absolute
    with pdfplumber.open(out / "sum.pdf") as pdf:
        first = pdf.pages[0]
        text = first.extract_text()
        assert "We show that holds, with and a note." in text and "mc^2" not in text and "mc2" not in text
        assert len(first.images) == 1 and first.curves  # the icon; the formula is drawn as vector paths
        assert [a["uri"] for a in first.hyperlinks] == [note]
    # EPUB: MathML, the image inside the package, the link absolute; EPUBCheck has nothing to say
    with zipfile.ZipFile(out / "sum.epub") as z:
        title = z.read("EPUB/title.xhtml").decode()
        assert "<math" in title and f'href="{note}"' in title
        [src] = [s for s in __import__("re").findall(r'<img src="([^"]+)"', title)]
        assert src.startswith("images/icon-") and f"EPUB/{src}" in z.namelist()
    [check] = epubcheck([out / "sum.epub"])
    assert check.ok, check.describe()
    # HTML: the image next to the page, the link absolute; the catalog's card leaves the image out
    page = lxml_html.fromstring((out / "index.html").read_bytes())
    [summary] = page.cssselect(".summary")
    [img] = summary.cssselect("img")
    assert (out / img.get("src")).is_file()
    assert [a.get("href") for a in summary.cssselect("a")] == [note]
    catalog = lxml_html.fromstring((tmp_path / "out" / "index.html").read_bytes())
    [card] = catalog.cssselect(".card-summary")
    assert not card.cssselect("img") and [a.get("href") for a in card.cssselect("a")] == [note]


def test_hand_written_links_to_another_paper_lead_to_its_edition(tmp_site, tmp_path):
    """A link written by hand to another post's address on the website (with the baseurl, in full or
    relative to the post) leads to that paper's edition, like {% post_url %}; the paper depends on
    it, so removing the other post rebuilds this one with links to the website. A root-relative link
    without the baseurl leads elsewhere on the site, so it goes to the website as written."""
    import pikepdf

    from publisher.build import BuildOptions, build

    root = tmp_site({
        "_posts/2024-01-02-first.md": "---\ntitle: First\n---\n\n[a](/2024/01/03/other.html), "
                                      "[b](/blog/2024/01/03/other.html), [c](https://ex.org/blog/2024/01/03/other.html#s), "
                                      "[d](other.html) and [e][ref].\n\n[ref]: ../03/other.html\n",
        "_posts/2024-01-03-other.md": "---\ntitle: Other\n---\n\n## S\n\nText.\n"},
        config="title: T\nurl: https://ex.org\nbaseurl: /blog\n")
    out = tmp_path / "out"

    def links():
        page = lxml_html.fromstring((out / "first" / "index.html").read_bytes())
        with pikepdf.open(out / "first" / "first.pdf") as pdf:
            uris = [str(annot.A.URI) for pg in pdf.pages for annot in (pg.get("/Annots") or [])
                    if "/A" in annot and "/URI" in annot.A]
        return [a.get("href") for a in page.cssselect("main .paper-text p a")], uris

    assert build(BuildOptions(source=root, out=out, jobs=1, formats=["pdf", "html"])).exit_code == 0
    html, pdf = links()
    assert html == ["https://ex.org/2024/01/03/other.html", "../other/index.html", "../other/index.html#s",
                    "https://ex.org/blog/2024/01/02/other.html", "../other/index.html"]
    sibling = "https://ex.org/blog/other/other.pdf"
    assert pdf == ["https://ex.org/2024/01/03/other.html", sibling, sibling + "#s",
                   "https://ex.org/blog/2024/01/02/other.html", sibling]
    (root / "_posts" / "2024-01-03-other.md").unlink()
    report = build(BuildOptions(source=root, out=out, jobs=1, formats=["pdf", "html"]))
    assert [r.slug for r in report.papers if not r.cached] == ["first"]
    html, pdf = links()
    assert html == pdf == ["https://ex.org/2024/01/03/other.html", "https://ex.org/blog/2024/01/03/other.html",
                           "https://ex.org/blog/2024/01/03/other.html#s", "https://ex.org/blog/2024/01/02/other.html",
                           "https://ex.org/blog/2024/01/03/other.html"]
