"""The HTML edition: one standalone, styled, responsive page per paper (`OUT/<slug>/index.html`).

The page is the paper's landing page on the web: besides the text it carries the metadata that
search engines, Google Scholar, social networks and citation managers read (Highwire `citation_*`,
Dublin Core, OpenGraph, Twitter cards, JSON-LD), made here from the paper by `page_extras()`.
"""
from __future__ import annotations

import base64
import html
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import __version__, identifiers
from ..dist import atomic_write
from ..model import Document, Paper
from ..resources import read_style
from .common import author_line, display_date, templates, toc_html, w3c_date


@dataclass
class EditionLink:
    href: str
    label: str
    type: str
    size: str = ""


@dataclass
class PageExtras:
    """What the page links to and announces; filled by the build from the other editions."""

    editions: list[EditionLink] = field(default_factory=list)
    cite_links: list[EditionLink] = field(default_factory=list)
    citation: str = ""  # the paper's reference as plain text, shown under "Cite this paper"
    canonical: str = ""
    head_meta: list[tuple[tuple[str, str], str]] = field(default_factory=list)
    head_links: list[dict] = field(default_factory=list)
    json_ld: dict | None = None
    self_contained: bool = False
    asset_roots: list[Path] = field(default_factory=list)  # where local images may be read from
    hero: str = ""  # the front-matter image (a file beside the page, or the author's remote URL)
    hero_alt: str = ""
    index_see_also: dict = field(default_factory=dict)  # subject index (issue 17): term → see-also terms
    versions: list[dict] = field(default_factory=list)  # other language versions: {lang, label, href, title}


def human_size(n: int) -> str:
    """'1.2 MB', '340 kB'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} kB"


def absolute(url: str, base: str) -> str:
    """URL made absolute against BASE (a site URL such as 'https://x.org/blog'); '' when that is impossible."""
    if not url:
        return ""
    if re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I):
        return url if url.lower().startswith(("http://", "https://")) else ""
    if url.startswith("//"):
        return "https:" + url
    if not base:
        return ""
    return base.rstrip("/") + "/" + url.lstrip("/")


def page_extras(paper: Paper, doc: Document, *, editions: list[EditionLink], cite_links: list[EditionLink],
                citation: str = "", site_url: str = "", editions_url: str = "", site_title: str = "",
                ) -> PageExtras:
    """The discovery metadata of PAPER's page.

    SITE_URL is the site's `url` + `baseurl` (the canonical URL is SITE_URL + permalink); EDITIONS_URL is
    where OUT is published (the PDF of a paper is at EDITIONS_URL/<slug>/<slug>.pdf). Either may be ''
    (then links are relative and the canonical URL is left out).
    """
    canonical = absolute(paper.url, site_url) if site_url else ""
    base = editions_url.rstrip("/") + f"/{paper.slug}/" if editions_url else ""
    by_type = {e.type: e for e in editions}
    pdf = by_type.get("application/pdf")
    epub = by_type.get("application/epub+zip")
    pdf_url = base + pdf.href if pdf else ""
    image = absolute(paper.image, site_url)
    description = paper.description or paper.excerpt
    abstract = paper.excerpt or paper.description
    title = doc.title_text or paper.title
    date = paper.date.strftime("%Y/%m/%d")
    meta: list[tuple[tuple[str, str], str]] = []

    def add(attr: str, name: str, value: str) -> None:
        if value:
            meta.append(((attr, name), value))

    # Highwire Press tags, read by Google Scholar (one citation_author per author, in order).
    add("name", "citation_title", title)
    for a in paper.authors:
        add("name", "citation_author", a.name)
    add("name", "citation_publication_date", date)
    add("name", "citation_online_date", date)
    add("name", "citation_language", paper.lang)
    add("name", "citation_pdf_url", pdf_url)
    add("name", "citation_abstract_html_url", canonical)
    add("name", "citation_abstract", abstract)
    add("name", "citation_keywords", "; ".join(paper.tags))
    if paper.series or paper.publisher:
        add("name", "citation_technical_report_institution", paper.publisher or paper.series)
        add("name", "citation_series_title", paper.series)
    add("name", "citation_publisher", paper.publisher)
    add("name", "citation_doi", identifiers.doi(paper.identifier))
    if getattr(paper, "references", None):  # issue 14: the paper's own references
        from ..citations import listing

        for item in listing.items(paper):
            add("name", "citation_reference", listing.highwire(item))
    # Dublin Core.
    add("name", "DC.title", title)
    for a in paper.authors:
        add("name", "DC.creator", a.name)
    add("name", "DC.date", w3c_date(paper.date))
    add("name", "DC.language", paper.lang)
    add("name", "DC.description", description)
    add("name", "DC.publisher", paper.publisher)
    add("name", "DC.rights", paper.rights)
    add("name", "DC.type", "Text")
    add("name", "DC.format", "text/html")
    add("name", "DC.identifier", paper.identifier or canonical)
    for t in paper.tags:
        add("name", "DC.subject", t)
    # OpenGraph and Twitter cards.
    add("property", "og:type", "article")
    add("property", "og:title", title)
    add("property", "og:description", description)
    add("property", "og:url", canonical)
    add("property", "og:site_name", site_title)
    add("property", "og:locale", paper.lang.replace("-", "_"))
    add("property", "og:image", image)
    add("property", "og:image:alt", f"Cover image of “{title}”" if image else "")
    add("property", "article:published_time", paper.date.isoformat())
    for a in paper.authors:
        add("property", "article:author", a.name)
    for t in paper.tags:
        add("property", "article:tag", t)
    add("name", "twitter:card", "summary_large_image" if image else "summary")
    add("name", "twitter:title", title)
    add("name", "twitter:description", description)
    add("name", "twitter:image", image)

    links = [{"rel": "schema.DC", "href": "http://purl.org/dc/elements/1.1/"}]
    for e in editions:
        links.append({"rel": "alternate", "href": e.href, "type": e.type, "title": f"{e.label} edition"})

    json_ld: dict = {
        "@context": "https://schema.org", "@type": "ScholarlyArticle", "headline": title[:110], "name": title,
        "author": [{"@type": "Person", "name": a.name, **({"url": a.url} if a.url else {})} for a in paper.authors],
        "datePublished": paper.date.isoformat(), "inLanguage": paper.lang,
    }
    if description:
        json_ld["description"] = description
    if abstract:
        json_ld["abstract"] = abstract
    if paper.tags:
        json_ld["keywords"] = paper.tags
    if canonical:
        json_ld["url"] = canonical
        json_ld["mainEntityOfPage"] = canonical
    if image:
        json_ld["image"] = image
    if paper.publisher:
        json_ld["publisher"] = {"@type": "Organization", "name": paper.publisher}
    if paper.series:
        json_ld["isPartOf"] = {"@type": "CreativeWorkSeries", "name": paper.series}
    if paper.rights:
        json_ld["copyrightNotice"] = paper.rights
    if paper.identifier:
        json_ld["identifier"] = paper.identifier
    encodings = [{"@type": "MediaObject", "encodingFormat": e.type, "contentUrl": base + e.href,
                  **({"contentSize": e.size} if e.size else {})} for e in (pdf, epub) if e]
    if encodings:
        json_ld["encoding"] = encodings
    return PageExtras(editions=editions, cite_links=cite_links, citation=citation, canonical=canonical,
                      head_meta=meta, head_links=links, json_ld=json_ld)


def html_index(doc: Document, see_also: dict | None = None) -> str:
    """The page's subject index (issue 17), after the text; '' when the paper marks no terms."""
    if not doc.index:
        return ""
    from ..subject_index import html_section

    return html_section(doc.index, see_also=see_also)


def render_page(paper: Paper, doc: Document, extras: PageExtras | None = None) -> str:
    """The page's HTML text."""
    extras = extras or PageExtras()
    json_ld = json.dumps(extras.json_ld, ensure_ascii=False, sort_keys=True).replace("</", "<\\/") \
        if extras.json_ld else ""
    css = read_style("paper.css")
    page = templates().get_template("paper.html.j2").render(
        paper=paper, doc=doc, body_html=doc.body_html, version=__version__, css=css,
        description=paper.description or paper.excerpt, authors=author_line(paper),
        date=display_date(paper.date), toc=toc_html(doc.headings, max_level=3),
        editions=extras.editions, cite_links=extras.cite_links, citation=extras.citation,
        hero=extras.hero, hero_alt=extras.hero_alt, versions=extras.versions,
        canonical=extras.canonical, head_meta=extras.head_meta, head_links=extras.head_links, json_ld=json_ld,
        index_html=html_index(doc, extras.index_see_also),
    )
    if extras.self_contained:
        page = inline_assets(page, extras.asset_roots)
    return page


def write(paper: Paper, doc: Document, out_dir: Path, extras: PageExtras | None = None) -> Path:
    """Write `OUT_DIR/index.html` atomically and return its path. The front-matter image becomes the page's
    hero: copied beside the page when publisher could read it, else linked as the author wrote it (http/https)."""
    extras = extras or PageExtras()
    if not extras.hero:
        extras.hero, extras.hero_alt = hero_image(paper, doc, out_dir)
    return atomic_write(out_dir / "index.html", render_page(paper, doc, extras))


def hero_image(paper: Paper, doc: Document, out_dir: Path) -> tuple[str, str]:
    """(src, alt) of the hero image; ('', '') when the paper has none."""
    meta_image = paper.meta.get("image")
    alt = str(meta_image.get("alt") or "") if isinstance(meta_image, dict) else str(paper.meta.get("image_alt") or "")
    cover = doc.cover
    if cover is not None and cover.ok:
        ext = {"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/svg+xml": ".svg",
               "image/webp": ".webp"}.get(cover.media_type, "")
        if ext:
            target = out_dir / f"cover{ext}"
            if not (target.is_file() and target.read_bytes() == cover.data):
                atomic_write(target, cover.data)
            return target.name, alt
    if re.match(r"^https?://", paper.image or ""):
        return paper.image, alt
    return "", ""


# --- self-contained pages -------------------------------------------------------------------------------

_SRC = re.compile(r'(<(?:img|source|video|audio)\b[^>]*?\s(?:src|poster)=")([^"]+)(")', re.I)
_CSS_URL = re.compile(r"url\(\s*(['\"]?)([^'\")]+)\1\s*\)")
MAX_INLINE_BYTES = 20 * 1024 * 1024
MAX_INLINE_LINK_BYTES = 64 * 1024  # citation files are inlined into their links; editions stay beside the page
CITATION_TYPES = {".bib": "application/x-bibtex", ".ris": "application/x-research-info-systems",
                  ".json": "application/vnd.citationstyles.csl+json"}
_DOWNLOAD = re.compile(r'(<a href=")([^"]+)("[^>]*?) download(?=>)')


def data_uri(path: Path) -> str:
    """The file at PATH as a base64 `data:` URI."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _local_file(ref: str, roots: list[Path]) -> Path | None:
    """The file a relative reference names, searched in ROOTS, never outside them."""
    parts = urlsplit(html.unescape(ref))
    if parts.scheme or parts.netloc or not parts.path:
        return None
    rel = unquote(parts.path).lstrip("/")
    for root in roots:
        root = root.resolve()
        p = (root / rel).resolve()
        if p.is_file() and p.is_relative_to(root) and p.stat().st_size <= MAX_INLINE_BYTES:
            return p
    return None


def font_face_css(text: str) -> str:
    """@font-face rules with Source Serif 4 (roman and italic) subset to TEXT's characters, as data URIs."""
    from ..fonts import SERIF, font_files, woff2_subset

    rules = []
    for style, path in (("normal", font_files()[SERIF]), ("italic", font_files()[SERIF + "-Italic"])):
        if not path.is_file():
            continue
        data = base64.b64encode(woff2_subset(path, text + " ", ["kern", "liga", "onum", "lnum", "smcp"])).decode("ascii")
        rules.append(f'@font-face {{ font-family: "Source Serif 4"; font-style: {style}; font-weight: 200 900; '
                     f'src: url(data:font/woff2;base64,{data}) format("woff2"); }}')
    return "\n".join(rules)


def inline_assets(page: str, roots: list[Path]) -> str:
    """PAGE with local images, CSS url()s and the citation files inlined as data URIs, and the text face
    embedded.

    Remote references are left alone; files are read only from ROOTS.
    """
    def src(m: re.Match) -> str:
        p = _local_file(m.group(2), roots)
        return m.group(1) + data_uri(p) + m.group(3) if p else m.group(0)

    def css_url(m: re.Match) -> str:
        p = _local_file(m.group(2), roots) if not m.group(2).startswith("data:") else None
        return f'url("{data_uri(p)}")' if p else m.group(0)

    def download(m: re.Match) -> str:
        p = _local_file(m.group(2), roots)
        if p is None or p.suffix not in CITATION_TYPES or p.stat().st_size > MAX_INLINE_LINK_BYTES:
            return m.group(0)
        uri = f"data:{CITATION_TYPES[p.suffix]};base64," + base64.b64encode(p.read_bytes()).decode("ascii")
        return m.group(1) + uri + m.group(3) + f' download="{html.escape(p.name, quote=True)}"'

    page = _SRC.sub(src, page)
    page = _DOWNLOAD.sub(download, page)
    page = re.sub(r"(<style>)(.*?)(</style>)", lambda m: m.group(1) + _CSS_URL.sub(css_url, m.group(2)) + m.group(3),
                  page, count=1, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", "", page.split("</head>", 1)[-1]))
    fonts = font_face_css("".join(sorted(set(text))))
    if fonts:
        page = page.replace("<style>\n", "<style>\n" + fonts + "\n", 1)
    return page
