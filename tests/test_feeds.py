"""feed.xml (Atom), opds.xml (OPDS 1.2 acquisition feed) and sitemap.xml: parsed with lxml and checked
for the elements their specifications require (RFC 4287 §4.1, OPDS 1.2 §5, sitemaps.org 0.9)."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from lxml import etree

A = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/terms/}"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
OPDS_ACQ = "application/atom+xml;profile=opds-catalog;kind=acquisition"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
MIME = {"pdf": "application/pdf", "epub": "application/epub+zip"}


def parse(path: Path):
    return etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()


def local_file(href: str, out: Path, base: str) -> Path:
    """The file in OUT an edition link points to (absolute under the site's public address, or relative)."""
    rel = href[len(base) + 1:] if base and href.startswith(base + "/") else href
    assert not re.match(r"^[a-z]+:", rel), href
    return out / rel


def check_atom_basics(feed) -> None:
    """RFC 4287: feed has exactly one id, title, updated; an author (or every entry has one); entries too."""
    assert feed.tag == A + "feed"
    for tag in ("id", "title", "updated"):
        assert len(feed.findall(A + tag)) == 1, tag
    assert RFC3339.match(feed.findtext(A + "updated"))
    assert feed.find(A + "link[@rel='self']") is not None
    for entry in feed.findall(A + "entry"):
        for tag in ("id", "title", "updated"):
            assert len(entry.findall(A + tag)) == 1, tag
        assert RFC3339.match(entry.findtext(A + "updated"))
        assert entry.find(A + "author/" + A + "name") is not None or feed.find(A + "author") is not None
        assert entry.find(A + "summary") is not None  # required when there is no content
    ids = [e.findtext(A + "id") for e in feed.findall(A + "entry")]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("site,base", [("content", "https://papers.example.org"), ("corpus", ""),
                                       ("webmeta", "https://notes.example.net/research")])
def test_atom_feed(built_sites, site, base):
    report = built_sites[site]
    feed = parse(report.out / "feed.xml")
    check_atom_basics(feed)
    built = [r for r in report.papers if not r.failed]
    entries = feed.findall(A + "entry")
    assert len(entries) == len(built)
    published = [e.findtext(A + "published") for e in entries]
    assert published == sorted(published, reverse=True)
    assert feed.findtext(A + "updated") == max(e.findtext(A + "updated") for e in entries)
    for entry in entries:
        enclosures = entry.findall(A + "link[@rel='enclosure']")
        assert {e.get("type") for e in enclosures} == set(MIME.values())
        for link in enclosures:
            path = local_file(link.get("href"), report.out, base)
            assert path.is_file() and int(link.get("length")) == path.stat().st_size
        (alt,) = entry.findall(A + "link[@rel='alternate']")
        assert alt.get("type") == "text/html" and local_file(alt.get("href"), report.out, base).is_file()
    if base:
        assert feed.find(A + "link[@rel='self']").get("href") == base + "/feed.xml"


@pytest.mark.parametrize("site,base", [("content", "https://papers.example.org"), ("corpus", ""),
                                       ("webmeta", "https://notes.example.net/research")])
def test_opds_acquisition_feed(built_sites, site, base):
    report = built_sites[site]
    feed = parse(report.out / "opds.xml")
    check_atom_basics(feed)
    assert feed.nsmap.get("dc") == DC.strip("{}") and feed.nsmap.get("opds") == "http://opds-spec.org/2010/catalog"
    assert feed.find(A + "link[@rel='self']").get("type") == OPDS_ACQ
    assert feed.find(A + "link[@rel='start']").get("type") == OPDS_ACQ
    entries = feed.findall(A + "entry")
    assert len(entries) == len([r for r in report.papers if not r.failed])
    for entry in entries:
        acq = entry.findall(A + "link[@rel='http://opds-spec.org/acquisition']")
        assert sorted(a.get("type") for a in acq) == sorted(MIME.values())
        for a in acq:
            path = local_file(a.get("href"), report.out, base)
            assert path.is_file() and path.suffix == {v: "." + k for k, v in MIME.items()}[a.get("type")]
        assert entry.findtext(DC + "language")
        dt.date.fromisoformat(entry.findtext(DC + "issued"))


def test_opds_entry_carries_the_epub_identifier(built_sites):
    """A reader app matches a downloaded book to its catalog entry by the EPUB's dc:identifier."""
    import zipfile

    report = built_sites["webmeta"]
    feed = parse(report.out / "opds.xml")
    for entry in feed.findall(A + "entry"):
        (epub_link,) = entry.findall(A + "link[@type='application/epub+zip']")
        epub = local_file(epub_link.get("href"), report.out, "https://notes.example.net/research")
        with zipfile.ZipFile(epub) as z:
            opf_name = [n for n in z.namelist() if n.endswith(".opf")][0]
            opf = etree.fromstring(z.read(opf_name))
        ids = opf.xpath("//*[local-name()='identifier']/text()")
        assert entry.findtext(A + "id") in ids


def test_opds_cover_links(built_sites):
    feed = parse(built_sites["corpus"].out / "opds.xml")
    (entry,) = feed.findall(A + "entry")
    assert entry.find(A + "link[@rel='http://opds-spec.org/image']").get("href") == "https://i.imgur.com/jPa5Grr.png"


@pytest.mark.parametrize("site", ["content", "webmeta"])
def test_sitemap_lists_canonical_urls(built_sites, site):
    report = built_sites[site]
    root = parse(report.out / "sitemap.xml")
    assert root.tag == SM + "urlset"
    locs = [u.findtext(SM + "loc") for u in root.findall(SM + "url")]
    assert all(loc.startswith("https://") for loc in locs) and len(locs) == len(set(locs))
    assert all(RFC3339.match(u.findtext(SM + "lastmod")) for u in root.findall(SM + "url"))
    import lxml.html

    canon = [lxml.html.fromstring((report.out / r.slug / "index.html").read_bytes()).xpath(
        "//link[@rel='canonical']/@href")[0] for r in report.papers if not r.failed]  # volumes' pages too
    assert set(canon) <= set(locs)
    assert len(locs) == len(canon) + 1  # the catalog, each paper and each volume


def test_no_sitemap_without_site_url(built_sites):
    assert not (built_sites["corpus"].out / "sitemap.xml").exists()
