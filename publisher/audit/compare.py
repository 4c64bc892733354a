"""The comparison: measures of the source and of each edition → findings (`Problem`s).

Tolerances (docs/audit.md): body words agree within max(WORDS_ABS, WORDS_REL × the HTML page's count);
every other measure must agree exactly. The source is read without Liquid or pandoc, so its counts
are a floor: an edition with fewer figures, equations, notes or tables than the source is a finding,
one with more is not.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from ..model import Problem

WORDS_ABS = 5
WORDS_REL = 0.01
NAMES = {"html": "HTML page", "epub": "EPUB", "pdf": "PDF"}


def word_tolerance(reference: int) -> int:
    """How many words two editions may differ by (hyphenation and table layout leave small traces)."""
    return max(WORDS_ABS, round(reference * WORDS_REL))


def compare(result, source_path: Path | None, editions: dict) -> list[Problem]:
    """Every disagreement between the measures in RESULT, as problems located in the source when possible."""
    ms = result.measures
    src = ms.get("source")
    file = result.source
    findings: list[Problem] = []

    def add(line, message, hint="", where=None, severity="error"):
        problem = Problem(where or file, line, message, hint, severity=severity)
        if problem not in findings:
            findings.append(problem)

    site_files = _site_files(source_path)
    present = {fmt: ms[fmt] for fmt in ("html", "epub", "pdf") if fmt in ms}
    ref_fmt = "html" if "html" in present else next(iter(present), None)
    ref = present.get(ref_fmt)
    # body words
    if ref is not None and ref.words is not None:
        tol = word_tolerance(ref.words)
        for fmt, m in present.items():
            if fmt != ref_fmt and m.words is not None and abs(m.words - ref.words) > tol:
                line = _line_of_missing_words(source_path, ref.word_counts - m.word_counts,
                                              m.word_counts - ref.word_counts)
                add(line, f"the {NAMES[fmt]} has {m.words} words of body text, the {NAMES[ref_fmt]} {ref.words} "
                    f"(more than {tol} apart)", "text is missing from or duplicated in one edition")
    pdf = present.get("pdf")
    if pdf is not None and pdf.pdf is not None and not pdf.pdf.body_found and ref is not None:
        add(None, "the first words of the body text are not in the PDF", "the PDF lost or reordered the text's opening")
    # figures: by file name between the source, the HTML page and the EPUB; by count and pixel size in the PDF
    if src is not None:
        for fmt in ("html", "epub"):
            m = present.get(fmt)
            if m is None or m.images is None:
                continue
            have, linked = Counter(m.images), Counter(m.stand_ins)
            for line, ident, ref_text in src.figures:
                if have[ident] > 0:
                    have[ident] -= 1
                elif linked[ident] > 0:  # a remote image the build did not fetch, shown as a link to it
                    linked[ident] -= 1
                    add(line, f"figure {ref_text!r} is a remote image the build did not fetch: the PDF and EPUB "
                        "show a link to it in its place", "allow remote images with publisher: {network: true}, "
                        "or add the image to the site", severity="warning")
                elif site_files is not None and _local(ref_text) and _file_name(ref_text) not in site_files:
                    add(line, f"figure {ref_text!r} is in no edition: the site has no file named "
                        f"{_file_name(ref_text)!r}", "add the image to the site, or correct the path",
                        severity="warning")
                else:
                    add(line, f"figure {ref_text!r} is not in the {NAMES[fmt]}",
                        "the image could not be read or was dropped; build with the warnings shown")
    if pdf is not None and pdf.images is not None:
        epub = present.get("epub")
        counts = {f: present[f].raster + len(present[f].stand_ins) for f in ("html", "epub")
                  if f in present and present[f].raster is not None}  # a remote image's stand-in stands for it
        drawn = Counter(pdf.images)
        for ident, size in (epub.raster_sizes if epub is not None else []):
            if drawn[size] > 0:
                drawn[size] -= 1
                continue
            lines = [line for line, i, _ in (src.figures if src is not None else []) if i == ident]
            add(lines[0] if lines else None, f"figure {ident!r} ({size} pixels) is in the EPUB but not in the PDF",
                "the PDF could not show it: check the image's format and its width/height attributes")
        if counts and len(pdf.images) + len(pdf.stand_ins) < max(counts.values()):
            add(None, f"the PDF shows {len(pdf.images)} raster image(s) in the body"
                + (f" and {len(pdf.stand_ins)} link(s) to remote ones" if pdf.stand_ins else "") + ", "
                + ", ".join(f"the {NAMES[f]} {v}" for f, v in counts.items()),
                "an image did not reach the PDF: unreadable, remote with network off, or sized to nothing",
                where=editions.get("pdf", {}).get("path", file))
    # equations, notes, citations, tables, headings between the HTML page and the EPUB; the source is a floor
    for key, label in (("equations", "display equations"), ("inline_math", "inline formulas"),
                       ("footnotes", "note references"), ("citations", "citations"), ("tables", "tables")):
        values = {fmt: getattr(m, key) for fmt, m in present.items() if getattr(m, key) is not None}
        if len(set(values.values())) > 1:
            add(None, f"{label}: " + ", ".join(f"{NAMES[f]} {v}" for f, v in values.items()),
                "an edition lost or duplicated some")
        if src is not None and key in ("equations", "footnotes", "tables"):
            lines = getattr(src, key)
            for fmt, v in values.items():
                if v < len(lines):
                    add(lines[v], f"the source has {len(lines)} {label}, the {NAMES[fmt]} {v}; "
                        f"the first one without a counterpart may be here", "check how this one was written")
    heads = {fmt: m.headings for fmt, m in present.items() if m.headings is not None}
    if len({len(h) for h in heads.values()}) > 1:
        add(None, "headings: " + ", ".join(f"{NAMES[f]} {len(h)}" for f, h in heads.items()),
            "a heading was lost, or an edition made one of something else")
    if src is not None and "html" in heads and len(heads["html"]) < len(src.headings):
        line = src.headings[len(heads["html"])][0]
        add(line, f"the source has {len(src.headings)} headings, the HTML page {len(heads['html'])}")
    # PDF only: glyphs outside the text block, fallback faces, .notdef, characters that vanished, TeX as text
    if pdf is not None and pdf.pdf is not None:
        pdf_file = editions.get("pdf", {}).get("path", file)
        for page, text in pdf.pdf.outside:
            add(None, f"page {page}: text runs outside the text block: {text!r}",
                "a long unbreakable string (URL, hash, code) needs a break opportunity, and a box "
                "(raw HTML with a fixed width, a wide table or equation) must fit the text block", where=pdf_file)
        from .pdfmeasure import fallback_summary

        for face, pages, chars in fallback_summary(pdf.pdf):
            add(None, f"{len(chars)} character(s) set in the fallback face {face} (page(s) "
                f"{', '.join(map(str, pages[:5]))}): {chars[:20]!r}",
                "no font of the house stacks has them; add a font that does", where=pdf_file)
        for page, font in sorted(set(pdf.pdf.notdef)):
            add(None, f"page {page}: a glyph is missing (.notdef) in {font}", "the font lacks a character",
                where=pdf_file)
        if ref is not None and ref.chars is not None and pdf.chars is not None and pdf.pdf.body_found:
            lost = "".join(sorted(ref.chars - pdf.chars))
            if lost:
                add(None, f"character(s) of the text not in the PDF: {lost[:30]!r}",
                    "the PDF dropped them or set them with a font that maps them elsewhere", where=pdf_file)
        if ref is not None and ref.tex_commands is not None:
            tex = sorted(c for c in (pdf.tex_commands or set())
                         if not any(h.startswith(c) for h in ref.tex_commands))  # \math- / cal at a line end
            if tex:
                add(None, f"TeX source shows as text in the PDF: {' '.join(tex[:8])}",
                    "the math could not be typeset", where=pdf_file)
    return findings


_FILES: dict[Path, set[str]] = {}


def _site_files(post: Path | None) -> set[str] | None:
    """Names of the files in the site the post belongs to (to tell a missing file from a dropped figure)."""
    if post is None:
        return None
    root = post.parent
    while root.parent != root and not (root / "_config.yml").is_file() and root.name != "_posts":
        root = root.parent
    if root.name == "_posts":
        root = root.parent
    if root not in _FILES:
        import os

        names: set[str] = set()
        for _, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("node_modules", "_site")]
            names.update(f.lower() for f in files)
        _FILES[root] = names
    return _FILES[root]


def _local(ref: str) -> bool:
    from urllib.parse import urlsplit

    return not urlsplit(ref).scheme and not ref.startswith("//")


def _file_name(ref: str) -> str:
    import re
    from urllib.parse import unquote, urlsplit

    path = unquote(urlsplit(re.sub(r"\{\{.*?\}\}", "", ref)).path)
    return path.rstrip("/").rsplit("/", 1)[-1].lower()


def _line_of_missing_words(post: Path | None, missing: Counter, extra: Counter) -> int | None:
    """The source line that holds most of the words one edition lacks (or has too many of), when one
    line clearly does: at least three distinct such words of four letters or more."""
    import re

    words = {w for w in (missing if sum(missing.values()) >= sum(extra.values()) else extra) if len(w) >= 4}
    if post is None or not words:
        return None
    from .source import body_lines

    try:
        lines = body_lines(post.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    best, best_score = None, 2
    for n, line in lines:
        score = len(words & {w.lower() for w in re.findall(r"\w+", line)})
        if score > best_score:
            best, best_score = n, score
    return best
