"""Measures of the source post, read as text with line numbers (no Liquid, no pandoc): what a reader of
the post's Markdown would count. Used to say on which line a figure, equation, note, table or heading
that an edition lacks was written.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .markup import image_identity

FENCE = re.compile(r"^\s*(```|~~~|\{%-?\s*(end)?highlight\b)")
MD_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?((?:\{\{.*?\}\}|[^)\s>])+)")
HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*(?:\"([^\"]+)\"|'([^']+)'|([^\"'\s>]+))", re.I)
INCLUDE_IMAGE = re.compile(r"\{%-?\s*include\s+\S*(?:figure|image|img)\S*\s.*?\b(?:path|src|file|image|url)\s*=\s*"
                           r"[\"']?([^\"'\s%]+)", re.I)
DISPLAY_MATH = re.compile(r"^\s*\$\$")
FOOTNOTE_DEF = re.compile(r"^\[\^[^\]]+\]:")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
ATX = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass
class SourceMeasures:
    """What the post's text holds, each with its line in the post."""

    figures: list[tuple[int, str, str]] = field(default_factory=list)  # (line, identity, reference)
    equations: list[int] = field(default_factory=list)
    footnotes: list[int] = field(default_factory=list)
    tables: list[int] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)

    def as_json(self) -> dict:
        return {"figures": len(self.figures), "equations": len(self.equations), "footnotes": len(self.footnotes),
                "tables": len(self.tables), "headings": len(self.headings)}


def body_lines(text: str) -> list[tuple[int, str]]:
    """(line number, line) of the post's body: the front matter left out."""
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        for n in range(1, len(lines)):
            if lines[n].strip() in ("---", "..."):
                start = n + 1
                break
    return [(n + 1, lines[n]) for n in range(start, len(lines))]


def measure_source(path: Path) -> SourceMeasures:
    """Figures, display equations, note definitions, tables and headings of the post at PATH."""
    m = SourceMeasures()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return m
    in_fence = in_math = False
    previous = ""
    for n, line in body_lines(text):
        blank_before, previous = not previous.strip(), line
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        if DISPLAY_MATH.match(line) and (in_math or blank_before):  # a math block is a paragraph of its own
            if not in_math:
                m.equations.append(n)
            in_math = not in_math if line.strip().count("$$") == 1 else in_math
            continue
        if in_math:
            continue
        for rx in (MD_IMAGE, HTML_IMAGE, INCLUDE_IMAGE):
            for found in rx.findall(line):
                ref = "".join(found) if isinstance(found, tuple) else found  # HTML: one of three quotings
                if "{{" in ref and not re.sub(r"\{\{.*?\}\}", "", ref).strip("/"):
                    continue
                m.figures.append((n, image_identity(re.sub(r"\{\{.*?\}\}", "", ref)), ref))
        if FOOTNOTE_DEF.match(line):
            m.footnotes.append(n)
        if TABLE_RULE.match(line):
            m.tables.append(n)
        h = ATX.match(line)
        if h and not line.startswith("#{") and blank_before:  # kramdown and pandoc want a blank line before
            m.headings.append((n, h.group(2)))
    return m
