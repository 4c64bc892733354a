"""Per-paper assembly: one paper's document rendered once, then its PDF, EPUB and HTML page made
from it (each edition's failure leaves the others built), with the page's links and citation files."""
from __future__ import annotations

import dataclasses
import functools
import re
import time
from pathlib import Path
from typing import Callable

from .. import config, documents, isolation
from ..dist import sha256_file
from ..model import Edition, InputError, Paper, PaperResult, Problem
from ..planning import FORMAT_ORDER, Job
from . import pdf as pdf_edition
from .common import edition_names
from .pdf_warmup import _warming

# The stages after "read" (Liquid, pandoc, the editions, the catalog) are imported where they are
# used: a build forks its PDF typesetter before importing them (they load while it warms up), and a
# build with nothing to do never imports them.


def _user_filters(site: config.SiteConfig) -> list[Path]:
    return [(site.root / f) if not Path(f).is_absolute() else Path(f) for f in site.options.filters]


def render_paper(paper: Paper, site: config.SiteConfig):
    """PAPER's one pandoc pass with the site's options (its Document, before its images are resolved)."""
    from .. import render

    opts = site.options
    return render.render(paper, _user_filters(site), italic_quotes=opts.italic_quotes, timeout=opts.timeout,
                         memory_mb=opts.memory_mb, list_of_figures=opts.list_of_figures,
                         list_of_tables=opts.list_of_tables)


def html_extras(job: Job, doc, names: dict[str, str], sizes: dict[str, int], out_dir: Path):
    """The HTML page's links (editions with sizes, citation files) and discovery metadata."""
    from .. import catalog, cite
    from . import html as html_edition

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
    extras.self_contained = job.options.self_contained
    extras.index_see_also = dict(job.site.options.index_see_also)  # subject index (issue 17)
    for v in job.versions:  # language versions (publisher/multilingual.py)
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
    from .. import catalog, links, safety
    from . import body as edition_body
    from . import edition_links
    from . import epub as epub_edition
    from . import html as html_edition
    from ..assets import source_line
    from ..jekyll.dates import source_date_epoch

    paper = job.paper
    result = PaperResult(paper.rel_source, slug=paper.slug, title=paper.title, problems=list(paper.warnings))
    started = time.perf_counter()
    opts = job.site.options
    try:
        doc = render_paper(paper, job.site)
        kept = None  # a volume member: the volume is assembled from this pass (recorded before prepare(),
        if job.document_key:  # written once the paper's editions are, so a failed build changes nothing)
            kept = documents.record(paper.slug, job.document_key, doc)
        if {"epub", "pdf"} & set(job.formats) or opts.html_policy == "untrusted":
            result.problems.extend(safety.raw_html_warnings(doc.body_html, paper.body, paper.rel_source,
                                                            paper.body_line, opts.html_policy))
        edition_body.prepare(paper, doc, job.site, job.out_dir.parent / ".cache" / "publisher" / "remote")
        result.problems.extend(doc.warnings)
        names = edition_names(paper.slug)
        out_dir = job.out_dir / paper.slug
        modified = source_date_epoch()
        sizes: dict[str, int] = {}
        page = links.page_address(paper, job.site.url, job.site.baseurl)  # relative links are relative to it
        unresolved: list[str] = []  # relative links the PDF and EPUB cannot resolve (no `url:`)
        page_starts: list = []  # where each PDF page begins, for the EPUB's page-list
        epub_cover = None  # (bytes, media type), when made while the PDF is typeset
        html_doc = None

        def write_html(sizes: dict[str, int]) -> Path:
            nonlocal html_doc
            if html_doc is None:
                def html_links(root) -> None:
                    edition_links.html_links(root, page, job.edition_targets, paper.slug)

                adapted = _adapted(doc, functools.partial(edition_body.for_html, doc, paper, out_dir, opts.sidenotes,
                                                          links=html_links))
                html_doc = safety.apply_html_policy(adapted, opts.html_policy)  # kept only once the policy applied
            return html_edition.write(paper, html_doc, out_dir, html_extras(job, doc, names, sizes, out_dir))

        early = job.options.html_first and "html" in job.formats and len(job.formats) > 1
        if early and not (pdf_child is not None and "pdf" in job.formats):
            html_first(write_html, job)
        if "pdf" in job.formats:
            try:
                pdf_opts = pdf_edition.PdfOptions(page_size=job.page_size, roots=(job.site.root,), network=opts.network,
                                                  allowed_hosts=tuple(opts.allowed_hosts), timeout=opts.timeout,
                                                  modified=modified, **pdf_edition.press_options(opts, job.options))
                public = catalog.editions_url(job.site)  # a PDF needs absolute links (relative ones become file: URLs)

                def pdf_links(root) -> None:
                    edition_links.pdf_links(root, page, unresolved, job.edition_targets if public else {},
                                            paper.slug, lambda slug: edition_names(slug)["pdf"], public + "/")

                words: list[int] = []
                pdf_doc = _adapted(doc, functools.partial(edition_body.for_pdf, doc, paper, opts.notes, job.site.url,
                                                          result.problems, links=pdf_links, words=words))
                pdf_opts.words = words[0]
                if pdf_child is not None:
                    pdf_child.start(_write_pdf, job.paper, pdf_doc, out_dir, pdf_opts, pdf_doc.body_html,
                                    memory_mb=opts.memory_mb, timeout=opts.timeout)
                    if early:  # while the PDF is typeset
                        html_first(write_html, job)
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
                epub_doc = _adapted(doc, functools.partial(
                    edition_body.for_epub, doc, paper, job.site.url,
                    links=lambda root: edition_links.absolutize(root, page, unresolved)))
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
            try:  # (written again, when html_first wrote it, only if a size it shows changed)
                result.editions.append(Edition(paper.slug, "html", write_html(sizes)))
            except Exception as exc:  # one edition's failure leaves the others built
                edition_failed(result, "html", exc, job.debug)
        if result.incomplete and not result.editions and not job.reuse:
            result.failed = True  # no edition at all: the paper failed, for the reason each edition gave
            result.problems = [dataclasses.replace(p, message=m.group(1)) if (m := EDITION_FAILED.fullmatch(p.message))
                               else p for p in result.problems]
        for e in result.editions:
            e.size = e.path.stat().st_size
            e.sha256 = sha256_file(e.path)
        if kept is not None and not result.failed and not result.incomplete:
            documents.write(job.out_dir, paper.slug, kept)
        result.editions = sorted(result.editions + list(job.reuse.values()), key=lambda e: FORMAT_ORDER.index(e.format))
        card = dataclasses.replace(doc, summary_html=edition_links.card_summary(doc.summary_html, page))
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


def html_first(write_html: Callable[[dict[str, int]], Path], job: Job) -> None:
    """serve: the paper's HTML page before its PDF and EPUB, showing the sizes they had in the last
    build. A failure here is reported when the page is written at the end, as in any build."""
    try:
        write_html({**{f: n for f, n in job.sizes_before.items() if f in job.formats},
                    **{f: e.size for f, e in job.reuse.items()}})
    except Exception:  # noqa: S110 - the final write reports it
        pass


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


def _adapted(doc, adapt: Callable[..., str]):
    """DOC for one edition: its body, summary and author's bio each through ADAPT(part=…) (one of
    body.for_pdf / for_epub / for_html with that edition's link rules: math, images, embeds and links
    for that medium, on one parse of each fragment)."""
    return dataclasses.replace(doc, body_html=adapt(part="body"),
                               summary_html=adapt(part="summary") if doc.summary_html else "",
                               bio_html=adapt(part="bio") if doc.bio_html else "")


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

