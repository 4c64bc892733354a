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
FOOTNOTE_DEF = re.compile(r"^\[\^([^\]]+)\]:")
NOTE_CALL = re.compile(r"\[\^([^\]]+)\](?!:)")
TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
SEP_ONLY = re.compile(r"^[ \t]*[+|: \t=-]*[-=][+|: \t=-]*$")  # kramdown's separator and footer lines
HIDDEN_OPEN = re.compile(r"<([a-zA-Z][\w-]*)\b[^>]*?(?:style\s*=\s*[\"'][^\"']*display\s*:\s*none|\shidden(?=[\s=>/]))", re.I)
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
LIQUID_PATH = re.compile(r"\{\{-?\s*[\"']([^\"']+)[\"'][^}]*\}\}")
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


def _visible(lines: list[tuple[int, str]]) -> list[tuple[int, str]]:
    """LINES with what no reader sees blanked (line numbers kept): HTML comments, and the elements hidden
    by `style="display: none"` or `hidden` (publisher.hidden leaves them out of every edition)."""
    out = []
    in_comment = False
    hidden: tuple[str, int] | None = None  # (tag, depth) of the hidden element being skipped
    for n, line in lines:
        text = line
        if in_comment or "<!--" in text:
            text, in_comment = _without_comments(text, in_comment)
        if hidden is None:
            m = HIDDEN_OPEN.search(text)
            tag = m.group(1).lower() if m else ""
            if m and tag not in VOID:
                text, rest = text[:m.start()], text[m.start():]
                hidden = _hidden_depth(rest, tag, 0)
        else:
            hidden = _hidden_depth(text, hidden[0], hidden[1])
            text = ""
        out.append((n, text))
    return out


def _without_comments(text: str, inside: bool) -> tuple[str, bool]:
    """TEXT without the parts inside HTML comments; whether a comment is still open at its end."""
    kept, pos = [], 0
    while pos <= len(text):
        if inside:
            end = text.find("-->", pos)
            if end < 0:
                return "".join(kept), True
            pos, inside = end + 3, False
        else:
            start = text.find("<!--", pos)
            if start < 0:
                kept.append(text[pos:])
                break
            kept.append(text[pos:start])
            pos, inside = start + 4, True
    return "".join(kept), inside


def _hidden_depth(text: str, tag: str, depth: int) -> tuple[str, int] | None:
    """(TAG, depth) after the opening and closing TAGs of TEXT; None once the hidden element is closed."""
    for m in re.finditer(rf"<(/?){tag}\b[^>]*?(/?)>", text, re.I):
        if not m.group(2):  # <tag … /> opens and closes
            depth += -1 if m.group(1) else 1
        if depth <= 0:
            return None
    return (tag, depth)


def _math_block_end(lines: list[tuple[int, str]], i: int) -> int | None:
    """Index of the line closing the kramdown math block that opens at line I, or None when the `$$`
    there opens inline math: the block ends at a `$$` followed by the end of its line and a blank line
    (blank lines inside are part of it)."""
    first = lines[i][1]
    rest = first[first.index("$$") + 2:]
    k, text = i, rest
    while True:
        close = text.find("$$")
        if close >= 0:
            after = text[close + 2:]
            nxt = lines[k + 1][1] if k + 1 < len(lines) else ""
            return k if not after.strip() and not nxt.strip() else None
        k += 1
        if k >= len(lines):
            return None
        text = lines[k][1]


def _table_rows(block: list[str]) -> bool:
    """A kramdown table: every line holds a `|`, and the lines start with one or a rule line follows."""
    if not block or not all("|" in line for line in block) or block[0].startswith(("    ", "\t")):
        return False
    rules = [bool(TABLE_RULE.match(line) or SEP_ONLY.match(line)) for line in block]
    if all(rules):
        return False
    return all(line.lstrip().startswith("|") for line in block) or any(rules[1:])


def _figures(line: str) -> list[tuple[str, str]]:
    """(identity, reference) of each figure written on LINE; a Liquid path (`{{ 'x.png' | relative_url }}`)
    is read as its quoted path."""
    found = []
    for rx in (MD_IMAGE, HTML_IMAGE, INCLUDE_IMAGE):
        for ref in rx.findall(line):
            ref = next(r for r in ref if r) if isinstance(ref, tuple) else ref.strip()
            path = LIQUID_PATH.sub(lambda m: m.group(1), ref)
            path = re.sub(r"\{\{.*?\}\}", "", path)
            if "{{" in ref and not path.strip("/"):
                continue
            found.append((image_identity(path), ref))
    return found


def measure_source(path: Path) -> SourceMeasures:
    """Figures, display equations, note definitions, tables and headings of the post at PATH, read with
    kramdown's rules for math blocks and tables; comments and hidden elements are not read."""
    m = SourceMeasures()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return m
    lines = _visible(body_lines(text))
    in_fence = False
    math_end = -1
    notes: list[tuple[int, str]] = []
    called: set[str] = set()
    i = 0
    while i < len(lines):
        n, line = lines[i]
        blank_before = i == 0 or not lines[i - 1][1].strip()
        i += 1
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence or i - 1 <= math_end:
            continue
        if DISPLAY_MATH.match(line) and blank_before:  # a math block is a block of its own (kramdown)
            end = _math_block_end(lines, i - 1)
            if end is not None:
                m.equations.append(n)
                math_end = end
                continue
        for identity, ref in _figures(line):
            m.figures.append((n, identity, ref))
        note = FOOTNOTE_DEF.match(line)
        if note:
            notes.append((n, note.group(1)))
        called.update(NOTE_CALL.findall(line[note.end():] if note else line))
        if blank_before and line.strip():
            block = [text for _n, text in lines[i - 1:_block_end(lines, i - 1)]]
            if _table_rows(block):
                m.tables.append(n)
        h = ATX.match(line)
        if h and not line.startswith("#{") and blank_before:  # kramdown and pandoc want a blank line before
            m.headings.append((n, h.group(2)))
    m.footnotes = [n for n, label in notes if label in called]  # a note called only in hidden text: none
    return m


def _block_end(lines: list[tuple[int, str]], i: int) -> int:
    """Index just after the block (the run of non-blank lines) that starts at line I."""
    j = i
    while j < len(lines) and lines[j][1].strip():
        j += 1
    return j
