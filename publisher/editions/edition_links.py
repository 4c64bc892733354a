"""The link rules each edition applies to its fragments, from the site-wide links of publisher/links.py:
relative links made absolute against the post's address, links to another paper of the build
pointed at that paper's edition, and the catalog card's summary.

The rules work on the tree the edition is already adapting (body.for_pdf / for_epub / for_html take
them as their LINKS step), so a fragment is not parsed again for its links."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ..links import SCHEME, target
from .body import parse, serialize


def absolutize(root, page: str, unresolved: list[str] | None = None) -> None:
    """Links written for the post's place on the website (`other.html`, `../data.csv`, `/about/`,
    `//cdn.example.org/x`) made absolute against PAGE, the post's address (links.page_address()), in
    the parsed container ROOT: an edition lives elsewhere, so a relative link would lead nowhere (and
    WeasyPrint would turn it into a file: URL of this machine). Anchors (#…) and links with a scheme
    are left alone.

    When PAGE is only a site path (the site has no `url:`), the HTML page (UNRESOLVED is None) gets
    site-root links (`/2024/01/02/other.html`); the PDF and EPUB cannot use those, so such a link
    becomes plain text and its href is added to UNRESOLVED."""
    absolute = bool(SCHEME.match(page))
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith("#") or SCHEME.match(href):
            continue
        if href.startswith("//"):
            if unresolved is None:
                continue  # browsers take the page's scheme
            new = (urlsplit(page).scheme or "https") + ":" + href
        elif absolute or unresolved is None:
            new = urljoin(page, href)
        else:
            if href not in unresolved:
                unresolved.append(href)
            if a.get("id"):  # keep the anchor others may link to
                a.tag = "span"
                for attr in [k for k in a.attrib if k != "id"]:
                    del a.attrib[attr]
            else:
                a.drop_tag()
            continue
        if new != href:
            a.set("href", new)


def card_summary(fragment: str, page: str) -> str:
    """The summary for the catalog's card (OUT/index.html) and the site files: links absolute against
    the post's address, images left out (they belong to the paper's own page)."""
    if not fragment or "<img" not in fragment and "<a" not in fragment:
        return fragment
    root = parse(fragment)
    absolutize(root, page, None)
    for img in list(root.iter("img")):
        img.drop_tree()
    for picture in list(root.iter("picture")):
        picture.drop_tree()
    for a in list(root.iter("a")):  # a link that only held an image would be an empty link
        if not a.text_content().strip():
            a.drop_tree()
    return serialize(root)


def link_editions(root, targets: dict[str, str], own_slug: str, file_name, prefix: str = "../",
                  page: str = "") -> None:
    """Links to another paper of the same build (its Jekyll URL, as `{% post_url %}` or `{% link %}` give it,
    or as written by hand; with PAGE, also relative to the post's address) point at that paper's
    edition: `<prefix><slug>/<file_name(slug)>` (next door by default), fragment kept. ROOT is a
    parsed container."""
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        base, _, frag = href.partition("#")
        if not base:
            continue
        slug = target(base, targets) or (target(urljoin(page, base), targets) if page else None)
        if slug and slug != own_slug:
            a.set("href", f"{prefix}{slug}/{file_name(slug)}" + (f"#{frag}" if frag else ""))


def pdf_links(root, page: str, unresolved: list[str], targets: dict[str, str], own_slug: str,
              file_name, prefix: str) -> None:
    """The PDF's link rules on the parsed container ROOT: links to the other papers of the build point
    at their PDFs (link_editions(), with PAGE), then the other relative links are made absolute
    (absolutize(), with UNRESOLVED). TARGETS is empty when the editions' address is not known."""
    if targets:
        link_editions(root, targets, own_slug, file_name, prefix, page)
    absolutize(root, page, unresolved)


def html_links(root, page: str, targets: dict[str, str], own_slug: str) -> None:
    """The HTML page's link rules on the parsed container ROOT: relative links made absolute against
    PAGE (absolutize()), then links to the other papers of the build point at their pages next door
    (link_editions())."""
    absolutize(root, page, None)
    if targets:
        link_editions(root, targets, own_slug, lambda slug: "index.html", "../", "")
