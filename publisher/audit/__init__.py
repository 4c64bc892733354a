"""`publisher audit OUT`: prove that the three editions of every paper carry the same text.

For each paper in OUT/manifest.json the audit measures the source post (`source.py`), the HTML page and
the EPUB (`markup.py`) and the PDF (`pdfmeasure.py`), then compares the measures (`compare.py`). Each
difference is a `Problem` (`file:line: error: …`) pointing at the source line when it can be traced.
What counts as body text, and the tolerances, are documented in docs/audit.md.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..model import Problem


@dataclass
class Measures:
    """What one edition (or the source) contains; None: not measured in this medium."""

    words: int | None = None
    images: list[str] | None = None  # identities: file stem (HTML, EPUB, source) or "WxH" pixel size (PDF)
    images_total: int | None = None  # every image placement, SVG included where countable
    raster: int | None = None  # images that are not SVG (the PDF draws SVG as vector art, not image objects)
    raster_sizes: list[tuple[str, str]] = field(default_factory=list)  # (identity, "WxH" pixels) (EPUB only)
    stand_ins: list[str] = field(default_factory=list)  # remote images shown as a link: identities (EPUB), ids (PDF)
    equations: int | None = None  # display equations
    inline_math: int | None = None
    footnotes: int | None = None
    citations: int | None = None
    tables: int | None = None
    headings: list[str] | None = None
    heading_levels: list[int] = field(default_factory=list)  # 1–6, one per heading (HTML page, EPUB)
    chars: set[str] | None = None  # distinct characters of the body text (NFKC), letters and symbols only
    tex_commands: set[str] | None = None  # TeX control words seen as text (outside code)
    # for locating the body in the PDF (HTML page only)
    first_words: list[str] = field(default_factory=list)
    vocabulary: set[str] = field(default_factory=set)
    about_words: list[str] = field(default_factory=list)
    media_words: list[str] = field(default_factory=list)  # stand-ins for media a medium cannot show (EPUB)
    table_heads: list[tuple[str, ...]] = field(default_factory=list)  # words of each table's header row
    word_counts: Counter = field(default_factory=Counter)  # how often each body word occurs (lower case)
    nav_words: list[str] = field(default_factory=list)  # words of the lists of figures/tables (not body)
    nav_headings: list[str] = field(default_factory=list)  # titles of the generated index and lists
    opening_words: list[list[str]] = field(default_factory=list)  # a volume's paper openings (EPUB)
    pdf: object = None  # PdfExtras (PDF only)

    def as_json(self) -> dict:
        out = {}
        for key, value in self.__dict__.items():
            if key in ("chars", "tex_commands", "first_words", "vocabulary", "about_words", "media_words", "table_heads", "nav_words", "nav_headings", "opening_words", "heading_levels", "raster_sizes", "word_counts", "pdf", "stand_ins"):
                continue
            if isinstance(value, list):
                value = len(value)
            out[key] = value
        return out


@dataclass
class PaperAudit:
    """The audit of one paper: its measures per edition and the findings."""

    slug: str
    source: str  # the post, relative to the site root
    measures: dict[str, Measures] = field(default_factory=dict)  # "source", "html", "epub", "pdf"
    findings: list[Problem] = field(default_factory=list)
    seconds: float = 0.0
    kind: str = "paper"  # or "volume" (volume.py)

    def as_json(self) -> dict:
        return {"slug": self.slug, "kind": self.kind, "source": self.source, "seconds": round(self.seconds, 2),
                "measures": {k: m.as_json() for k, m in sorted(self.measures.items())},
                "findings": [{"file": p.file, "line": p.line, "severity": p.severity, "message": p.message,
                              "hint": p.hint, "text": str(p)} for p in self.findings]}


class NotABuild(Exception):
    """OUT holds no manifest.json (a usage error)."""


def site_root(out: Path) -> Path | None:
    """The site the build in OUT was made from (recorded in OUT/.publisher/state.json), if known."""
    try:
        data = json.loads((out / ".publisher" / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    root = data.get("source") or ""
    return Path(root) if root and Path(root).is_dir() else None


def audit(out: Path, source: Path | None = None) -> list[PaperAudit]:
    """Audit every paper in OUT's manifest; SOURCE is the site (default: the one OUT was built from).

    Raises NotABuild when OUT has no readable manifest.json."""
    out = out.resolve()
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NotABuild(f"{out}: cannot read manifest.json: {exc}") from None
    root = source.resolve() if source else site_root(out)
    from .volume import audit_volume

    entries = manifest.get("papers", [])
    results = [None if paper.get("kind") == "volume" else _audit_paper(out, root, paper) for paper in entries]
    by_slug = {r.slug: r for r in results if r is not None}  # a volume's members, by slug
    return [r if r is not None else audit_volume(out, paper, by_slug) for r, paper in zip(results, entries)]


def _audit_paper(out: Path, root: Path | None, paper: dict) -> PaperAudit:
    """The audit of one paper of the manifest: its source post and its three editions."""
    import time

    from .compare import compare
    from .source import measure_source

    started = time.monotonic()
    rel = paper.get("source") or paper.get("slug", "")
    result = PaperAudit(paper.get("slug", ""), rel)
    editions = paper.get("editions", {})
    src = measure_source(root / rel) if root and (root / rel).is_file() else None
    if src is not None:
        result.measures["source"] = src
    measure_editions(out, editions, result)
    result.findings += compare(result, root / rel if root else None, editions)
    result.seconds = time.monotonic() - started
    return result


def measure_editions(out: Path, editions: dict, result: PaperAudit, volume: bool = False) -> None:
    """Measure each edition listed in EDITIONS into RESULT; an edition that cannot be read is a finding.
    VOLUME: the HTML edition is a volume's contents page (not measured as text; see volume.py)."""
    from .markup import measure_epub, measure_html
    from .pdfmeasure import measure_pdf

    html_ref = epub_ref = None
    for fmt in ("html", "epub", "pdf"):
        ed = editions.get(fmt)
        if not ed or (volume and fmt == "html"):
            continue
        path = out / ed.get("path", "")
        try:
            if fmt == "html":
                m = measure_html(path)
                html_ref = m
            elif fmt == "epub":
                m = epub_ref = measure_epub(path)
            else:
                m = measure_pdf(path, html_ref or epub_ref, epub_ref, volume=volume)
        except Exception as exc:  # a broken edition is a finding, never a crash
            result.findings.append(Problem(ed.get("path", ""), None, f"the {fmt.upper()} edition cannot be "
                                           f"read for the audit: {type(exc).__name__}: {exc}"))
            continue
        result.measures[fmt] = m
