"""The feeds of a build: `feed.xml` (Atom, with the editions as enclosures), `opds.xml` (an OPDS 1.2
acquisition catalog for e-reader apps) and `sitemap.xml` (when the site's `url` is set).

All three are made from the catalog entries of the built papers; dates come from the papers, never
from the clock, so the same sources give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import quote
from pathlib import Path

from lxml import etree

from . import __version__, identifiers, paging
from .catalog import editions_url, newest_first, site_url
from .config import SiteConfig
from .dist import atomic_write
from .model import PaperResult
from .paging import Page

ATOM = "http://www.w3.org/2005/Atom"
DCTERMS = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPDS_ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
ACQUIRE = "http://opds-spec.org/acquisition"
MEDIA_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip", "html": "text/html"}
LABELS = {"pdf": "PDF", "epub": "EPUB", "html": "HTML"}
OPENSEARCH = "application/opensearchdescription+xml"
OPENSEARCH_NS = "http://a9.com/-/spec/opensearch/1.1/"
EPOCH = "1970-01-01T00:00:00+00:00"


def _href(path: str, base: str) -> str:
    """PATH (relative to OUT) as a link: absolute under BASE when the public address is known."""
    return f"{base}/{path}" if base else path


def _utc(iso: str) -> str:
    """An ISO 8601 date-time as RFC 3339 in UTC ('2025-09-01T04:00:00Z')."""
    return dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry_id(entry: dict, site: SiteConfig) -> str:
    """The entry's permanent id: the same identifier the EPUB carries (DOI, ISBN or a URL-derived UUID)."""
    return identifiers.stable_id(entry.get("identifier") or "", entry["url"], site.url)


def feed_id(site: SiteConfig, kind: str) -> str:
    """A stable id for a whole feed, derived from the site's address (or its title)."""
    seed = f"{editions_url(site) or 'publisher:' + (site.title or site.root.name)}/{kind}"
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, seed))


def _sub(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    el = etree.SubElement(parent, tag, {k.rstrip("_").replace("__", ":"): v for k, v in attrs.items() if v})
    if text is not None:
        el.text = text
    return el


def _atom_entry(feed, e: dict, site: SiteConfig, base: str, opds: bool) -> None:
    entry = _sub(feed, f"{{{ATOM}}}entry")
    _sub(entry, f"{{{ATOM}}}title", e.get("title_text") or e["title"])
    _sub(entry, f"{{{ATOM}}}id", entry_id(e, site))
    _sub(entry, f"{{{ATOM}}}updated", _utc(e.get("updated") or e["date"]))
    _sub(entry, f"{{{ATOM}}}published", _utc(e["date"]))
    for name in e.get("authors") or []:
        author = _sub(entry, f"{{{ATOM}}}author")
        _sub(author, f"{{{ATOM}}}name", name)
    for t in e.get("tags") or []:
        _sub(entry, f"{{{ATOM}}}category", term=t, label=t)
    if e.get("series"):
        _sub(entry, f"{{{ATOM}}}category", term=e["series"], label=e["series"],
             scheme="https://schema.org/CreativeWorkSeries")
    if opds:
        _sub(entry, f"{{{DCTERMS}}}language", e.get("lang") or "en")
        _sub(entry, f"{{{DCTERMS}}}issued", e["date"][:10])
        if e.get("publisher"):
            _sub(entry, f"{{{DCTERMS}}}publisher", e["publisher"])
        if e.get("identifier"):
            _sub(entry, f"{{{DCTERMS}}}identifier", entry_id(e, site))
    summary = e.get("excerpt") or e.get("description")
    if summary:
        _sub(entry, f"{{{ATOM}}}summary", summary, type="text")
    editions = e.get("editions") or {}
    if "html" in editions:
        _sub(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=_href(editions["html"]["path"], base),
             title="Read online")
    if e.get("image", "").startswith(("http://", "https://")) and opds:
        _sub(entry, f"{{{ATOM}}}link", rel="http://opds-spec.org/image", href=e["image"])
        _sub(entry, f"{{{ATOM}}}link", rel="http://opds-spec.org/image/thumbnail", href=e["image"])
    for fmt in ("epub", "pdf"):
        if fmt in editions:
            _sub(entry, f"{{{ATOM}}}link", rel=ACQUIRE if opds else "enclosure", type=MEDIA_TYPES[fmt],
                 href=_href(editions[fmt]["path"], base), length=str(editions[fmt].get("size") or "") or None,
                 title=f"{LABELS[fmt]} edition")


def _feed(site: SiteConfig, results: list[PaperResult], opds: bool, page: Page | None = None,
          search: bool = False, entries: list[dict] | None = None, updated: str | None = None) -> bytes:
    """An Atom feed of the papers; with PAGE (OPDS), only that page's entries, with links to the
    other pages (first, prev, next, last) and, when SEARCH, to the OpenSearch description."""
    entries = newest_first(results) if entries is None else entries
    if page is None and not opds:
        entries = entries[:site.options.feed_limit]  # the latest papers; `updated` is the newest of them
    shown = page.items if page is not None else entries
    base = editions_url(site)
    nsmap = {None: ATOM, "dc": DCTERMS, "opds": OPDS} if opds else {None: ATOM}
    feed = etree.Element(f"{{{ATOM}}}feed", nsmap=nsmap)
    lang = site.lang or "en"
    feed.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    title = site.title or "Papers"
    _sub(feed, f"{{{ATOM}}}id", feed_id(site, "opds" if opds else "atom"))
    _sub(feed, f"{{{ATOM}}}title", title)
    if site.raw.get("description"):
        _sub(feed, f"{{{ATOM}}}subtitle", str(site.raw["description"]))
    newest = updated or newest_date(entries)
    _sub(feed, f"{{{ATOM}}}updated", newest)
    author = _sub(feed, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", site.options.publisher or (site.author if isinstance(site.author, str) else "")
         or title)
    _sub(feed, f"{{{ATOM}}}generator", "publisher", version=__version__)
    if site.options.rights:
        _sub(feed, f"{{{ATOM}}}rights", site.options.rights)
    self_name = paging.opds_path(page.number if page else 1) if opds else "feed.xml"
    self_type = OPDS_ACQUISITION if opds else "application/atom+xml"
    _sub(feed, f"{{{ATOM}}}link", rel="self", type=self_type, href=_href(self_name, base))
    if opds:
        _sub(feed, f"{{{ATOM}}}link", rel="start", type=OPDS_ACQUISITION, href=_href("opds.xml", base))
        _sub(feed, f"{{{ATOM}}}link", rel="alternate", type="application/atom+xml", href=_href("feed.xml", base))
        if page is not None and page.count > 1:
            for rel, n in (("first", 1), ("prev", page.number - 1), ("next", page.number + 1), ("last", page.count)):
                if 1 <= n <= page.count:
                    _sub(feed, f"{{{ATOM}}}link", rel=rel, type=OPDS_ACQUISITION, href=_href(paging.opds_path(n), base))
        if search:
            _sub(feed, f"{{{ATOM}}}link", rel="search", type=OPENSEARCH, href=_href("opensearch.xml", base))
    else:
        _sub(feed, f"{{{ATOM}}}link", rel="related", type=OPDS_ACQUISITION, href=_href("opds.xml", base))
    _sub(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=_href("index.html", base) if not base
         else base + "/")
    for e in shown:
        _atom_entry(feed, e, site, base, opds)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def atom(site: SiteConfig, results: list[PaperResult]) -> bytes:
    """The Atom feed (RFC 4287): one entry per paper, its PDF and EPUB as enclosures."""
    return _feed(site, results, opds=False)


def opds(site: SiteConfig, results: list[PaperResult]) -> bytes:
    """The OPDS 1.2 acquisition feed: one entry per paper with open-access acquisition links (the first page)."""
    return opds_pages(site, results)[0][1]


def opds_pages(site: SiteConfig, results: list[PaperResult]) -> list[tuple[str, bytes]]:
    """The OPDS catalog as pages of `papers_per_page` entries: [(file name, bytes)], opds.xml first,
    each linked to the first, previous, next and last pages, and to the search description if any."""
    search = bool(search_template(site))
    entries = newest_first(results)
    pages = paging.split(entries, site.options.papers_per_page)
    updated = newest_date(entries)  # once for every page: each page's feed is as recent as the catalog
    return [(paging.opds_path(p.number), _feed(site, results, opds=True, page=p, search=search, entries=entries,
                                               updated=updated)) for p in pages]


def newest_date(entries: list[dict]) -> str:
    """The latest `updated` (or date) of ENTRIES in RFC 3339 UTC; the epoch when there are none."""
    return max((_utc(e.get("updated") or e["date"]) for e in entries), default=_utc(EPOCH))


def search_template(site: SiteConfig) -> str:
    """Where the OpenSearch description sends a query: `publisher.search_url` (with {searchTerms}), else
    a web search limited to the editions' public address; '' when neither is known (no search offered)."""
    if site.options.search_url:
        return site.options.search_url
    base = editions_url(site)
    if not base:
        return ""
    scope = base.split("://", 1)[-1]
    return "https://duckduckgo.com/?q={searchTerms}+site%3A" + quote(scope, safe="/")


def opensearch(site: SiteConfig) -> bytes:
    """The OpenSearch 1.1 description document the OPDS catalog's rel="search" link points to."""
    doc = etree.Element(f"{{{OPENSEARCH_NS}}}OpenSearchDescription", nsmap={None: OPENSEARCH_NS})
    title = site.title or "Papers"
    _sub(doc, f"{{{OPENSEARCH_NS}}}ShortName", title[:16])
    _sub(doc, f"{{{OPENSEARCH_NS}}}Description", f"Search {title}"[:1024])
    _sub(doc, f"{{{OPENSEARCH_NS}}}Url", type="text/html", template=search_template(site))
    _sub(doc, f"{{{OPENSEARCH_NS}}}Language", site.lang or "en")
    _sub(doc, f"{{{OPENSEARCH_NS}}}InputEncoding", "UTF-8")
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def sitemap_urls(site: SiteConfig, results: list[PaperResult]) -> list[tuple[str, str]]:
    """(loc, lastmod) of the catalog, every paper's page, by its canonical URL (site url + permalink),
    and every volume's page (`OUT/volumes/<slug>/`, under the editions' URL)."""
    base, pages = editions_url(site), site_url(site)
    entries = newest_first(results)
    urls = []
    if entries:
        urls.append((base + "/", max(_utc(e.get("updated") or e["date"]) for e in entries)))
    seen = {base + "/"}
    for e in entries:
        if e.get("kind") == "volume":
            loc = base + "/" + e["slug"].strip("/") + "/"  # the volume page's canonical address
        else:
            loc = pages.rstrip("/") + "/" + e["url"].lstrip("/")
        if loc not in seen:
            seen.add(loc)
            urls.append((loc, _utc(e.get("updated") or e["date"])))
    return urls


def _urlset(urls: list[tuple[str, str]]) -> bytes:
    urlset = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP})
    for loc, lastmod in urls:
        u = _sub(urlset, f"{{{SITEMAP}}}url")
        _sub(u, f"{{{SITEMAP}}}loc", loc)
        _sub(u, f"{{{SITEMAP}}}lastmod", lastmod)
    return etree.tostring(urlset, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def sitemap(site: SiteConfig, results: list[PaperResult]) -> bytes:
    """sitemap.xml: the catalog and every paper's page, by its canonical URL (site url + permalink), with its date."""
    return sitemaps(site, results)[0][1]


def sitemaps(site: SiteConfig, results: list[PaperResult]) -> list[tuple[str, bytes]]:
    """[(file name, bytes)]: sitemap.xml alone, or, past paging.SITEMAP_LIMIT URLs, sitemap.xml as a
    sitemap index of sitemap-1.xml, sitemap-2.xml, … of at most SITEMAP_LIMIT URLs each."""
    urls = sitemap_urls(site, results)
    if len(urls) <= paging.SITEMAP_LIMIT:
        return [("sitemap.xml", _urlset(urls))]
    base = editions_url(site)
    parts = paging.split(urls, paging.SITEMAP_LIMIT)
    index = etree.Element(f"{{{SITEMAP}}}sitemapindex", nsmap={None: SITEMAP})
    files = []
    for part in parts:
        name = paging.sitemap_path(part.number)
        files.append((name, _urlset(part.items)))
        s = _sub(index, f"{{{SITEMAP}}}sitemap")
        _sub(s, f"{{{SITEMAP}}}loc", f"{base}/{name}")
        _sub(s, f"{{{SITEMAP}}}lastmod", max(lastmod for _, lastmod in part.items))
    return [("sitemap.xml", etree.tostring(index, xml_declaration=True, encoding="UTF-8", pretty_print=True))] + files


def write(out: Path, site: SiteConfig, results: list[PaperResult]) -> list[Path]:
    """Write feed.xml and opds.xml into OUT, and sitemap.xml when the site's `url` is set; return their paths."""
    written = [atomic_write(out / "feed.xml", atom(site, results))]
    written += [atomic_write(out / name, data) for name, data in opds_pages(site, results)]
    if search_template(site):
        written.append(atomic_write(out / "opensearch.xml", opensearch(site)))
    if site.url:
        written += [atomic_write(out / name, data) for name, data in sitemaps(site, results)]
    elif (out / "sitemap.xml").exists():
        (out / "sitemap.xml").unlink()
    paging.remove_stale(out, ["opds-*.xml", "sitemap-*.xml", "opensearch.xml"], set(written))
    return written
