"""The link rules each edition applies to its fragments, from the site-wide links of publisher/links.py:
relative links made absolute against the post's address, links to another paper of the build
pointed at that paper's edition, and the catalog card's summary."""
from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from ..links import SCHEME, target
from .body import parse, serialize


def absolute_links(fragment: str, page: str, unresolved: list[str] | None = None) -> str:
    """Links written for the post's place on the website (`other.html`, `../data.csv`, `/about/`,
    `//cdn.example.org/x`) made absolute against PAGE, the post's address (links.page_address()): an
    edition lives elsewhere, so a relative link would lead nowhere (and WeasyPrint would turn it
    into a file: URL of this machine). Anchors (#…) and links with a scheme are left alone.

    When PAGE is only a site path (the site has no `url:`), the HTML page (UNRESOLVED is None) gets
    site-root links (`/2024/01/02/other.html`); the PDF and EPUB cannot use those, so such a link
    becomes plain text and its href is added to UNRESOLVED."""
    if "<a" not in fragment:
        return fragment
    root = parse(fragment)
    return serialize(root) if _absolutize(root, page, unresolved) else fragment


def _absolutize(root, page: str, unresolved: list[str] | None) -> bool:
    """absolute_links() on a parsed container; whether anything changed."""
    absolute = bool(SCHEME.match(page))
    changed = False
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
            changed = True
            continue
        if new != href:
            a.set("href", new)
            changed = True
    return changed


def card_summary(fragment: str, page: str) -> str:
    """The summary for the catalog's card (OUT/index.html) and the site files: links absolute against
    the post's address, images left out (they belong to the paper's own page)."""
    if not fragment or "<img" not in fragment and "<a" not in fragment:
        return fragment
    root = parse(fragment)
    _absolutize(root, page, None)
    for img in list(root.iter("img")):
        img.drop_tree()
    for picture in list(root.iter("picture")):
        picture.drop_tree()
    for a in list(root.iter("a")):  # a link that only held an image would be an empty link
        if not a.text_content().strip():
            a.drop_tree()
    return serialize(root)


def link_editions(fragment: str, targets: dict[str, str], own_slug: str, file_name, prefix: str = "../",
                  page: str = "") -> str:
    """Links to another paper of the same build (its Jekyll URL, as `{% post_url %}` or `{% link %}` give it,
    or as written by hand; with PAGE, also relative to the post's address) point at that paper's
    edition: `<prefix><slug>/<file_name(slug)>` (next door by default), fragment kept."""
    if not targets or "<a" not in fragment:
        return fragment
    root = parse(fragment)
    return serialize(root) if _link_editions(root, targets, own_slug, file_name, prefix, page) else fragment


def _link_editions(root, targets: dict[str, str], own_slug: str, file_name, prefix: str, page: str) -> bool:
    """link_editions() on a parsed container; whether anything changed."""
    changed = False
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        base, _, frag = href.partition("#")
        if not base:
            continue
        slug = target(base, targets) or (target(urljoin(page, base), targets) if page else None)
        if slug and slug != own_slug:
            a.set("href", f"{prefix}{slug}/{file_name(slug)}" + (f"#{frag}" if frag else ""))
            changed = True
    return changed


def pdf_links(fragment: str, page: str, unresolved: list[str], targets: dict[str, str], own_slug: str,
              file_name, prefix: str) -> str:
    """The PDF's link rules on one parse of FRAGMENT: links to the other papers of the build point at
    their PDFs (link_editions(), with PAGE), then the other relative links are made absolute
    (absolute_links(), with UNRESOLVED). TARGETS is empty when the editions' address is not known."""
    if "<a" not in fragment:
        return fragment
    root = parse(fragment)
    changed = bool(targets) and _link_editions(root, targets, own_slug, file_name, prefix, page)
    changed = _absolutize(root, page, unresolved) or changed
    return serialize(root) if changed else fragment


def html_links(fragment: str, page: str, targets: dict[str, str], own_slug: str) -> str:
    """The HTML page's link rules on one parse of FRAGMENT: relative links made absolute against PAGE
    (absolute_links()), then links to the other papers of the build point at their pages next door
    (link_editions())."""
    if "<a" not in fragment:
        return fragment
    root = parse(fragment)
    changed = _absolutize(root, page, None)
    changed = bool(targets) and _link_editions(root, targets, own_slug, lambda slug: "index.html", "../", "") \
        or changed
    return serialize(root) if changed else fragment
