"""Citations inside raw HTML blocks, and citations written side by side.

pandoc reads Markdown inside an HTML block only when the block's tag has `markdown="1"` (kramdown's
rule, which publisher follows), and distill posts put `<d-cite>` in captions (`<div class="caption">…`).
Such a citation is written as a placeholder tag, `<cite data-publisher-citation="[@a]"/>`, that
pandoc keeps inside the raw HTML and citations.lua turns back into the citation: the HTML around it
stays as it was. And `[@a][@b]` (two `<d-cite>` side by side) would be read as a reference link, so
adjacent bracketed citations are joined into one: `[@a; @b]`.
"""
from __future__ import annotations

import html
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


def protect(body: str, masked: str, positions: list[int], everywhere: bool = False) -> str:
    """BODY with each bracketed citation (at POSITIONS, offsets of its keys; MASKED is BODY with code
    blanked) that stands inside a raw HTML block element (EVERYWHERE: any of them, for a post written
    in HTML) written as a placeholder tag `<cite data-publisher-citation="[@a; @b]"/>`, which
    citations.lua turns back into the citation."""
    stack: list[tuple[str, bool]] = []  # (tag name, has a markdown= attribute)
    inside: list[int] = []
    todo = sorted(positions)
    k = 0
    if everywhere:
        inside, k = list(todo), len(todo)
    for m in _ANY_TAG.finditer(masked) if not everywhere else ():
        while k < len(todo) and todo[k] < m.start():
            if stack and not any(md for _, md in stack):
                inside.append(todo[k])
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
            stack.append((name, "markdown=" in m.group(3)))
    groups = []
    for at in inside:
        start, end = masked.rfind("[", 0, at), masked.find("]", at)
        if start >= 0 and end > at and (start, end) not in groups:
            groups.append((start, end))
    for start, end in sorted(groups, reverse=True):
        text = body[start:end + 1].replace("\n", " ")
        body = body[:start] + f'<cite data-publisher-citation="{html.escape(text, quote=True)}"/>' + body[end + 1:]
    return body
