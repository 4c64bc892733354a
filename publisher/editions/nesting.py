"""Block elements that an author's raw HTML put inside a paragraph.

`<p><figure>…</figure></p>` (an include written inside `<p>` tags) is kept nested by the lenient
parser, but an HTML5 reader closes the paragraph at `<figure>` and then finds a stray `</p>` (a Nu
error), and the EPUB's XHTML has a figure where only phrasing content may be. `unnest_paragraphs(root)`
makes such a paragraph a `<div>` with the same attributes, so every edition shows the same blocks.
"""
from __future__ import annotations

BLOCKS = frozenset({"address", "article", "aside", "blockquote", "details", "dialog", "div", "dl", "fieldset",
                    "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
                    "hgroup", "hr", "main", "menu", "nav", "ol", "p", "pre", "section", "table", "ul"})


def unnest_paragraphs(root) -> None:
    """Every <p> that holds a block element (at any depth, outside nested blocks) becomes a <div> (in place)."""
    for p in list(root.iter("p")):
        if any(isinstance(el.tag, str) and el.tag in BLOCKS for el in p.iterdescendants()):
            p.tag = "div"
