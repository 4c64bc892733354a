"""The feeds of a build: `feed.xml` (Atom, with the editions as enclosures), `opds.xml` (an OPDS 1.2
acquisition catalog for e-reader apps) and `sitemap.xml` (when the site's `url` is set).

All three are made from the catalog entries of the built papers; dates come from the papers, never
from the clock, so the same sources give the same bytes.
"""
from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

from lxml import etree

from . import __version__, identifiers
from .catalog import editions_url, newest_first, site_url
from .config import SiteConfig
from .dist import atomic_write
from .model import PaperResult

ATOM = "http://www.w3.org/2005/Atom"
DCTERMS = "http://purl.org/dc/terms/"
OPDS = "http://opds-spec.org/2010/catalog"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
OPDS_ACQUISITION = "application/atom+xml;profile=opds-catalog;kind=acquisition"
ACQUIRE = "http://opds-spec.org/acquisition"
MEDIA_TYPES = {"pdf": "application/pdf", "epub": "application/epub+zip", "html": "text/html"}
LABELS = {"pdf": "PDF", "epub": "EPUB", "html": "HTML"}
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


def _feed(site: SiteConfig, results: list[PaperResult], opds: bool) -> bytes:
    entries = newest_first(results)
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
    newest = max((_utc(e.get("updated") or e["date"]) for e in entries), default=_utc(EPOCH))
    _sub(feed, f"{{{ATOM}}}updated", newest)
    author = _sub(feed, f"{{{ATOM}}}author")
    _sub(author, f"{{{ATOM}}}name", site.options.publisher or (site.author if isinstance(site.author, str) else "")
         or title)
    _sub(feed, f"{{{ATOM}}}generator", "publisher", version=__version__)
    if site.options.rights:
        _sub(feed, f"{{{ATOM}}}rights", site.options.rights)
    self_name = "opds.xml" if opds else "feed.xml"
    self_type = OPDS_ACQUISITION if opds else "application/atom+xml"
    _sub(feed, f"{{{ATOM}}}link", rel="self", type=self_type, href=_href(self_name, base))
    if opds:
        _sub(feed, f"{{{ATOM}}}link", rel="start", type=OPDS_ACQUISITION, href=_href("opds.xml", base))
        _sub(feed, f"{{{ATOM}}}link", rel="alternate", type="application/atom+xml", href=_href("feed.xml", base))
    else:
        _sub(feed, f"{{{ATOM}}}link", rel="related", type=OPDS_ACQUISITION, href=_href("opds.xml", base))
    _sub(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=_href("index.html", base) if not base
         else base + "/")
    for e in entries:
        _atom_entry(feed, e, site, base, opds)
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def atom(site: SiteConfig, results: list[PaperResult]) -> bytes:
    """The Atom feed (RFC 4287): one entry per paper, its PDF and EPUB as enclosures."""
    return _feed(site, results, opds=False)


def opds(site: SiteConfig, results: list[PaperResult]) -> bytes:
    """The OPDS 1.2 acquisition feed: one entry per paper with open-access acquisition links."""
    return _feed(site, results, opds=True)


def sitemap(site: SiteConfig, results: list[PaperResult]) -> bytes:
    """sitemap.xml: the catalog and every paper's page, by its canonical URL (site url + permalink), with its date."""
    base, pages = editions_url(site), site_url(site)
    urlset = etree.Element(f"{{{SITEMAP}}}urlset", nsmap={None: SITEMAP})
    entries = newest_first(results)
    if entries:
        u = _sub(urlset, f"{{{SITEMAP}}}url")
        _sub(u, f"{{{SITEMAP}}}loc", base + "/")
        _sub(u, f"{{{SITEMAP}}}lastmod", max(_utc(e.get("updated") or e["date"]) for e in entries))
    seen = {base + "/"}
    for e in entries:
        for loc in [pages.rstrip("/") + "/" + e["url"].lstrip("/")]:
            if loc in seen:
                continue
            seen.add(loc)
            u = _sub(urlset, f"{{{SITEMAP}}}url")
            _sub(u, f"{{{SITEMAP}}}loc", loc)
            _sub(u, f"{{{SITEMAP}}}lastmod", _utc(e.get("updated") or e["date"]))
    return etree.tostring(urlset, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write(out: Path, site: SiteConfig, results: list[PaperResult]) -> list[Path]:
    """Write feed.xml and opds.xml into OUT, and sitemap.xml when the site's `url` is set; return their paths."""
    written = [atomic_write(out / "feed.xml", atom(site, results)),
               atomic_write(out / "opds.xml", opds(site, results))]
    if site.url:
        written.append(atomic_write(out / "sitemap.xml", sitemap(site, results)))
    elif (out / "sitemap.xml").exists():
        (out / "sitemap.xml").unlink()
    return written
