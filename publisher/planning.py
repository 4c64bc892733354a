"""Planning and recording: which editions a build must make (the cache check, the jobs) and what
OUT holds afterwards (the build record, stale folders, the editions a failed paper keeps)."""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, config
from .cache import State
from .dist import remove_paper_dirs, sha256_file
from .model import Edition, Paper, PaperResult, Problem

FORMAT_ORDER = ["pdf", "epub", "html"]  # the order editions are built in (each may use the ones before)


@dataclass
class JobOptions:
    """The command line's options that shape a paper's editions, the same for every paper of a build.
    They are part of every edition's cache key (cache_key())."""

    self_contained: bool = False  # --self-contained: the HTML page with images and fonts inlined
    print_ready: bool = False  # --print: the PDF for the press
    pdf_variant: str | None = None  # --pdf-variant (None: the config's)
    page_size_forced: bool = False  # --page-size given: it wins over a post's own page size
    html_first: bool = False  # serve: each paper's HTML page before its PDF and EPUB (the result is the same)

    def cache_key(self) -> dict:
        """The options as the edition keys hash them (the names the keys have always used)."""
        return {"self_contained": self.self_contained, "print": self.print_ready, "pdf_variant": self.pdf_variant,
                "page_size_forced": self.page_size_forced}


@dataclass
class Job:
    """Everything a worker needs to build one paper (picklable)."""

    paper: Paper
    out_dir: Path
    formats: list[str]
    site: config.SiteConfig
    page_size: str
    debug: bool = False
    options: JobOptions = field(default_factory=JobOptions)
    reuse: dict[str, Edition] = field(default_factory=dict)  # editions kept from the last build (cache hits)
    edition_targets: dict[str, str] = field(default_factory=dict)  # URL → slug of the papers this post links to
    versions: list = field(default_factory=list)  # its language versions (publisher/multilingual.py)
    sizes_before: dict[str, int] = field(default_factory=dict)  # format → size of the edition last built
    document_key: str = ""  # a volume member: keep its pandoc pass under this key (publisher/documents.py)


def in_shard(name: str, shard: tuple[int, int] | None) -> bool:
    """Whether the paper NAME (its slug) is in shard K of N: a stable split by the hash of the slug."""
    if not shard:
        return True
    k, n = shard
    return int(hashlib.sha256(name.encode("utf-8")).hexdigest()[:8], 16) % n == k - 1


def plan(papers: list[Paper], out: Path, site: config.SiteConfig, state: State, ctx: cache.Context,
         formats: list[str], page_size: str, debug: bool, options: JobOptions):
    """The cache check, without pandoc or WeasyPrint: returns the jobs (editions to make), the
    results of papers whose editions are all unchanged, and each paper's keys and dependencies."""
    jobs: list[Job] = []
    cached: list[PaperResult] = []
    inputs: dict[str, dict] = {}
    for paper in papers:
        keys = edition_keys(paper, site, state, ctx, formats)
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
        kept = {f: edition_from_record(paper.slug, f, out, rec, cached=True) for f, rec in reuse.items()}
        before = {f: rec["size"] for f, rec in state.papers.get(paper.slug, {}).get("editions", {}).items()}
        jobs.append(Job(paper, out, stale, site, page_size, debug, options=options, reuse=kept, sizes_before=before))
    return jobs, cached, inputs


def edition_keys(paper: Paper, site: config.SiteConfig, state: State, ctx: cache.Context,
                 formats: list[str]) -> dict[str, str]:
    """The cache keys of PAPER's editions: its post, dependencies, the build's context and the local
    images the post shows."""
    from .assets import local_dependencies

    images = local_dependencies(paper, site.root, getattr(site, "baseurl", ""))
    return cache.keys_for(paper, site, state, ctx, formats, images)


def edition_from_record(slug: str, fmt: str, out: Path, rec: dict, cached: bool = False) -> Edition:
    """The edition FMT of paper SLUG as the build record REC describes it (a file in OUT)."""
    return Edition(slug, fmt, out / rec["path"], size=rec["size"], sha256=rec["sha256"], pages=rec.get("pages", 0),
                   cached=cached)


def cached_result(paper: Paper, out: Path, state: State, recs: dict[str, dict]) -> PaperResult:
    """A paper served from the cache: its editions, catalog entry and warnings as last built."""
    old = state.papers[paper.slug]
    editions = [edition_from_record(paper.slug, f, out, recs[f], cached=True) for f in FORMAT_ORDER if f in recs]
    return PaperResult(paper.rel_source, slug=paper.slug, title=paper.title, editions=editions,
                       problems=[Problem(**p) for p in old.get("problems", [])], summary=old["summary"])


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
        editions = [edition_from_record(slug, f, out, rec["editions"][f], cached=True) for f in FORMAT_ORDER
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

