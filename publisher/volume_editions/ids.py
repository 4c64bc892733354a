"""Ids made unique per paper inside a volume: every id, and every link or ARIA reference to one,
gets the paper's prefix (`p01-`), so the papers' own `#introduction` and `#fn1` do not collide."""
from __future__ import annotations

import dataclasses

from ..model import Document, Heading

REFERENCES = ("aria-labelledby", "aria-describedby", "aria-controls", "aria-owns", "for", "headers")


def prefix_fragment(fragment: str, prefix: str) -> str:
    """FRAGMENT (HTML) with PREFIX before each id and each in-page reference to an id."""
    if not fragment.strip():
        return fragment
    from ..editions.body import parse, serialize

    root = parse(fragment)
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.get("id"):
            el.set("id", prefix + el.get("id"))
        if el.get("name") and el.tag == "a":
            el.set("name", prefix + el.get("name"))
        href = el.get("href")
        if href and href.startswith("#") and len(href) > 1:
            el.set("href", "#" + prefix + href[1:])
        for attr in REFERENCES:
            if el.get(attr):
                el.set(attr, " ".join(prefix + v for v in el.get(attr).split()))
    return serialize(root)


def prefix_document(doc: Document, prefix: str, slug: str = "") -> Document:
    """DOC with every fragment's ids prefixed, and its headings' and index marks' ids to match
    (SLUG: the paper's, noted on its index marks)."""
    from ..subject_index import prefixed

    return dataclasses.replace(
        doc, body_html=prefix_fragment(doc.body_html, prefix),
        summary_html=prefix_fragment(doc.summary_html, prefix) if doc.summary_html else "",
        bio_html=prefix_fragment(doc.bio_html, prefix) if doc.bio_html else "",
        headings=[Heading(h.level, prefix + h.id, h.text, h.html) for h in doc.headings],
        index=prefixed(doc.index, prefix, slug))
