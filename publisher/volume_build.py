"""The volume stage of build() (issue 17): after the papers, each volume of the config (and the
one-off `--volume`) is assembled into `OUT/volumes/<slug>/` as a PDF, an EPUB and a page.

A volume is one record of the build state, under the key `volumes/<slug>`, with edition keys made
of the volume's declaration and its members' edition keys: it is rebuilt when a member, its
selection or the config changes, and otherwise taken from the cache. With `--shard K/N` a volume
is built in the one shard its key falls in (every shard sees every paper). Its catalog entry is
an ordinary one (kind: volume), so the catalog, the feeds (an OPDS acquisition entry) and the
manifest list it, and `publisher merge` copies it like a paper folder."""
from __future__ import annotations

import functools
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, config, isolation
from .cache import State
from .dist import sha256_file
from .model import Edition, InputError, Paper, PaperResult, Problem
from .volumes import FOLDER, Volume, from_command_line, members

FORMAT_ORDER = ["pdf", "epub", "html"]


def declared(site: config.SiteConfig, one_off: tuple = (None, None, None)) -> list[Volume]:
    """The volumes to build: the config's, and the command line's one-off volume (ONE_OFF: its
    selection, title and bibliography, as --volume, --volume-title and --volume-bibliography give them)."""
    found = list(site.options.volumes)
    selection, title, bibliography = one_off
    if selection:
        one = from_command_line(selection, title, bibliography)
        found = [v for v in found if v.slug != one.slug] + [one]
    return found


def member_slugs(site: config.SiteConfig, papers: list[Paper], one_off: tuple = (None, None, None),
                 shard=None) -> set[str]:
    """The slugs of the papers that are in a volume this shard builds (their pandoc pass is kept)."""
    from .planning import in_shard

    found: set[str] = set()
    for volume in declared(site, one_off):
        if in_shard(volume.key, shard):
            found.update(p.slug for p in members(volume, papers)[0])
    return found


def volume_keys(volume: Volume, chosen: list[Paper], site, state: State, ctx: cache.Context,
                formats: list[str]) -> dict[str, str]:
    """The volume's edition keys: its declaration, its members' keys (all formats) and its cover."""
    from .planning import edition_keys

    member_keys = [[p.slug, edition_keys(p, site, state, ctx, formats)] for p in chosen]
    cover = ""
    if volume.cover:
        from .safety import inside

        path = (site.root / volume.cover.lstrip("/")).resolve()
        cover = state.hashes.sha(path) if path.is_file() and inside(path, [site.root]) else ""  # nothing outside
    base = cache.digest(ctx.base, "volume", volume.declaration(), member_keys, cover)
    return cache.edition_keys(base, formats, ctx.options)


def _edition(key: str, fmt: str, out: Path, rec: dict) -> Edition:
    return Edition(key, fmt, out / rec["path"], size=rec["size"], sha256=rec["sha256"], pages=rec.get("pages", 0),
                   cached=True)


def build_volumes(site: config.SiteConfig, papers: list[Paper], out: Path, state: State, ctx: cache.Context,
                  formats: list[str], page_size: str, job_options, shard, one_off: tuple = (None, None, None),
                  debug: bool = False, done=None,
                  blocked: bool = False) -> tuple[list[PaperResult], dict]:
    """Build (or take from the cache) every volume in this shard. PAPERS: every paper of the site.
    Returns the results (catalog entries with kind: volume) and their keys for the build record.
    BLOCKED: OUT could not be written (a full disk): no volume is made, the previous ones are kept."""
    from .planning import in_shard

    results: list[PaperResult] = []
    inputs: dict[str, dict] = {}
    volumes = declared(site, one_off)
    rendered: dict[str, object] = {}  # slug → its document (images resolved), read once for all the volumes
    clash = next((p for p in papers if p.slug == FOLDER), None)  # a paper whose folder would be OUT/volumes/
    for volume in volumes:
        if not in_shard(volume.key, shard):
            continue
        chosen, problems = members(volume, papers)
        if blocked:
            problems.append(Problem(volume.file, volume.line, f"volume '{volume.slug}' not built: the output folder "
                                    "could not be written for the papers", "free some disk space or make the output "
                                    "folder writable; the previous edition of the volume was kept"))
            r = PaperResult(volume.file, slug=volume.key, title=volume.title, problems=problems, failed=True)
        elif not chosen:
            problems.append(Problem(volume.file, volume.line, f"volume '{volume.slug}' has no papers; not built",
                                    "check its select: or papers: against `publisher list`"))
            r = PaperResult(volume.file, slug=volume.key, title=volume.title, problems=problems, failed=True)
        else:
            keys = volume_keys(volume, chosen, site, state, ctx, formats)
            inputs[volume.key] = {"keys": keys, "dependencies": []}
            reuse = {f: rec for f in formats if (rec := state.unchanged(volume.key, f, keys[f]))}
            if len(reuse) == len(formats) and state.papers.get(volume.key, {}).get("summary"):
                old = state.papers[volume.key]
                r = PaperResult(volume.file, slug=volume.key, title=volume.title,
                                editions=[_edition(volume.key, f, out, reuse[f]) for f in FORMAT_ORDER if f in reuse],
                                problems=[Problem(**p) for p in old.get("problems", [])], summary=old["summary"])
            else:
                r = build_volume(volume, chosen, site, out, formats, page_size, job_options, debug,
                                 MemberPasses(rendered, {p.slug: cache.render_key(p, site, state, ctx) for p in chosen}))
                r.problems[:0] = problems
        if clash:
            r.problems.append(Problem(clash.rel_source, None, f"the paper's slug '{FOLDER}' is the folder of the "
                                      "volumes; its editions and the volumes share OUT/volumes/",
                                      "give the post another slug: in its front matter", severity="warning"))
        results.append(r)
        if done:
            done(r)
    remove_stale_volumes(out, state, {v.key for v in volumes})
    return results, inputs


def remove_stale_volumes(out: Path, state: State, current: set[str]) -> list[str]:
    """Remove `OUT/volumes/<slug>/` of volumes no longer declared (that this shard built)."""
    removed = []
    for key in sorted(state.papers):
        if key.startswith(FOLDER + "/") and key not in current:
            folder = out / key
            if folder.is_dir() and folder.resolve().parent == (out / FOLDER).resolve():
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(key)
    return removed


@dataclass
class MemberPasses:
    """Where the members' documents come from: RENDERED, the documents already read for another volume
    of this build (slug → Document, images resolved); KEYS, each member's render key, under which its
    own build kept its pandoc pass (publisher/documents.py)."""

    rendered: dict = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)


def member_document(paper: Paper, site: config.SiteConfig, out: Path, passes: MemberPasses):
    """PAPER's document: the one its own build kept, or (kept by no build: another shard's paper, an
    older record) a pandoc pass now, kept in turn. Images are resolved; InputError when it fails."""
    from . import documents
    from .editions import body as edition_body
    from .editions.assemble import render_paper

    doc = passes.rendered.get(paper.slug)
    if doc is not None:
        return doc
    key = passes.keys.get(paper.slug, "")
    doc = documents.load(out, paper.slug, key) if key else None
    if doc is None:
        doc = render_paper(paper, site)
        if key:
            documents.save(out, paper.slug, key, doc)
    edition_body.prepare(paper, doc, site, out / ".cache" / "publisher" / "remote")
    passes.rendered[paper.slug] = doc
    return doc


def member_documents(chosen: list[Paper], site: config.SiteConfig, out: Path, problems: list[Problem],
                     passes: MemberPasses | None = None, references=None):
    """Each member's document (its own build's pandoc pass, see member_document), with its ids
    prefixed and its bodies adapted for the PDF and the EPUB; papers that fail are reported and
    left out. REFERENCES (a volume bibliography, bibliography.Gathered): each member's reference
    list is taken out of its bodies and gathered there."""
    from .volume_editions.bibliography import take_references
    from .editions.assemble import _adapted
    from .editions.edition_links import absolutize
    from .links import page_address
    from .editions import body as edition_body
    from .volume_editions.ids import prefix_document
    from .volume_editions.member import Member

    opts = site.options
    passes = MemberPasses() if passes is None else passes
    found: list[Member] = []
    for paper in chosen:
        try:
            doc = member_document(paper, site, out, passes)
        except InputError as exc:
            problems.append(exc.problem)
            continue
        m = Member(len(found) + 1, paper, doc)
        m.doc = prefix_document(doc, m.prefix, paper.slug)
        page = page_address(paper, site.url, site.baseurl)
        links = functools.partial(absolutize, page=page)
        warnings: list[Problem] = []  # the paper's own build reports them already
        m.pdf = _adapted(m.doc, functools.partial(edition_body.for_pdf, m.doc, paper, opts.notes, site.url,
                                                  warnings, links=links))
        m.epub = _adapted(m.doc, functools.partial(edition_body.for_epub, m.doc, paper, site.url, links=links))
        if references is not None:  # after the adaptation, which would unwrap links to an entry not in the body
            ids = references.ids_of(paper)
            m.doc = take_references(m.doc, m.prefix, ids)[0]
            for medium in ("pdf", "epub"):
                adapted, title, entries = take_references(getattr(m, medium), m.prefix, ids)
                setattr(m, medium, adapted)
                references.lists.setdefault(medium, []).append((title, entries))
        found.append(m)
    return found


def build_volume(volume: Volume, chosen: list[Paper], site: config.SiteConfig, out: Path, formats: list[str],
                 page_size: str, job_options, debug: bool = False, passes: MemberPasses | None = None) -> PaperResult:
    """Build one volume's editions into OUT/volumes/<slug>/. Never raises: problems are in the result.
    PASSES: where the members' documents come from (MemberPasses)."""
    from . import catalog
    from .editions import epub as paper_epub
    from .editions import pdf as paper_pdf
    from .editions.common import edition_names
    from .jekyll.dates import source_date_epoch
    from .volume_editions import epub as volume_epub
    from .volume_editions import html as volume_html
    from .volume_editions import pdf as volume_pdf
    from .volume_editions.member import VolumeInfo, identifier, volume_paper

    started = time.perf_counter()
    result = PaperResult(volume.file, slug=volume.key, title=volume.title)
    opts = site.options
    folder = out / volume.key
    names = edition_names(volume.slug)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        references = one_list(volume, chosen, result.problems)
        ms = member_documents(chosen, site, out, result.problems, passes, references)
        if not ms:
            raise InputError(Problem(volume.file, volume.line, f"volume '{volume.slug}': no member could be rendered"))
        vpaper = volume_paper(volume, ms, site)
        public = catalog.editions_url(site)
        info = VolumeInfo(volume, vpaper, identifier(volume, site.url), formats=list(formats),
                          canonical=f"{public}/{volume.key}/" if public else "",
                          references=merged_references(references, [m.paper for m in ms], opts.timeout))
        modified = source_date_epoch()
        starts: list = []
        sizes: dict[str, int] = {}
        if "pdf" in formats:
            pdf_opts = paper_pdf.PdfOptions(page_size=page_size, roots=(site.root,), network=opts.network,
                                            allowed_hosts=tuple(opts.allowed_hosts), timeout=opts.timeout,
                                            modified=modified, publisher=vpaper.publisher, rights=vpaper.rights,
                                            **paper_pdf.press_options(opts, job_options))
            timeout = opts.timeout * max(1, len(ms))  # a volume is as long as its papers together
            path, pages, page_starts, warnings = isolation.call(
                volume_pdf.write, info, ms, folder / names["pdf"], pdf_opts, what="WeasyPrint",
                file=volume.file, timeout=timeout, memory_mb=opts.memory_mb, partials_in=folder)
            starts.extend(page_starts)
            result.problems.extend(warnings)
            result.editions.append(Edition(volume.key, "pdf", path, pages=pages))
        if "epub" in formats:
            epub_opts = paper_epub.EpubOptions(modified=modified, site_url=site.url, page_starts=list(starts),
                                               page_source=names["pdf"] if starts else "", page_size=page_size,
                                               index_see_also=dict(opts.index_see_also))
            cover = volume_pdf.cover_path(info, (site.root,))
            if cover is not None:
                data = cover.read_bytes()
                if cover.suffix.lower() in (".jpg", ".jpeg"):
                    epub_opts.cover_image, epub_opts.cover_media_type = data, "image/jpeg"
                elif cover.suffix.lower() == ".png":
                    epub_opts.cover_image, epub_opts.cover_media_type = data, "image/png"
            path = volume_epub.write(info, ms, folder / names["epub"], epub_opts)
            result.problems.extend(epub_opts.warnings)
            result.editions.append(Edition(volume.key, "epub", path))
        for e in result.editions:
            sizes[e.format] = e.path.stat().st_size
        if "html" in formats:
            path = volume_html.write(info, ms, folder, sizes, names, dict(opts.index_see_also))
            result.editions.append(Edition(volume.key, "html", path))
        for e in result.editions:
            e.size = e.path.stat().st_size
            e.sha256 = sha256_file(e.path)
        result.editions.sort(key=lambda e: FORMAT_ORDER.index(e.format))
        result.summary = summary(info, ms, result.editions, out)
    except InputError as exc:
        result.failed = True
        result.problems.append(exc.problem)
    except Exception as exc:  # one volume never stops the build
        result.failed = True
        result.problems.append(isolation.problem_from(exc, volume.file, debug))
    result.seconds = time.perf_counter() - started
    return result


def one_list(volume: Volume, chosen: list[Paper], problems: list[Problem]):
    """A bibliography.Gathered to gather the members' reference lists into one (`bibliography:
    volume`), None to leave each paper its own (the default; also with a numeric style, with a warning)."""
    from .volume_editions.bibliography import Gathered, numeric, volume_problem

    if volume.bibliography != "volume":
        return None
    numbered = next((p for p in chosen if p.references and numeric(p)), None)
    if numbered is not None:
        problems.append(volume_problem(volume.file, volume.line, volume.slug, numbered))
        return None
    return Gathered()


def merged_references(references, papers: list[Paper], timeout: float) -> dict:
    """The volume's one reference list for each medium ({} when there is none), in the style's order.
    REFERENCES: the bibliography.Gathered lists, or None."""
    from .volume_editions.bibliography import merge, style_order

    if references is None or not any(entries for _, entries in references.lists.get("pdf", [])):
        return {}
    listed = {ident[4:] for _, entries in references.lists["pdf"] for ident, _ in entries}
    order = style_order(papers, {k: v for k, v in references.items.items() if k in listed}, timeout)
    return {medium: merge(lists, order) for medium, lists in references.lists.items()}


def summary(info, ms, editions: list[Edition], out: Path) -> dict:
    """The volume's catalog and manifest entry (the same shape as a paper's, with kind: volume)."""
    import html

    from .editions.common import display_date
    from .volume_editions.member import editor_line

    v, paper = info.volume, info.paper
    return {
        "source": v.file, "slug": v.key, "title": v.title, "date": paper.date.isoformat(),
        "authors": list(v.editors), "categories": [], "tags": [], "excerpt": v.description,
        "description": v.description, "url": "", "lang": paper.lang, "image": "", "kind": "volume",
        "title_html": html.escape(v.title), "title_text": v.title, "summary_html": "",
        "author_line": editor_line(v), "display_date": display_date(paper.date), "series": "",
        "publisher": paper.publisher, "identifier": info.identifier, "source_sha256": "",
        "members": [m.paper.slug for m in ms],
        "editions": {e.format: {"path": e.path.relative_to(out).as_posix(), "size": e.size, "sha256": e.sha256,
                                **({"pages": e.pages} if e.pages else {})} for e in editions},
    }
