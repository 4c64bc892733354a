"""build(): discover → read → normalize → render (one pandoc pass) → editions → dist."""
from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import catalog, config, discover, frontmatter, jekyll, render
from .dist import atomic_json, remove_partials, sha256_file
from .editions import epub as epub_edition
from .editions import html as html_edition
from .editions import pdf as pdf_edition
from .editions.common import edition_names
from .jekyll.dates import source_date_epoch
from .model import BuildReport, Edition, InputError, Paper, PaperResult, Problem


@dataclass
class BuildOptions:
    """What `publisher build` was asked to do."""

    source: Path = Path("content")
    out: Path = Path("dist")
    formats: list[str] | None = None  # None: the config's formats
    jobs: int = 1
    future: bool = False
    drafts: bool = False
    unpublished: bool = False
    config_files: list[Path] | None = None
    page_size: str | None = None
    debug: bool = False


@dataclass
class Job:
    """Everything a worker needs to build one paper (picklable)."""

    paper: Paper
    out_dir: Path
    formats: list[str]
    site: config.SiteConfig
    page_size: str
    debug: bool = False
    extra: dict = field(default_factory=dict)


Progress = Callable[[str, dict], None]


def collect(site: config.SiteConfig, opts: BuildOptions) -> tuple[list[Paper], list[PaperResult], list[Problem]]:
    """Discover, read and normalize: the papers to build, the posts that failed, site-level warnings."""
    sources, problems = discover.discover(site.root, drafts=opts.drafts or site.show_drafts)
    data = load_data(site.root)
    papers: list[Paper] = []
    failed: list[PaperResult] = []
    slugs: dict[str, str] = {}
    for src in sources:
        try:
            raw, warnings = frontmatter.read_post(src, site.options.max_post_bytes)
            problems.extend(warnings)
            if raw is None:
                continue
            paper = jekyll.normalize(raw, site, data)
        except InputError as exc:
            failed.append(PaperResult(src.rel, problems=[exc.problem], failed=True))
            continue
        selected, _why = jekyll.is_selected(paper, site, opts.future, opts.unpublished)
        if not selected:
            continue
        if paper.slug in slugs:
            failed.append(PaperResult(src.rel, slug=paper.slug, failed=True, problems=[Problem(
                src.rel, None, f"slug '{paper.slug}' is already used by {slugs[paper.slug]}; not built",
                "give one of the posts a different 'slug:' in its front matter")]))
            continue
        slugs[paper.slug] = src.rel
        papers.append(paper)
    papers.sort(key=lambda p: (p.date, p.slug), reverse=True)
    return papers, failed, problems


def load_data(root: Path) -> dict:
    """The site's `_data/*.yml` files (safe YAML), keyed by file stem."""
    data: dict = {}
    folder = root / "_data"
    if not folder.is_dir():
        return data
    for p in sorted(folder.glob("*.y*ml")):
        try:
            value, _ = frontmatter.load_yaml(frontmatter.decode(p.read_bytes(), str(p)), str(p))
        except InputError:
            continue
        data[p.stem] = value
    return data


def _user_filters(site: config.SiteConfig) -> list[Path]:
    return [(site.root / f) if not Path(f).is_absolute() else Path(f) for f in site.options.filters]


def build_paper(job: Job) -> PaperResult:
    """Build one paper's editions. Never raises: problems are reported in the result."""
    paper = job.paper
    result = PaperResult(paper.rel_source, slug=paper.slug, title=paper.title, problems=list(paper.warnings))
    started = time.perf_counter()
    opts = job.site.options
    try:
        doc = render.render(paper, _user_filters(job.site), italic_quotes=opts.italic_quotes, timeout=opts.timeout)
        result.problems.extend(doc.warnings)
        names = edition_names(paper.slug)
        out_dir = job.out_dir / paper.slug
        modified = source_date_epoch()
        sizes: dict[str, int] = {}
        if "pdf" in job.formats:
            pdf_opts = pdf_edition.PdfOptions(page_size=job.page_size, roots=(job.site.root,), network=opts.network,
                                              allowed_hosts=tuple(opts.allowed_hosts), timeout=opts.timeout,
                                              modified=modified)
            path, pages = pdf_edition.write(paper, doc, out_dir, pdf_opts)
            result.editions.append(Edition(paper.slug, "pdf", path, pages=pages))
        if "epub" in job.formats:
            path = epub_edition.write(paper, doc, out_dir, epub_edition.EpubOptions(modified=modified,
                                                                                     site_url=job.site.url))
            result.editions.append(Edition(paper.slug, "epub", path))
        for e in result.editions:
            sizes[e.format] = e.path.stat().st_size
        if "html" in job.formats:
            extras = html_edition.PageExtras(editions=[
                html_edition.EditionLink(names[f], label, mime, html_edition.human_size(sizes[f]))
                for f, label, mime in (("pdf", "PDF", "application/pdf"), ("epub", "EPUB", "application/epub+zip"))
                if f in sizes])
            path = html_edition.write(paper, doc, out_dir, extras)
            result.editions.append(Edition(paper.slug, "html", path))
        for e in result.editions:
            e.size = e.path.stat().st_size
            e.sha256 = sha256_file(e.path)
        result.summary = catalog.entry(paper, doc, result.editions, job.out_dir)
    except InputError as exc:
        result.failed = True
        result.problems.append(exc.problem)
    except Exception as exc:  # one paper never stops the others
        result.failed = True
        detail = traceback.format_exc() if job.debug else f"{type(exc).__name__}: {exc}"
        result.problems.append(Problem(paper.rel_source, None, f"internal error while building: {detail}",
                                       "run with --debug for the traceback and report it"))
    result.seconds = time.perf_counter() - started
    return result


def _warm_worker() -> None:
    """Process-pool initializer: import WeasyPrint and parse the stylesheets once per worker."""
    import weasyprint  # noqa: F401


def build(opts: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build every selected paper under opts.source into opts.out; returns the report."""
    started = time.perf_counter()
    progress = progress or (lambda event, data: None)
    root = opts.source.resolve()
    site = config.load(root, opts.config_files)
    formats = opts.formats or site.options.formats
    page_size = opts.page_size or site.options.page_size
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    remove_partials(out)
    report = BuildReport(out=out)

    papers, failed, problems = collect(site, opts)
    report.problems.extend(problems)
    report.papers.extend(failed)
    for r in failed:
        progress("failed", {"result": r})
    progress("start", {"total": len(papers)})
    jobs = [Job(p, out, formats, site, page_size, opts.debug) for p in papers]
    results: list[PaperResult] = []
    if opts.jobs <= 1 or len(jobs) <= 1:
        for job in jobs:
            r = build_paper(job)
            results.append(r)
            progress("paper", {"result": r})
    else:
        with ProcessPoolExecutor(max_workers=min(opts.jobs, len(jobs)), initializer=_warm_worker) as pool:
            futures = [pool.submit(build_paper, job) for job in jobs]
            for fut in as_completed(futures):
                r = fut.result()
                results.append(r)
                progress("paper", {"result": r})
    order = {p.slug: i for i, p in enumerate(papers)}
    results.sort(key=lambda r: order.get(r.slug, 0))
    report.papers.extend(results)
    built = [r for r in results if not r.failed]
    catalog.write(out, site, built)
    atomic_json(out / "manifest.json", catalog.manifest(site, built, out))
    report.seconds = time.perf_counter() - started
    progress("done", {"report": report})
    return report


def list_papers(opts: BuildOptions) -> tuple[list[Paper], list[PaperResult], list[Problem]]:
    """The papers `build` would build, without building them."""
    site = config.load(opts.source.resolve(), opts.config_files)
    return collect(site, opts)


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
