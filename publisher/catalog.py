"""The whole-build pages: catalog (`OUT/index.html`) and manifest, from the list of built papers."""
from __future__ import annotations

import hashlib
import platform
from dataclasses import dataclass
from pathlib import Path


from . import __version__
from .config import SiteConfig
from .dist import atomic_write
from .editions.common import author_line, display_date, templates
from .editions.html import human_size
from .model import Document, Edition, Paper, PaperResult
from .jekyll.names import slugify
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
        "title_text": doc.title_text or paper.title,
        "summary_html": doc.summary_html,
        "author_line": author_line(paper),
        "display_date": display_date(paper.date),
        "series": paper.series,
        "publisher": paper.publisher,
        "identifier": paper.identifier,
        "source_sha256": paper.source_sha256,
        "editions": {e.format: {"path": e.path.relative_to(out).as_posix(), "size": e.size, "sha256": e.sha256,
                                **({"pages": e.pages} if e.pages else {})} for e in editions},
    }


def site_url(site: SiteConfig) -> str:
    """The site's public address: `url` + `baseurl` ('' when `url` is not set)."""
    return (site.url.rstrip("/") + "/" + site.baseurl.strip("/")).rstrip("/") if site.url else ""


def editions_url(site: SiteConfig) -> str:
    """Where OUT is published: `publisher.editions_url`, else the site's address ('' when unknown)."""
    return site.options.editions_url.rstrip("/") or site_url(site)


def newest_first(results: list[PaperResult]) -> list[dict]:
    """The catalog entries of the built papers, newest first (ties by slug, for a stable order)."""
    return sorted((r.summary for r in results if r.summary), key=lambda e: (e["date"], e["slug"]), reverse=True)


@dataclass(frozen=True)
class Facet:
    """A tag or series the catalog can be filtered by: `id` is the fragment (`#tag-open-data`)."""

    id: str
    kind: str  # "tag" or "series"
    label: str
    count: int


def facet_id(kind: str, label: str) -> str:
    """'tag-open-data', 'series-working-papers': an id fragment safe in HTML and CSS."""
    return f"{kind}-" + (slugify(label, mode="latin") or "x" + hashlib.sha1(label.encode()).hexdigest()[:8])


def facets(entries: list[dict]) -> list[Facet]:
    """Every series then every tag of ENTRIES, alphabetically, with how many papers have it."""
    found: dict[tuple[str, str], int] = {}
    for e in entries:
        if e.get("series"):
            found[("series", e["series"])] = found.get(("series", e["series"]), 0) + 1
        for t in dict.fromkeys(e.get("tags") or []):
            found[("tag", t)] = found.get(("tag", t), 0) + 1
    return [Facet(facet_id(k, label), k, label, n)
            for (k, label), n in sorted(found.items(), key=lambda x: (x[0][0] != "series", x[0][1].lower()))]


def filter_css(items: list[Facet]) -> str:
    """CSS that filters the catalog without a script: `#tag-x:target` hides the cards without class tag-x."""
    rules = []
    for f in items:
        rules.append(f"#{f.id}:target ~ main .paper-card:not(.{f.id}) {{ display: none; }}")
        rules.append(f"#{f.id}:target ~ .filters a[href='#{f.id}'] {{ background: var(--accent); color: var(--bg); "
                     f"border-color: var(--accent); }}")
        rules.append(f"#{f.id}:target ~ .filters .status-{f.id} {{ display: inline; }}")
        rules.append(f"#{f.id}:target ~ .filters a[href='#{f.id}'] .n {{ color: inherit; }}")
    return "\n".join(rules)


def write(out: Path, site: SiteConfig, results: list[PaperResult]) -> Path:
    """Write `OUT/index.html`, every paper newest first with links to its editions, filterable by tag and series.

    Past `papers_per_page` papers the catalog is paginated (catalog/page-2.html, …) and each tag and series
    gets its own listing under catalog/, paginated the same way (see publisher/paging.py, docs/scale.md)."""
    from . import paging

    entries = [dict(e) for e in newest_first(results)]
    volumes = [e for e in entries if e.get("kind") == "volume"]  # volumes (issue 17): listed apart
    entries = [e for e in entries if e.get("kind") != "volume"]
    items = facets(entries)
    for e in entries + volumes:
        e["tag_links"] = [(facet_id("tag", t), t) for t in dict.fromkeys(e.get("tags") or [])]
        e["facet_ids"] = [facet_id("series", e["series"])] * bool(e.get("series")) + [i for i, _ in e["tag_links"]]
        e["sizes"] = {f: human_size(v["size"]) for f, v in e["editions"].items() if v.get("size")}
    per_page = site.options.papers_per_page
    paged = len(entries) > per_page
    listings: list[tuple[Facet | None, list[dict]]] = [(None, entries)]
    if paged:  # the script-free filter cannot reach other pages: each tag and series gets its own listing
        members: dict[str, list[dict]] = {f.id: [] for f in items}
        for e in entries:
            for i in dict.fromkeys(e["facet_ids"]):
                members[i].append(e)
        listings += [(f, members[f.id]) for f in items]
    base_css = [read_style("paper.css"), read_style("catalog.css")]
    css = "\n".join(base_css + ([] if paged else [filter_css(items)]))
    hrefs = {f.id: paging.catalog_path(1, f.id) if paged else "#" + f.id for f in items}
    hrefs["all"] = "index.html" if paged else "#all"
    template = templates().get_template("catalog.html.j2")
    formats = [label for f, label in (("html", "HTML"), ("pdf", "PDF"), ("epub", "EPUB"))
               if any(f in e["editions"] for e in entries)]
    public = editions_url(site)
    written: set[Path] = set()
    for facet, listed in listings:
        for page in paging.split(listed, per_page):
            path = paging.catalog_path(page.number, facet.id if facet else "")
            root = paging.relative_root(path)
            nav = {rel: root + paging.catalog_path(n, facet.id if facet else "")
                   for rel, n in (("first", 1), ("prev", page.number - 1), ("next", page.number + 1),
                                  ("last", page.count)) if 1 <= n <= page.count}
            html = template.render(
                site=site, entries=page.items, css=css,
                volumes=volumes if facet is None and page.number == 1 else [], facets=items, feed=bool(entries), version=__version__,
                formats=formats, lang=site.lang or "en", title=site.title or "Papers",
                description=site.raw.get("description") or "",
                canonical=(public + "/" + ("" if path == "index.html" else path)) if public else "",
                root=root, paged=paged, page=page, nav=nav, catalog_path=paging.catalog_path, facet=facet, total=len(listed), all_count=len(entries),
                hrefs={k: (v if v.startswith("#") else root + v) for k, v in hrefs.items()})
            written.add(atomic_write(out / path, html))
    paging.remove_stale(out, [f"{paging.CATALOG_DIR}/page-*.html", f"{paging.CATALOG_DIR}/tag-*.html",
                              f"{paging.CATALOG_DIR}/series-*.html"], written)
    return out / "index.html"


def tool_versions() -> dict:
    """Versions of the tools that shaped the editions."""
    from importlib.metadata import PackageNotFoundError, version

    from .pandoc import pandoc_version

    def v(name):
        try:
            return version(name)
        except PackageNotFoundError:
            return None

    return {"publisher": __version__, "pandoc": pandoc_version(), "weasyprint": v("weasyprint"),
            "ebooklib": v("ebooklib"), "python": platform.python_version()}


def manifest(site: SiteConfig, results: list[PaperResult], out: Path, tools: dict | None = None) -> dict:
    """The build manifest: per paper and edition the path, size, SHA-256, source path and hash, and the
    tool versions; stable ordering, no timings and no absolute paths (two builds compare byte for byte)."""
    from .cache import edition_tools

    tools = tools or tool_versions()
    papers = []
    for r in sorted(results, key=lambda r: r.slug):
        s = r.summary
        source = {"source": s.get("source"), "source_sha256": s.get("source_sha256")}
        editions = {fmt: {**e, **source, "tools": edition_tools(tools, fmt)} for fmt, e in s.get("editions", {}).items()}
        papers.append({"slug": r.slug, **source, "dependencies": s.get("dependencies", []),
                       "title": s.get("title"), "date": s.get("date"), "url": s.get("url"), "editions": editions,
                       **({"kind": "volume", "members": s.get("members", [])} if s.get("kind") == "volume" else {})})
    return {"generator": f"publisher {__version__}", "tools": tools, "site": site.title,
            "papers": papers}
