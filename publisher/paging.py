"""Archive scale: long lists of papers split into pages, and the names of those pages' files.

The catalog (`index.html`, then `catalog/page-2.html`, …, and one listing per tag and series under
`catalog/`), the OPDS catalog (`opds.xml`, `opds-2.xml`, …) and the sitemap (`sitemap.xml`, an index
of `sitemap-1.xml`, … past SITEMAP_LIMIT URLs) are cut here; see docs/scale.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

SITEMAP_LIMIT = 50_000  # URLs in one sitemap file (sitemaps.org); past it, sitemap.xml is an index
CATALOG_DIR = "catalog"  # the catalog's pages after the first, and its per-tag and per-series listings


@dataclass(frozen=True)
class Page:
    """One page of a listing: its 1-based NUMBER out of COUNT, and the ITEMS it shows."""

    number: int
    count: int
    items: list


def split(items: list, per_page: int) -> list[Page]:
    """ITEMS cut into pages of at most PER_PAGE, in order; an empty list still gives one (empty) page."""
    per_page = max(1, per_page)
    chunks = [items[i:i + per_page] for i in range(0, len(items), per_page)] or [[]]
    return [Page(n, len(chunks), chunk) for n, chunk in enumerate(chunks, start=1)]


def catalog_path(number: int, facet: str = "") -> str:
    """The file (relative to OUT) of catalog page NUMBER, of every paper or of the tag or series FACET
    (a facet id such as 'tag-open-data'): index.html, catalog/page-2.html, catalog/tag-x.html,
    catalog/tag-x.page-2.html. Facet ids start with 'tag-' or 'series-', so names never collide."""
    if not facet:
        return "index.html" if number == 1 else f"{CATALOG_DIR}/page-{number}.html"
    return f"{CATALOG_DIR}/{facet}.html" if number == 1 else f"{CATALOG_DIR}/{facet}.page-{number}.html"


def opds_path(number: int) -> str:
    """The file of OPDS page NUMBER: opds.xml, opds-2.xml, …"""
    return "opds.xml" if number == 1 else f"opds-{number}.xml"


def sitemap_path(number: int) -> str:
    """The file of sitemap part NUMBER when the sitemap is split: sitemap-1.xml, sitemap-2.xml, …"""
    return f"sitemap-{number}.xml"


def relative_root(path: str) -> str:
    """The prefix that leads from the page PATH back to OUT ('' for index.html, '../' under catalog/)."""
    return "../" * path.count("/")


def remove_stale(out: Path, patterns: list[str], keep: set[Path]) -> list[Path]:
    """Remove the files under OUT matching PATTERNS (globs) that this build did not write (KEEP):
    pages of a listing that has grown shorter, a tag no paper has any more. Returns what it removed."""
    removed = []
    for pattern in patterns:
        for path in sorted(out.glob(pattern)):
            if path.is_file() and path not in keep:
                path.unlink()
                removed.append(path)
    folder = out / CATALOG_DIR
    if folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
    return removed
