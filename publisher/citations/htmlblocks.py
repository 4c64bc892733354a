"""Citations inside raw HTML blocks, and citations written side by side.

pandoc reads Markdown inside an HTML block only when the block's tag has `markdown="1"` (kramdown's
rule, which publisher follows). distill posts put `<d-cite>` in captions (`<div class="caption">…`), so
every HTML block element that is open where a citation stands gets `markdown="1"`: the citation is
then read as one. And `[@a][@b]` (two `<d-cite>` side by side) would be
read as a reference link, so adjacent bracketed citations are joined into one: `[@a; @b]`.
"""
from __future__ import annotations

import re

_ANY_TAG = re.compile(r"<(/?)(div|figure|figcaption|details|summary|p|center|aside|section|blockquote|ul|ol|li|table|"
                      r"thead|tbody|tfoot|tr|td|th|dl|dt|dd|header|footer|nav|article|main)\b([^<>]*?)(/?)>", re.I)
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


def open_blocks(body: str, masked: str, positions: list[int]) -> str:
    """BODY with `markdown="1"` on every HTML block element that is open at one of POSITIONS (offsets of
    citations; MASKED is BODY with code blanked), so that pandoc reads the citation inside it."""
    stack: list[tuple[str, int]] = []  # (tag name, offset just before the tag's ">")
    marked: set[int] = set()
    todo = sorted(positions)
    k = 0
    for m in _ANY_TAG.finditer(masked):
        while k < len(todo) and todo[k] < m.start():
            marked.update(at for _, at in stack if at >= 0)
            k += 1
        if k >= len(todo):
            break
        name = m.group(2).lower()
        if m.group(1):  # a closing tag: close up to the matching opening one
            names = [n for n, _ in stack]
            if name in names:
                del stack[len(names) - 1 - names[::-1].index(name):]
        elif not m.group(4):
            while stack and stack[-1][0] == "p":
                stack.pop()  # a block element ends an open paragraph (HTML's rule)
            stack.append((name, m.end(3) if "markdown=" not in m.group(3) else -1))
    for at in sorted(marked, reverse=True):
        body = body[:at] + ' markdown="1"' + body[at:]
    return body
