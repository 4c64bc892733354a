"""Citations inside raw HTML blocks, and citations written side by side.

pandoc reads Markdown inside an HTML block only when the block's tag has `markdown="1"` (kramdown's
rule, which publisher follows). distill posts put `<d-cite>` in captions (`<div class="caption">…`), so
in an HTML block that holds a citation, the block tags from the block's first line to the citation's
line get `markdown="1"`: the citation is then read as one. And `[@a][@b]` (two `<d-cite>` side by side) would be
read as a reference link, so adjacent bracketed citations are joined into one: `[@a; @b]`.
"""
from __future__ import annotations

import re

_BLOCK_OPEN = re.compile(r"^( {0,3}<(?:div|figure|figcaption|details|summary|p|center|aside|section|blockquote|li|td|th)\b)"
                         r"([^>]*)>", re.I)
_TAG = re.compile(r"(<(?:div|figure|figcaption|details|summary|p|center|aside|section|blockquote|li|td|th)\b)([^<>]*?)/?>",
                  re.I)
_ADJACENT = re.compile(r"(\[-?@[^\[\]\n]*)\]\[(?=-?@)")


def join_adjacent(body: str, masked: str) -> str:
    """`[@a][@b]` → `[@a; @b]` outside code (MASKED is BODY with code blanked, same length)."""
    while True:
        cuts = [m.end(1) for m in _ADJACENT.finditer(masked)]
        if not cuts:
            return body
        for at in reversed(cuts):
            body = body[:at] + "; " + body[at + 2:]
            masked = masked[:at] + "; " + masked[at + 2:]


def open_blocks(body: str, cited_lines: set[int]) -> str:
    """BODY with `markdown="1"` on the opening tag of each HTML block that holds a citation (by the
    0-based CITED_LINES)."""
    lines = body.split("\n")
    done: set[int] = set()
    for index in sorted(cited_lines):
        start = index
        while start > 0 and lines[start - 1].strip():
            start -= 1
        if not _BLOCK_OPEN.match(lines[start]):
            continue  # a paragraph: pandoc reads its citations already
        for i in range(start, index + 1):  # the block's tag and the block tags nested in it up to the citation
            if i not in done:
                lines[i] = _TAG.sub(lambda m: m.group(0) if "markdown=" in m.group(2)
                                    else f'{m.group(1)}{m.group(2)} markdown="1">', lines[i])
                done.add(i)
    return "\n".join(lines)
