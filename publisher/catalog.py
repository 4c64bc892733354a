"""The whole-build pages: catalog (`OUT/index.html`) and manifest, from the list of built papers."""
from __future__ import annotations

import platform
from pathlib import Path

from . import __version__
from .config import SiteConfig
from .dist import atomic_write
from .editions.common import author_line, display_date, templates
from .model import Document, Edition, Paper, PaperResult
from .resources import read_style


def record(paper: Paper) -> dict:
    """The JSON shape `publisher list --json` prints for a paper."""
    return {
        "source": paper.rel_source,
        "slug": paper.slug,
        "title": paper.title,
        "date": paper.date.isoformat(),
        "authors": paper.author_names,
        "categories": paper.categories,
        "tags": paper.tags,
        "excerpt": paper.excerpt,
        "description": paper.description,
        "url": paper.url,
        "lang": paper.lang,
        "image": paper.image,
        "kind": paper.kind,
    }


def entry(paper: Paper, doc: Document, editions: list[Edition], out: Path) -> dict:
    """What the catalog and manifest need to know about one built paper (picklable)."""
    return {
        **record(paper),
        "title_html": doc.title_html,
        "summary_html": doc.summary_html,
        "author_line": author_line(paper),
        "display_date": display_date(paper.date),
        "series": paper.series,
        "source_sha256": paper.source_sha256,
        "editions": {e.format: {"path": e.path.relative_to(out).as_posix(), "size": e.size, "sha256": e.sha256,
                                **({"pages": e.pages} if e.pages else {})} for e in editions},
    }


def write(out: Path, site: SiteConfig, results: list[PaperResult]) -> Path:
    """Write `OUT/index.html`, every paper newest first with links to its editions."""
    entries = sorted((r.summary for r in results if r.summary), key=lambda e: (e["date"], e["slug"]), reverse=True)
    page = templates().get_template("catalog.html.j2").render(
        site=site, entries=entries, css=read_style("paper.css") + "\n" + read_style("catalog.css"),
        version=__version__, lang=site.lang or "en", title=site.title or "Papers")
    return atomic_write(out / "index.html", page)


def tool_versions() -> dict:
    """Versions of the tools that shaped the editions."""
    from importlib.metadata import PackageNotFoundError, version

    from .render import pandoc_version

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {"publisher": __version__, "pandoc": pandoc_version(), "weasyprint": v("weasyprint"),
            "ebooklib": v("ebooklib"), "python": platform.python_version()}


def manifest(site: SiteConfig, results: list[PaperResult], out: Path) -> dict:
    """The build manifest: per paper and edition the path, size and SHA-256; stable ordering."""
    papers = []
    for r in sorted(results, key=lambda r: r.slug):
        s = r.summary
        papers.append({"slug": r.slug, "source": s.get("source"), "source_sha256": s.get("source_sha256"),
                       "title": s.get("title"), "date": s.get("date"), "url": s.get("url"),
                       "editions": s.get("editions", {})})
    return {"generator": f"publisher {__version__}", "tools": tool_versions(), "site": site.title,
            "papers": papers}
