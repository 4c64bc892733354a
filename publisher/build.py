"""build(): discover → read → normalize → render (one pandoc pass) → editions → dist.

The stages live in their own modules: publisher/collect.py (discover, read, normalize),
publisher/planning.py (the cache check and the build record), publisher/editions/assemble.py (one
paper's editions), publisher/editions/pdf_warmup.py (the typesetter's warm-up) and
publisher/site_files.py (catalog, feeds, manifest). This file runs them in order, with the worker pool."""
from __future__ import annotations

import contextlib
import gc
import os
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import cache, config, isolation, resources
from .cache import ParseMemo, State
from .collect import collect, load_data  # noqa: F401  (load_data: importable from here, as before)
from .dist import clean_out, remove_partials
from .links import site_links
from .editions.assemble import (EDITION_FAILED, _adapted, _user_filters, build_paper,  # noqa: F401
                                edition_failed, html_extras, peak_rss, typeset_pdf)
from .editions.pdf_warmup import (_warm_in_background, _warm_up, _warm_up_page, _warm_worker,  # noqa: F401
                                  _warmed, _warming, warm_in_background)
from .model import BuildReport, Paper, PaperResult, Problem
from .planning import (FORMAT_ORDER, Job, JobOptions, cached_result, edition_from_record, in_shard, plan,  # noqa: F401
                       previous_editions, record, remove_stale)
from .site_files import write_site

# The stages after "read" (Liquid, pandoc, the editions, the catalog) are imported where they are
# used: a build forks its PDF typesetter before importing them (they load while it warms up), and a
# build with nothing to do never imports them.


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
    self_contained: bool = False  # HTML edition with images and fonts inlined
    print_ready: bool = False  # --print: PDF for the press (bleed, marks, image resolution check)
    pdf_variant: str | None = None  # --pdf-variant: PDF/A and/or PDF/UA (None: the config's)
    force: bool = False  # rebuild every edition, ignoring the cache
    clean: bool = False  # empty OUT before building (also removes files publisher did not write)
    shard: tuple[int, int] | None = None  # (K, N): build only the K-th of N deterministic parts
    strict: bool = False  # warnings fail the paper
    volume: str | None = None  # --volume 'category=policy': a one-off volume (issue 17)
    volume_title: str | None = None  # --volume-title
    html_first: bool = False  # serve: each paper's HTML page before its PDF and EPUB (the result is the same)
    volume_bibliography: str | None = None  # --volume-bibliography: per-paper (default) or volume


Progress = Callable[[str, dict], None]
BUILDING = "building"  # OUT/.publisher/building: a build is running, or one was interrupted


@contextlib.contextmanager
def fewer_collections():
    """Python's cycle collector, at its default (a pass every 700 new objects), scans the objects a
    build keeps to its end (the record, the papers, the results) again and again as they pile up: at
    10,000 papers that was a third of a no-op build and of `list --json`. During a build or a listing
    it runs less often; the previous setting comes back after (serve goes on with it)."""
    before = gc.get_threshold()
    gc.set_threshold(50_000, 20, 100)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def build(opts: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build every selected paper under opts.source into opts.out; returns the report."""
    with fewer_collections():
        return _build_site(opts, progress)


def _build_site(opts: BuildOptions, progress: Progress | None) -> BuildReport:
    started = time.perf_counter()
    progress = progress or (lambda event, data: None)
    root = opts.source.resolve()
    site = config.load(root, opts.config_files)
    resources.use_site(root, site.options.styles)  # the site's styles, filters and templates (forks inherit them)
    formats = opts.formats or site.options.formats
    page_size = opts.page_size or site.options.page_size
    out = opts.out.resolve()
    # A build with a spare CPU forks its PDF typesetter now: WeasyPrint, the fonts and the stylesheets
    # load while the posts are read and pandoc runs. It is used if exactly one paper needs a PDF.
    _warming.wait()  # never fork while this process is warming up in a thread (serve)
    pdf_child = None
    if "pdf" in formats and opts.jobs >= 2:
        try:
            pdf_child = isolation.Child(_warm_worker, page_size, site.lang, False)  # (no warm-up page)
        except OSError:  # no process to spare (a process limit): build without it
            pass
    try:
        return _build(opts, progress, started, root, site, formats, page_size, out, pdf_child)
    except Exception:  # an error, not a kill: every atomic write removed its temporary file
        _finished(out)
        raise
    finally:
        if pdf_child is not None:
            pdf_child.cancel()
        resources.use_site(None)


def _build(opts: BuildOptions, progress: Progress, started: float, root: Path, site: config.SiteConfig,
           formats: list[str], page_size: str, out: Path, pdf_child: isolation.Child | None) -> BuildReport:
    prepare_out(out, root, opts.clean)
    report = BuildReport(out=out, strict=opts.strict)
    state = State.load(out, fresh=opts.force or opts.clean)
    for why in state.warnings:  # a record that does not parse is ignored: everything is built again
        report.problems.append(Problem(str(state.folder), None, why, "every paper is built again; the record is "
                                       "rewritten at the end of this build", severity="warning"))
    job_options = JobOptions(self_contained=opts.self_contained, print_ready=opts.print_ready,
                             pdf_variant=opts.pdf_variant, page_size_forced=bool(opts.page_size),
                             html_first=opts.html_first)
    ctx = cache.context(site, state, page_size, job_options.cache_key())

    # discover → read → normalize (unchanged posts come back from the cache without being parsed)
    memo = ParseMemo(state, ctx.parse, root)
    papers, failed, problems = collect(site, opts, memo)
    memo.finish()

    # links between papers (every paper of the site, whatever the shard; publisher/links.py)
    links = site_links(papers, site.url, site.baseurl)
    source_of = {p.slug: p.rel_source for p in papers}
    all_papers = papers  # volumes (issue 17) select from every paper, whatever the shard
    from .multilingual import versions

    language_versions = versions(papers)  # the language versions of each paper (multilingual sites)
    for paper in papers:  # a version added or retitled changes the page's "Also in" links
        paper.dependencies += [source_of[v.slug] for v in language_versions.get(paper.slug, [])
                               if v.slug != paper.slug and source_of[v.slug] not in paper.dependencies]
    papers = [p for p in papers if in_shard(p.slug, opts.shard)]
    failed = [r for r in failed if in_shard(r.slug or r.rel_source, opts.shard)]
    report.problems.extend(problems)
    report.papers.extend(failed)

    # the cache check: which editions must be made again
    jobs, results, inputs = plan(papers, out, site, state, ctx, formats, page_size, opts.debug, job_options)
    from .volume_build import member_slugs

    one_off = (opts.volume, opts.volume_title, opts.volume_bibliography)
    in_volumes = member_slugs(site, all_papers, one_off, opts.shard)
    for job in jobs:  # each job carries only the papers its post links to (they are its dependencies)
        job.edition_targets = links.for_paper(job.paper)
        job.versions = language_versions.get(job.paper.slug, [])
        if job.paper.slug in in_volumes:  # its pandoc pass is kept for the volumes (publisher/documents.py)
            job.document_key = cache.render_key(job.paper, site, state, ctx)
    progress("start", {"total": len(papers), "cached": len(results)})
    for r in failed:
        progress("failed", {"result": r})
    done = finisher(progress, opts.strict)
    for r in results:
        done(r)

    # render (one pandoc pass per paper) → editions, in a pool of warm workers
    if pdf_child is not None and not (len(jobs) == 1 and "pdf" in jobs[0].formats):
        pdf_child.cancel()  # no paper, or several (the pool's workers typeset them)
        pdf_child = None
    results += run(jobs, opts.jobs, page_size, done, pdf_child)
    order = {p.slug: i for i, p in enumerate(papers)}
    results.sort(key=lambda r: order.get(r.slug, 0))
    report.papers.extend(results)
    built = [r for r in results if not r.failed]

    # volumes (issue 17): many papers as one book, after the papers (publisher/volume_build.py)
    from .volume_build import build_volumes
    volume_results, volume_inputs = build_volumes(site, all_papers, out, state, ctx, formats, page_size, job_options,
                                                  opts.shard, one_off, opts.debug, done,
                                                  blocked=any(isolation.write_failed(r.problems) for r in report.papers))
    from . import documents

    documents.prune(out, in_volumes)
    report.papers.extend(volume_results)
    built += [r for r in volume_results if not r.failed]
    inputs.update(volume_inputs)

    # dist: stale editions out; catalog, feeds and manifest in; the cache record last
    built += previous_editions(out, state, [r for r in report.papers if r.failed], built)
    if not any(isolation.write_failed(r.problems) for r in report.papers):  # disk full: keep what OUT has
        report.removed = remove_stale(out, state, built, [r for r in report.papers if r.failed])
    for r in built:
        r.summary["dependencies"] = inputs.get(r.slug, {}).get("dependencies", r.summary.get("dependencies", []))
    site_key = cache.digest(ctx.base, [r.summary for r in built])
    if site_key != state.site_key or not all((out / f).is_file() for f in ("index.html", "manifest.json")):
        write_site(out, site, built, ctx.tools)  # skipped when nothing it shows changed
    state.site_key = site_key
    record(state, root, built, inputs)
    _finished(out)  # no temporaries left behind
    report.seconds = time.perf_counter() - started
    progress("done", {"report": report})
    return report


def prepare_out(out: Path, source: Path, clean: bool) -> None:
    """Create OUT, remove what an interrupted build left; with CLEAN, empty it first."""
    if clean:
        clean_out(out, source)
    out.mkdir(parents=True, exist_ok=True)
    # Only a build that did not finish leaves temporaries: walking an archive's OUT for them costs
    # 0.2 s at 10,000 papers, so the walk happens when the last build left its marker (or left no record).
    marker = out / cache.STATE_DIR / BUILDING
    if marker.exists() or not (out / cache.STATE_DIR / "state.json").is_file():
        remove_partials(out)
    try:
        marker.parent.mkdir(exist_ok=True)
        marker.touch()
    except OSError:  # a read-only OUT: the first edition written reports it, with its paper
        pass


def _finished(out: Path) -> None:
    """Remove the marker prepare_out() left in OUT: the next build need not look for temporaries."""
    try:
        (out / cache.STATE_DIR / BUILDING).unlink(missing_ok=True)
    except OSError:
        pass



def run(jobs: list[Job], workers: int, page_size: str, done: Callable[[PaperResult], None],
        pdf_child: isolation.Child | None = None) -> list[PaperResult]:
    """Build the jobs: in this process when there is one worker or one job, else in a process pool
    whose workers stay warm (WeasyPrint, fonts, stylesheets) from one paper to the next. PDF_CHILD,
    for a single job: a typesetter forked (and warmed) at the start of the build; the PDF is typeset
    there while this process makes the other editions."""
    from concurrent.futures import ProcessPoolExecutor, as_completed

    results: list[PaperResult] = []
    if not jobs:
        return results
    if workers <= 1 or len(jobs) <= 1:
        if pdf_child is None and any("pdf" in j.formats for j in jobs):
            warm_in_background(page_size, jobs[0].site.lang)  # while pandoc runs
        for job in jobs:
            r = build_paper(job, pdf_child if len(jobs) == 1 else None)
            results.append(r)
            done(r)
        return results
    jobs = sorted(jobs, key=lambda j: len(j.paper.body), reverse=True)  # longest first: workers end together
    _warming.wait()  # never fork the pool while this process is warming up in a thread (serve)
    hook = threading.excepthook
    threading.excepthook = _quiet_broken_pool
    try:
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_warm_worker,
                                 initargs=(page_size, jobs[0].site.lang)) as pool:
            futures = [pool.submit(build_paper, job) for job in jobs]
            try:
                for fut in as_completed(futures):
                    r = fut.result()
                    results.append(r)
                    done(r)
            except BaseException:  # Ctrl-C, SIGTERM: start no new paper; the running ones end or are killed
                for fut in futures:
                    fut.cancel()
                raise
    finally:
        threading.excepthook = hook
    return results


def _quiet_broken_pool(args) -> None:
    """Python 3.11's pool manager thread raises InvalidStateError when workers killed by Ctrl-C/SIGTERM
    leave cancelled futures behind (fixed in later Pythons): nothing is wrong, so print no traceback."""
    from concurrent.futures import InvalidStateError

    if isinstance(args.exc_value, InvalidStateError):
        return
    sys.__excepthook__(args.exc_type, args.exc_value, args.exc_traceback)


def finisher(progress: Progress, strict: bool) -> Callable[[PaperResult], None]:
    """What happens to each paper's result as it comes in: --strict turns warnings into a failure,
    then the progress callback hears of it."""
    def done(r: PaperResult) -> None:
        if strict and not r.failed and any(p.severity == "warning" for p in r.problems):
            r.failed = True
            r.problems.append(Problem(r.rel_source, None, "warnings are fatal with --strict; not published",
                                      "fix the warnings above, or build without --strict"))
        progress("paper", {"result": r})
    return done



def list_papers(opts: BuildOptions, memo_from: Path | None = None) -> tuple[list[Paper], list[PaperResult], list[Problem]]:
    """The papers `build` would build, without building them. MEMO_FROM: the OUT of a build of this
    site, whose parse memo gives back the unchanged posts without parsing them (read, never written)."""
    with fewer_collections():
        site = config.load(opts.source.resolve(), opts.config_files)
        memo = None
        if memo_from is not None and (memo_from / cache.STATE_DIR).is_dir():
            state = State.load(memo_from.resolve())
            memo = ParseMemo(state, cache.context(site, state, site.options.page_size, {}).parse, site.root)
        return collect(site, opts, memo)


def default_jobs() -> int:
    """The number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1
