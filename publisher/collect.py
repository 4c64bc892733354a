"""discover → read → normalize: the papers a build makes, the posts that failed, site-level warnings."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from . import config, discover, frontmatter
from .cache import ParseMemo, stat_sig
from .model import InputError, Paper, PaperResult, Problem

if TYPE_CHECKING:
    from .build import BuildOptions


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

