"""Content the site never shows: an element hidden by its own `style="display: none"` or by the
`hidden` attribute (a `<div style="display: none" markdown="1">` around a draft appendix, the usual
hidden block of macro definitions). No reader of the site sees it, so it reaches no edition: left in,
its headings reached the contents of every edition and the PDF's outline disagreed with them.

Run on the body after the pandoc pass (publisher.render), before the headings are read. A note whose
call was hidden goes with it; a link into hidden text keeps only its words, and a back-link to a hidden
citation goes.
"""
from __future__ import annotations

import re

from lxml import html as lxml_html

_HINT = re.compile(r"""display\s*:\s*none|\shidden[\s=>]""", re.I)
_NONE = re.compile(r"(?:^|;)\s*display\s*:\s*none\s*(?:!important\s*)?(?:;|$)", re.I)


def is_hidden(el) -> bool:
    """EL hides itself: `display: none` in its style attribute, or the `hidden` attribute."""
    return el.get("hidden") is not None or bool(_NONE.search(el.get("style") or ""))


def drop_hidden(body_html: str) -> str:
    """BODY_HTML without its hidden elements (and the notes only they called); unchanged when it has none."""
    if not _HINT.search(body_html):
        return body_html
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    hidden = [el for el in root.iter() if isinstance(el.tag, str) and el is not root and is_hidden(el)]
    if not hidden:
        return body_html
    gone = {node.get("id") for el in hidden for node in el.iter() if isinstance(node.tag, str) and node.get("id")}
    for el in hidden:
        if el.getparent() is not None:
            el.drop_tree()  # its tail stays
    for a in list(root.iter("a")):
        if a.get("href", "")[1:] in gone and a.get("href", "").startswith("#"):
            if {"citation-backlink", "footnote-back"} & set((a.get("class") or "").split()):
                a.drop_tree()  # a back-link (↩) to a citation or note call that was hidden
            else:
                a.drop_tag()  # a link to hidden text: its words stay
    calls = {a.get("href", "")[1:] for a in root.iter("a") if "footnote-ref" in (a.get("class") or "").split()}
    for section in root.iter("section"):
        if "footnotes" in (section.get("class") or "").split():
            for li in list(section.iter("li")):
                if li.get("id") and li.get("id") not in calls:
                    li.drop_tree()
    return (root.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in root)
