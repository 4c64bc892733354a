"""Data classes handed from stage to stage. This module imports nothing of the project."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, reported as `file:line[:col]: message` plus a hint."""

    file: str
    line: int | None
    message: str
    hint: str = ""
    col: int | None = None
    severity: str = "error"  # "error" or "warning"
    code: str = ""  # a machine-readable kind, for the problems code acts on (WRITE_FAILED)

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
            if self.col:
                where += f":{self.col}"
        text = f"{where}: {self.severity}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


WRITE_FAILED = "write-failed"  # Problem.code: OUT could not take a file (disk full, read-only)


class InputError(Exception):
    """Raised by a stage when a post cannot go on; carries the Problem to report."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Author:
    name: str
    file_as: str = ""
    url: str = ""
    email: str = ""
    bio: str = ""
    role: str = "aut"


@dataclass
class SourceFile:
    """A candidate post found by discovery, before its body is read."""

    path: Path  # absolute
    rel: str  # POSIX path relative to the site root
    kind: str  # "post" or "draft"
    dir_categories: list[str] = field(default_factory=list)


@dataclass
class RawPost:
    """A post's bytes split into front matter mapping and body."""

    source: SourceFile
    meta: dict[str, Any]
    body: str
    body_line: int  # 1-based line in the file where the body starts
    sha256: str = ""


@dataclass
class Paper:
    """The normalized metadata and text of one paper (Jekyll's view of a post)."""

    source: Path
    rel_source: str
    slug: str
    title: str
    date: datetime
    url: str
    body: str  # Markdown handed to pandoc (Liquid and kramdown already resolved)
    body_line: int = 1
    authors: list[Author] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    excerpt: str = ""  # plain text, whitespace collapsed
    excerpt_separator: str = ""
    description: str = ""
    lang: str = "en"
    image: str = ""
    subtitle: str = ""
    series: str = ""
    publisher: str = ""
    rights: str = ""
    identifier: str = ""
    kind: str = "post"
    source_sha256: str = ""
    dependencies: list[str] = field(default_factory=list)  # includes, data files read
    line_map: list[int] = field(default_factory=list)  # body line i (0-based) came from source line line_map[i]
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    # Citations (issue 14): the entries of the paper's reference list (CSL-JSON items), and how pandoc
    # reads and renders citations ({"on": bool, "csl": style path, "title": list title}).
    references: list[dict[str, Any]] = field(default_factory=list)
    citations: dict[str, Any] = field(default_factory=dict)

    @property
    def author_names(self) -> list[str]:
        return [a.name for a in self.authors]


@dataclass(frozen=True)
class Heading:
    level: int
    id: str
    text: str  # plain text
    html: str = ""  # inline HTML of the heading content


@dataclass(frozen=True)
class PageStart:
    """Where one page of the PDF edition begins, so the EPUB can carry a matching page-list."""

    label: str  # the printed page number
    part: str  # "title" (the title page) or "text" (the body and the closing sections)
    tag: str  # the block element the page begins in: p, li, h3, figure ...
    text: str  # the start of that block's text, whitespace collapsed (identifies the block)
    needle: str = ""  # the first words on the page
    offset: int = 0  # where the page begins inside the block's text (characters, whitespace collapsed)


@dataclass
class Asset:
    """An image the paper uses, resolved to bytes for the editions (or not, and why)."""

    src: str  # the reference as it appears in the rendered HTML (src attribute)
    alt: str = ""
    path: Path | None = None  # the local file, when the image is local
    data: bytes = b""  # the image bytes (empty when unavailable)
    media_type: str = ""  # image/png, image/jpeg, image/gif, image/svg+xml, image/webp
    name: str = ""  # file name inside an edition, e.g. "images/chart-1a2b3c4d.png"
    error: str = ""  # why the image is unavailable (then it is shown as a placeholder)
    line: int | None = None  # line in the source post, for messages
    remote: bool = False  # fetched (or refused) from the network, not read from the site

    @property
    def ok(self) -> bool:
        return bool(self.data) and not self.error


@dataclass
class Document:
    """The output of the one pandoc pass: HTML fragments shared by every edition."""

    body_html: str  # the body with <section> divs, notes at the end
    title_html: str
    title_text: str
    subtitle_html: str = ""
    summary_html: str = ""
    bio_html: str = ""
    highlight_css: str = ""
    headings: list[Heading] = field(default_factory=list)
    has_math: bool = False
    warnings: list[Problem] = field(default_factory=list)
    assets: dict[str, Asset] = field(default_factory=dict)  # images by their src (publisher/assets.py)
    cover: Asset | None = None  # the front-matter image, when it could be read
    index: list = field(default_factory=list)  # subject-index marks (subject_index.Mark, issue 17), reading order


@dataclass
class Edition:
    slug: str
    format: str  # "html", "epub", "pdf"
    path: Path
    size: int = 0
    sha256: str = ""
    cached: bool = False
    pages: int = 0


@dataclass
class PaperResult:
    rel_source: str
    slug: str = ""
    title: str = ""
    editions: list[Edition] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    failed: bool = False
    seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)  # catalog/manifest data
    peak_rss: int = 0  # peak memory (bytes) of the process that built it, 0 when served from the cache
    incomplete: list[str] = field(default_factory=list)  # editions that failed while the others were built

    @property
    def cached(self) -> bool:
        return bool(self.editions) and all(e.cached for e in self.editions)


@dataclass
class BuildReport:
    papers: list[PaperResult] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # site-level problems
    out: Path | None = None
    seconds: float = 0.0
    removed: list[str] = field(default_factory=list)  # slugs whose folders were removed from OUT
    strict: bool = False  # --strict: a site-level warning fails the build too

    @property
    def failed(self) -> list[PaperResult]:
        return [p for p in self.papers if p.failed]

    @property
    def exit_code(self) -> int:
        """0: every paper built; 1: some papers failed or lack an edition (or, when strict, the site had
        a warning); 2: OUT could not take a file (disk full, read-only), whichever file it was and
        whether or not the site pages and the build record still fitted afterwards."""
        problems = self.problems + [p for r in self.papers for p in r.problems]
        if any(p.code == WRITE_FAILED for p in problems):
            return 2
        if self.failed or any(r.incomplete for r in self.papers) \
                or (self.strict and any(p.severity == "warning" for p in self.problems)):
            return 1
        return 0
