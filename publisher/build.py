"""build(): discover → read → normalize → render (one pandoc pass) → editions → dist."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import cache, config, discover, frontmatter, isolation, resources
from .cache import ParseMemo, State, stat_sig
from .dist import atomic_json, clean_out, remove_paper_dirs, remove_partials, sha256_file
from .editions import pdf as pdf_edition
from .editions.common import edition_names
from .model import BuildReport, Edition, InputError, Paper, PaperResult, Problem

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
    reuse: dict[str, Edition] = field(default_factory=dict)  # editions kept from the last build (cache hits)


Progress = Callable[[str, dict], None]
FORMAT_ORDER = ["pdf", "epub", "html"]  # the order editions are built in (each may use the ones before)
BUILDING = "building"  # OUT/.publisher/building: a build is running, or one was interrupted


def collect(site: config.SiteConfig, opts: BuildOptions,
            memo: ParseMemo | None = None) -> tuple[list[Paper], list[PaperResult], list[Problem]]:
    """Discover, read and normalize: the papers to build, the posts that failed, site-level warnings.
    MEMO (the cache) hands back the papers whose post and dependencies did not change."""
    from . import jekyll

    sources, problems = discover.discover(site.root, drafts=opts.drafts or site.show_drafts)
    data = None  # _data/ is read only when a post has to be normalized
    papers: list[Paper] = []
    failed: list[PaperResult] = []
    slugs: dict[str, str] = {}
    by_slug: dict[str, Paper] = {}
    for src in sources:
        hit = memo.get(src) if memo else None
        if hit:
            paper, warnings = hit
            problems.extend(warnings)
        else:
            try:
                sig = stat_sig(src.path)
                raw, warnings = frontmatter.read_post(src, site.options.max_post_bytes)
                problems.extend(warnings)
                if raw is None:
                    continue
                data = load_data(site.root) if data is None else data
                paper = jekyll.normalize(raw, site, data)
            except InputError as exc:
                failed.append(PaperResult(src.rel, problems=[exc.problem], failed=True))
                continue
            if memo:
                memo.put(src, sig, paper, warnings)
        selected, _why = jekyll.is_selected(paper, site, opts.future, opts.unpublished)
        if not selected:
            continue
        if paper.slug in slugs:
            first = by_slug[paper.slug]
            if first.url == paper.url:  # Jekyll cannot publish both either
                failed.append(PaperResult(src.rel, slug=paper.slug, failed=True, problems=[Problem(
                    src.rel, None, f"slug '{paper.slug}' is already used by {slugs[paper.slug]}; not built",
                    "give one of the posts a different 'slug:' in its front matter")]))
                continue
            from .multilingual import free_slug

            paper.slug = free_slug(paper, first, set(slugs))  # published at its own URL: its own folder
        slugs[paper.slug] = src.rel
        by_slug.setdefault(paper.slug, paper)
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


def html_extras(job: Job, doc, names: dict[str, str], sizes: dict[str, int], out_dir: Path):
    """The HTML page's links (editions with sizes, citation files) and discovery metadata."""
    from . import catalog, cite
    from .editions import html as html_edition

    paper = job.paper
    editions = [html_edition.EditionLink(names[f], label, mime, html_edition.human_size(sizes[f]))
                for f, label, mime in (("pdf", "PDF", "application/pdf"), ("epub", "EPUB", "application/epub+zip"))
                if f in sizes]
    site_url, editions_url = catalog.site_url(job.site), catalog.editions_url(job.site)
    canonical = html_edition.absolute(paper.url, site_url) if site_url else ""
    pdf_url = (editions_url + f"/{paper.slug}/" if editions_url else "") + names["pdf"] if "pdf" in sizes else ""
    cited = cite.as_rendered(paper, doc)  # title and subtitle as plain text, after Markdown and entities
    cite_links = [html_edition.EditionLink(f.name, f.label, f.type)
                  for f in cite.write(cited, out_dir, canonical, pdf_url)]
    extras = html_edition.page_extras(paper, doc, editions=editions, cite_links=cite_links,
                                      citation=cite.reference(cited, canonical), site_url=site_url,
                                      editions_url=editions_url, site_title=job.site.title)
    extras.self_contained = bool(job.extra.get("self_contained"))
    extras.index_see_also = dict(job.site.options.index_see_also)  # subject index (issue 17)
    for v in job.extra.get("versions", []):  # language versions (publisher/multilingual.py)
        href = "index.html" if v.slug == paper.slug else f"../{v.slug}/index.html"
        extras.head_links.append({"rel": "alternate", "hreflang": v.lang, "href": href, "title": v.title})
        if v.slug != paper.slug:
            extras.versions.append({"lang": v.lang, "label": v.label, "href": href, "title": v.title})
    extras.asset_roots = [out_dir, paper.source.parent, job.site.root]
    return extras


def build_paper(job: Job, pdf_child: isolation.Child | None = None) -> PaperResult:
    """Build one paper's editions. Never raises: problems are reported in the result. With PDF_CHILD
    (isolation.Child, warm), the PDF is typeset there while this process makes the EPUB's cover
    and the HTML page's body; otherwise in a child forked for it, while this process waits."""
    from . import catalog, render, safety
    from .editions import body as edition_body
    from .editions import epub as epub_edition
    from .editions import html as html_edition
    from .assets import source_line
    from .jekyll.dates import source_date_epoch

    paper = job.paper
    result = PaperResult(paper.rel_source, slug=paper.slug, title=paper.title, problems=list(paper.warnings))
    started = time.perf_counter()
    opts = job.site.options
    try:
        doc = render.render(paper, _user_filters(job.site), italic_quotes=opts.italic_quotes, timeout=opts.timeout,
                            memory_mb=opts.memory_mb, list_of_figures=opts.list_of_figures,
                            list_of_tables=opts.list_of_tables)
        if {"epub", "pdf"} & set(job.formats) or opts.html_policy == "untrusted":
            result.problems.extend(safety.raw_html_warnings(doc.body_html, paper.body, paper.rel_source,
                                                            paper.body_line, opts.html_policy))
        edition_body.prepare(paper, doc, job.site, job.out_dir.parent / ".cache" / "publisher" / "remote")
        result.problems.extend(doc.warnings)
        names = edition_names(paper.slug)
        out_dir = job.out_dir / paper.slug
        modified = source_date_epoch()
        sizes: dict[str, int] = {}
        page = edition_body.page_address(paper, job.site.url, job.site.baseurl)  # relative links are relative to it
        unresolved: list[str] = []  # relative links the PDF and EPUB cannot resolve (no `url:`)
        page_starts: list = []  # where each PDF page begins, for the EPUB's page-list
        epub_cover = None  # (bytes, media type), when made while the PDF is typeset
        if "pdf" in job.formats:
            try:
                pdf_opts = pdf_edition.PdfOptions(page_size=job.page_size, roots=(job.site.root,), network=opts.network,
                                                  allowed_hosts=tuple(opts.allowed_hosts), timeout=opts.timeout,
                                                  modified=modified, **pdf_edition.press_options(opts, job.extra))
                public = catalog.editions_url(job.site)  # a PDF needs absolute links (relative ones become file: URLs)

                def pdf_links(fragment: str) -> str:
                    if public:
                        fragment = edition_body.link_editions(fragment, job.extra.get("edition_targets", {}), paper.slug,
                                                              lambda slug: edition_names(slug)["pdf"], prefix=public + "/",
                                                              page=page)
                    return edition_body.absolute_links(fragment, page, unresolved)

                pdf_doc = _adapted(doc, functools.partial(edition_body.for_pdf, doc, paper, opts.notes, job.site.url,
                                                          result.problems), pdf_links)
                if pdf_child is not None:
                    pdf_child.start(_write_pdf, job.paper, pdf_doc, out_dir, pdf_opts, pdf_doc.body_html,
                                    memory_mb=opts.memory_mb, timeout=opts.timeout)
                    if "epub" in job.formats:  # meanwhile: the EPUB's cover (the rest needs the PDF's page map)
                        epub_cover = epub_edition.cover_image(paper, doc)
                    path, pages, starts, pdf_warnings = pdf_child.result(
                        what="WeasyPrint", file=paper.rel_source, timeout=opts.timeout, partials_in=out_dir)
                else:
                    path, pages, starts, pdf_warnings = typeset_pdf(job, pdf_doc, out_dir, pdf_opts, pdf_doc.body_html)
                page_starts.extend(starts)
                result.problems.extend(pdf_warnings)
                result.editions.append(Edition(paper.slug, "pdf", path, pages=pages))
            except Exception as exc:  # one edition's failure leaves the others built
                edition_failed(result, "pdf", exc, job.debug)
        if "epub" in job.formats:
            try:
                epub_opts = epub_edition.options(job.site, modified, page_starts, names["pdf"] if "pdf" in job.formats
                                                 and "pdf" not in result.incomplete else "", job.page_size)
                if epub_cover:
                    epub_opts.cover_image, epub_opts.cover_media_type = epub_cover
                epub_doc = _adapted(doc, functools.partial(edition_body.for_epub, doc, paper, job.site.url),
                                    lambda fragment: edition_body.absolute_links(fragment, page, unresolved))
                path = epub_edition.write(paper, epub_doc, out_dir, epub_opts)
                result.problems.extend(epub_opts.warnings)
                result.editions.append(Edition(paper.slug, "epub", path))
            except Exception as exc:  # one edition's failure leaves the others built
                edition_failed(result, "epub", exc, job.debug)
        for href in unresolved:
            result.problems.append(Problem(
                paper.rel_source, source_line(paper, f"]({href}", f'"{href}"', href),
                f"link '{href}' is relative to the post's page on the website, whose address is not known; "
                "it is plain text in the PDF and EPUB", "set url: (and baseurl:) in _config.yml, or write the "
                "full address", severity="warning"))
        for e in result.editions:
            sizes[e.format] = e.path.stat().st_size
        sizes.update({f: e.size for f, e in job.reuse.items() if f not in sizes})
        if "html" in job.formats:
            try:
                def html_links(fragment: str) -> str:
                    return edition_body.link_editions(edition_body.absolute_links(fragment, page),
                                                      job.extra.get("edition_targets", {}), paper.slug,
                                                      lambda slug: "index.html")

                html_doc = _adapted(doc, functools.partial(edition_body.for_html, doc, paper, out_dir, opts.sidenotes),
                                    html_links)
                html_doc = safety.apply_html_policy(html_doc, opts.html_policy)
                path = html_edition.write(paper, html_doc, out_dir, html_extras(job, doc, names, sizes, out_dir))
                result.editions.append(Edition(paper.slug, "html", path))
            except Exception as exc:  # one edition's failure leaves the others built
                edition_failed(result, "html", exc, job.debug)
        if result.incomplete and not result.editions and not job.reuse:
            result.failed = True  # no edition at all: the paper failed, for the reason each edition gave
            result.problems = [dataclasses.replace(p, message=m.group(1)) if (m := EDITION_FAILED.fullmatch(p.message))
                               else p for p in result.problems]
        for e in result.editions:
            e.size = e.path.stat().st_size
            e.sha256 = sha256_file(e.path)
        result.editions = sorted(result.editions + list(job.reuse.values()), key=lambda e: FORMAT_ORDER.index(e.format))
        card = dataclasses.replace(doc, summary_html=edition_body.card_summary(doc.summary_html, page))
        result.summary = catalog.entry(paper, card, result.editions, job.out_dir)
    except InputError as exc:
        result.failed = True
        result.problems.append(exc.problem)
    except Exception as exc:  # one paper never stops the others
        result.failed = True
        result.problems.append(isolation.problem_from(exc, paper.rel_source, job.debug))
    result.seconds = time.perf_counter() - started
    result.peak_rss = peak_rss()
    return result


EDITION_FAILED = re.compile(r"the (?:PDF|EPUB|HTML) edition was not built: (.*); the other editions were built", re.S)


def edition_failed(result: PaperResult, fmt: str, exc: Exception, debug: bool = False) -> None:
    """Record that the FMT edition of RESULT's paper could not be made (the other editions are still
    built; the build's exit status is 1). A full disk is not one edition's problem: it is raised again."""
    problem = exc.problem if isinstance(exc, InputError) else isolation.problem_from(exc, result.rel_source, debug)
    if isolation.write_failed([problem]):
        raise exc
    result.incomplete.append(fmt)
    result.problems.append(dataclasses.replace(problem, message=f"the {fmt.upper()} edition was not built: "
                                               f"{problem.message}; the other editions were built", severity="error"))


def _adapted(doc, adapt: Callable[..., str], links: Callable[[str], str]):
    """DOC for one edition: its body, summary and author's bio each through ADAPT(html=…) (math,
    images, embeds for that medium) and then LINKS (that edition's link rules)."""
    return dataclasses.replace(doc, body_html=links(adapt()),
                               summary_html=links(adapt(html=doc.summary_html)) if doc.summary_html else "",
                               bio_html=links(adapt(html=doc.bio_html)) if doc.bio_html else "")


def typeset_pdf(job: Job, doc, out_dir: Path, pdf_opts, body_html: str) -> tuple[Path, int, list, list]:
    """The PDF edition, typeset by WeasyPrint in a child process with a time limit and a memory guard
    (publisher/isolation.py); returns (path, pages, page starts for the EPUB's page-list, warnings)."""
    _warming.wait()  # the warm-up thread run() may have started is done
    pdf_edition.warm(pdf_opts, job.paper)  # parsed once here; the forked child inherits them warm
    opts = job.site.options
    return isolation.call(_write_pdf, job.paper, doc, out_dir, pdf_opts, body_html, what="WeasyPrint",
                          file=job.paper.rel_source, timeout=opts.timeout, memory_mb=opts.memory_mb,
                          partials_in=out_dir)


def _write_pdf(paper: Paper, doc, out_dir: Path, pdf_opts, body_html: str) -> tuple[Path, int, list, list]:
    starts: list = []
    warnings: list = []
    path, pages = pdf_edition.write(paper, doc, out_dir, pdf_opts, body_html=body_html, page_starts=starts,
                                    problems=warnings)
    return path, pages, starts, warnings


def peak_rss() -> int:
    """Peak resident memory, in bytes, of this process or of the largest child it waited for (the
    isolated WeasyPrint run, pandoc), whichever is larger. Linux reports kB."""
    import resource

    return max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)) * 1024


def _warm_worker(page_size: str = "A4", lang: str = "en") -> None:
    """A pool worker's initializer (and the typesetter forked ahead): leave quietly on Ctrl-C, warm up."""
    isolation.quiet_worker()
    _warm_up(page_size, lang)


_warmed: set[tuple[str, str]] = set()  # (page size, language) this process has typeset its warm-up page for


def _warm_up(page_size: str = "A4", lang: str = "en") -> None:
    """Make this process ready to typeset: import WeasyPrint, load the fonts, parse the stylesheets
    and typeset a short page once, so every paper after it (and the child each PDF is typeset in,
    which inherits this process) finds fonts, the LANG hyphenation dictionary and layout caches warm."""
    pdf_opts = pdf_edition.PdfOptions(page_size=page_size)
    pdf_edition.warm(pdf_opts)
    if (page_size, lang) in _warmed:
        return
    try:
        pdf_edition.render_pdf(*_warm_up_page(lang), pdf_opts)
    except Exception:  # only an optimisation: the real papers report their own problems
        pass
    _warmed.add((page_size, lang))


def _warm_up_page(lang: str = "en"):
    """A short paper, document and body to typeset once per worker: every face of the house style
    (roman, italic, bold, display, mono, small capitals), a note, a table and lines long enough to be
    justified and hyphenated."""
    import datetime as dt

    from .model import Document, Heading

    paper = Paper(source=Path("warm-up.md").resolve(), rel_source="warm-up.md", slug="warm-up", title="Warm-up",
                  date=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), url="/warm-up.html", body="", lang=lang)
    words = ("Internationalisation, documentation and administrative responsibilities are "
             "characteristically interdependent considerations. ")
    body = ('<section class="level2"><h2 id="warm">Warm-up</h2>'
            f'<p>A <em>short</em> paragraph with <strong>strong</strong> words, <span class="caps">NATO</span>, '
            f'<code>code</code> and a <a href="#warm">link</a>.<span class="footnote">A note.</span> {words * 4}</p>'
            f'<blockquote><p>{words}</p></blockquote>'
            '<table><thead><tr><th>Year</th><th>Count</th></tr></thead><tbody><tr><td>2000</td><td>12</td></tr>'
            '</tbody></table></section>')
    doc = Document(body_html=body, title_html="Warm-up", title_text="Warm-up",
                   headings=[Heading(2, "warm", "Warm-up", "Warm-up")])
    return paper, doc, body


_warming = threading.Event()  # cleared while a warm-up thread runs; typeset_pdf() waits for it
_warming.set()


def warm_in_background(page_size: str, lang: str) -> None:
    """Warm this process up (_warm_up) in a thread: WeasyPrint, fonts, stylesheets, the warm-up page.
    A long-lived process (`serve`) does it once, so the children its later builds fork for their
    PDFs start warm. Forks wait for it (typeset_pdf, build, run)."""
    if (page_size, lang) in _warmed and _warming.is_set():
        return
    _warming.clear()
    threading.Thread(target=_warm_in_background, args=(page_size, lang), daemon=True).start()


def _warm_in_background(page_size: str, lang: str) -> None:
    try:
        _warm_up(page_size, lang)
    except Exception:  # only an optimisation: the PDF step reports its own problems
        pass
    finally:
        _warming.set()


def build(opts: BuildOptions, progress: Progress | None = None) -> BuildReport:
    """Build every selected paper under opts.source into opts.out; returns the report."""
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
            pdf_child = isolation.Child(_warm_worker, page_size, site.lang)
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
    extra = {"self_contained": opts.self_contained, "print": opts.print_ready, "pdf_variant": opts.pdf_variant,
             "page_size_forced": bool(opts.page_size)}
    ctx = cache.context(site, state, page_size, extra)

    # discover → read → normalize (unchanged posts come back from the cache without being parsed)
    memo = ParseMemo(state, ctx.parse, root)
    papers, failed, problems = collect(site, opts, memo)
    memo.finish()
    from .editions.body import edition_targets, linked_posts

    # links between papers (every paper of the site, whatever the shard): {% post_url %} and {% link %}
    # targets are dependencies already; links written by hand to another post become dependencies too
    targets = edition_targets(papers, site.url, site.baseurl)
    slug_of = {p.rel_source: p.slug for p in papers}
    source_of = {p.slug: p.rel_source for p in papers}
    for paper in papers:
        paper.dependencies += [source_of[s] for s in linked_posts(paper, targets, site.url, site.baseurl)
                               if source_of[s] not in paper.dependencies]
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
    jobs, results, inputs = plan(papers, out, site, state, ctx, formats, page_size, opts.debug, extra)
    for job in jobs:  # each job carries only the papers its post links to (they are its dependencies)
        linked = {slug_of[d] for d in job.paper.dependencies if d in slug_of}
        job.extra["edition_targets"] = {url: slug for url, slug in targets.items() if slug in linked}
    for job in jobs:
        job.extra["versions"] = language_versions.get(job.paper.slug, [])
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
    volume_results, volume_inputs = build_volumes(site, all_papers, out, state, ctx, formats, page_size, extra,
                                                  opts.shard, opts.volume, opts.volume_title, opts.debug, done,
                                                  blocked=any(isolation.write_failed(r.problems) for r in report.papers))
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


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether the paper NAME (its slug) is in shard K of N: a stable split by the hash of the slug."""
    if not shard:
        return True
    k, n = shard
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) % n == k - 1


def plan(papers: list[Paper], out: Path, site: config.SiteConfig, state: State, ctx: cache.Context,
         formats: list[str], page_size: str, debug: bool, extra: dict):
    """The cache check, without pandoc or WeasyPrint: returns the jobs (editions to make), the
    results of papers whose editions are all unchanged, and each paper's keys and dependencies."""
    jobs: list[Job] = []
    cached: list[PaperResult] = []
    inputs: dict[str, dict] = {}
    for paper in papers:
        keys = cache.keys_for(paper, site, state, ctx, formats)
        inputs[paper.slug] = {"keys": keys, "dependencies": cache.dependency_hashes(paper, site.root, state.hashes)}
        reuse = {f: rec for f in formats if (rec := state.unchanged(paper.slug, f, keys[f]))}
        if len(reuse) == len(formats):
            cached.append(cached_result(paper, out, state, reuse))
            continue
        if "epub" not in reuse and "epub" in formats:
            reuse.pop("pdf", None)  # the EPUB's page-list is read off the PDF as it is typeset
        if "pdf" in formats and "pdf" not in state.papers.get(paper.slug, {}).get("editions", {}):
            reuse.pop("epub", None)  # the PDF failed last time: the EPUB gets its page-list with the new one
        stale = [f for f in formats if f not in reuse]
        kept = {f: _edition(paper.slug, f, out, rec, cached=True) for f, rec in reuse.items()}
        jobs.append(Job(paper, out, stale, site, page_size, debug, extra=dict(extra), reuse=kept))
    return jobs, cached, inputs


def _edition(slug: str, fmt: str, out: Path, rec: dict, cached: bool = False) -> Edition:
    return Edition(slug, fmt, out / rec["path"], size=rec["size"], sha256=rec["sha256"], pages=rec.get("pages", 0),
                   cached=cached)


def cached_result(paper: Paper, out: Path, state: State, recs: dict[str, dict]) -> PaperResult:
    """A paper served from the cache: its editions, catalog entry and warnings as last built."""
    old = state.papers[paper.slug]
    editions = [_edition(paper.slug, f, out, recs[f], cached=True) for f in FORMAT_ORDER if f in recs]
    return PaperResult(paper.rel_source, slug=paper.slug, title=paper.title, editions=editions,
                       problems=[Problem(**p) for p in old.get("problems", [])], summary=old["summary"])


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


def remove_stale(out: Path, state: State, built: list[PaperResult], failed: list[PaperResult]) -> list[str]:
    """Remove the folders of papers no longer published: post removed, or failed with no earlier good edition.

    BUILT includes the failed papers whose previous editions are kept (see previous_editions).
    """
    keep = {r.slug for r in built}
    stale = (set(state.papers) | {r.slug for r in failed if r.slug}) - keep
    return remove_paper_dirs(out, sorted(stale))


def previous_editions(out: Path, state: State, failed: list[PaperResult], built: list[PaperResult]) -> list[PaperResult]:
    """A paper that fails this time keeps its last good editions in OUT: a bad edit never unpublishes a paper.

    The failure is still reported (exit status 1); the editions, catalog entry and manifest stay as they were,
    with sizes and hashes read from the files, and the next build tries the paper again.
    """
    done = {r.slug for r in built}
    kept = []
    for r in failed:
        slug = r.slug or next((s for s, rec in state.papers.items() if rec.get("source") == r.rel_source), "")
        rec = state.papers.get(slug)
        if not slug or slug in done or not rec or rec.get("source") != r.rel_source:
            continue
        editions = [_edition(slug, f, out, rec["editions"][f], cached=True) for f in FORMAT_ORDER
                    if f in rec.get("editions", {})]
        if not editions or not all(e.path.is_file() for e in editions):
            continue
        for e in editions:
            e.size, e.sha256 = e.path.stat().st_size, sha256_file(e.path)
        summary = dict(rec["summary"])
        summary["editions"] = {**summary.get("editions", {}),
                               **{e.format: {**summary.get("editions", {}).get(e.format, {}), "size": e.size,
                                             "sha256": e.sha256} for e in editions}}
        kept.append(PaperResult(r.rel_source, slug=slug, title=rec["summary"].get("title", ""), editions=editions,
                                summary=summary))
        done.add(slug)
    return kept


def write_site(out: Path, site: config.SiteConfig, built: list[PaperResult], tools: dict) -> None:
    """The whole-site files: catalog, feeds and manifest (build and merge both end here)."""
    from . import catalog, feeds

    catalog.write(out, site, built)
    feeds.write(out, site, built)
    atomic_json(out / "manifest.json", catalog.manifest(site, built, out, tools))


def record(state: State, root: Path, built: list[PaperResult], inputs: dict[str, dict]) -> None:
    """Save what OUT now holds, with the keys it was built from, for the next build."""
    papers = {}
    for r in built:
        keys = inputs.get(r.slug, {}).get("keys", {})
        old = state.papers.get(r.slug, {}).get("editions", {})
        papers[r.slug] = {
            "source": r.rel_source,
            "summary": r.summary,
            "problems": [dataclasses.asdict(p) for p in r.problems],
            "editions": {e.format: _kept(old.get(e.format), e, keys.get(e.format, "")) or
                         {"key": keys.get(e.format, ""), "path": e.path.relative_to(state.out).as_posix(),
                          "size": e.size, "sha256": e.sha256, "pages": e.pages,
                          "sig": cache.stat_sig(e.path)} for e in r.editions},
        }
    state.papers = papers
    state.source = str(root)
    state.save()


def _kept(rec: dict | None, e: Edition, key: str) -> dict | None:
    """The record of an edition served from the cache, as it was (its file was checked against its
    size and mtime in plan()): at archive scale, a no-op build then neither stats nor re-derives
    the path of 20,000 editions a second time."""
    if rec and e.cached and key and rec.get("key") == key and rec.get("sha256") == e.sha256 \
            and rec.get("size") == e.size and rec.get("pages", 0) == e.pages:
        return rec
    return None


def list_papers(opts: BuildOptions, memo_from: Path | None = None) -> tuple[list[Paper], list[PaperResult], list[Problem]]:
    """The papers `build` would build, without building them. MEMO_FROM: the OUT of a build of this
    site, whose parse memo gives back the unchanged posts without parsing them (read, never written)."""
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
