"""Links written for kramdown's heading ids lead to the headings pandoc named.

Jekyll's kramdown gives a heading the id made by its own rule (`basic_generate_id`: leading
non-letters dropped, every character other than a letter, a digit, a space or a hyphen removed,
spaces made hyphens, lower case), so authors link to `#pytorch-adam-wrt-rlhf` for the heading
"PyTorch Adam w.r.t RLHF". pandoc's id for the same heading keeps the dots
(`pytorch-adam-w.r.t-rlhf`), and the link led nowhere (EPUBCheck RSC-012). `retarget(root)` points
every in-page link whose target does not exist, but whose name is a heading's kramdown id, at that
heading's actual id. Links that already lead somewhere are left alone.
"""
from __future__ import annotations

import re

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def kramdown_id(text: str) -> str:
    """The id kramdown generates for a heading whose text is TEXT (without transliteration)."""
    ident = re.sub(r"^[^a-zA-Z]+", "", text)
    ident = re.sub(r"[^a-zA-Z0-9 -]", "", ident)
    return ident.replace(" ", "-").lower()


def _heading_text(h) -> str:
    parts = [h.text or ""]
    for child in h:
        if isinstance(child.tag, str) and "anchor" not in (child.get("class") or "").split():
            parts.append(child.text_content())
        parts.append(child.tail or "")
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def retarget(root) -> None:
    """In-page links to a missing id that is a heading's kramdown id lead to that heading (in place)."""
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    links = [a for a in root.iter("a") if (a.get("href") or "").startswith("#") and (a.get("href") or "")[1:] not in ids]
    if not links:
        return
    by_kramdown: dict[str, str] = {}
    for h in root.iter(*HEADINGS):
        target = h.get("id") or (h.getparent().get("id") if h.getparent() is not None else None)
        if not target:
            continue
        base = kramdown_id(_heading_text(h)) or "section"
        name, n = base, 0
        while name in by_kramdown:  # kramdown numbers repeated ids: x, x-1, x-2 …
            n += 1
            name = f"{base}-{n}"
        by_kramdown[name] = target
    for a in links:
        target = by_kramdown.get(a.get("href")[1:])
        if target:
            a.set("href", "#" + target)
