"""Ids and in-page links that every edition can keep: valid HTML and EPUBs without RSC-012.

Authors of real posts write markup that a browser forgives but an EPUB reader (EPUBCheck) and the
Nu HTML checker do not. `fix(root)` runs on each edition's body, after the raw-HTML clean-up and
kramdown_ids.retarget, and handles these classes:

- `<a name="x">` anchors (HTML 4): the name becomes an `id` on a `<span>` that keeps the content, so
  links to `#x` resolve. One standing directly inside a table (not in a cell) gives its id to the table.
- a link nested in another link (a heading copied into a table of contents with its anchor or note
  call): the inner one is unwrapped.
- duplicate ids (a heading's automatic id and a raw `<div id="optimizer">`, a heading "Footnotes"
  and pandoc's notes section): ids of headings and of the sections pandoc made for them are kept,
  so the contents and the author's links still lead to the heading; any other element gets `x-2`,
  `x-3` … (in document order, the first keeps the id among equals).
- links to a fragment no element has: retargeted when one id matches it ignoring case, or as a
  slug (`#Table 1` → `table-1`); otherwise the link becomes plain text. `dangling(html)` lists those
  targets so that prepare() can warn once, with the post's file and line.
- headings that skip a level (h2 then h4): the later heading takes the next level down (h3), so the
  outline has no holes (a Nu error; a gap in the EPUB's and PDF's outline).
- `style` attributes that hold no CSS declaration (`style="summary-math"`) are dropped, and a
  `<style>` element in the body moves to the start of its parent (HTML requires it first).
"""
from __future__ import annotations

import re

HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
TABLE_PARTS = ("table", "thead", "tbody", "tfoot", "tr")


def _elements(root):
    return [el for el in root.iter() if isinstance(el.tag, str)]


def _unwrap(el) -> None:
    """Replace EL by its content (text, children, tail) in place."""
    parent = el.getparent()
    if parent is None:
        return
    index = parent.index(el)
    text = el.text or ""
    children = list(el)
    tail = el.tail or ""
    if index == 0:
        parent.text = (parent.text or "") + text
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + text
    for i, child in enumerate(children):
        parent.insert(index + i, child)
    last = children[-1] if children else None
    parent.remove(el)
    if last is not None:
        last.tail = (last.tail or "") + tail
    elif index == 0:
        parent.text = (parent.text or "") + tail
    else:
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + tail


def name_anchors(root) -> None:
    """`<a name="x">` (no href) becomes `<span id="x">`; one inside a table's rows gives its id to the table."""
    ids = {el.get("id") for el in _elements(root) if el.get("id")}
    for a in list(root.iter("a")):
        if a.get("href") is not None or a.get("name") is None:
            continue
        name = a.attrib.pop("name").strip()
        parent = a.getparent()
        if parent is not None and parent.tag in TABLE_PARTS:
            table = parent if parent.tag == "table" else next((p for p in parent.iterancestors("table")), None)
            if name and name not in ids and table is not None and not table.get("id"):
                table.set("id", name)
                ids.add(name)
            _unwrap(a)
            continue
        if name and not a.get("id") and name not in ids:
            a.set("id", name)
            ids.add(name)
        a.tag = "span"
        if not a.get("id") and not a.attrib:
            _unwrap(a)


def nested_links(root) -> None:
    """A link inside another link is unwrapped (its text stays)."""
    for a in list(root.iter("a")):
        if any(True for _ in a.iterancestors("a")):
            a.attrib.pop("id", None)
            _unwrap(a)


def _is_heading_target(el) -> bool:
    if el.tag in HEADINGS:
        return True
    return el.tag == "section" and any(child.tag in HEADINGS for child in el if isinstance(child.tag, str))


def unique_ids(root) -> None:
    """Every id once: headings (and their sections) keep theirs, other elements get a numbered suffix."""
    by_id: dict[str, list] = {}
    for el in _elements(root):
        ident = el.get("id")
        if ident:
            by_id.setdefault(ident, []).append(el)
    taken = set(by_id)
    for ident, els in by_id.items():
        if len(els) < 2:
            continue
        keep = next((el for el in els if _is_heading_target(el)), els[0])
        n = 1
        for el in els:
            if el is keep:
                continue
            n += 1
            while f"{ident}-{n}" in taken:
                n += 1
            el.set("id", f"{ident}-{n}")
            taken.add(f"{ident}-{n}")


def _slug(text: str) -> str:
    text = re.sub(r"[^\w\s-]", "", text.lower()).strip()
    return re.sub(r"[\s_]+", "-", text)


def _resolve(fragment: str, ids: set[str], folded: dict[str, str]) -> str | None:
    if fragment in ids:
        return fragment
    from urllib.parse import unquote

    plain = unquote(fragment)
    for candidate in (plain, plain.lower(), _slug(plain)):
        if candidate in ids:
            return candidate
        if candidate.lower() in folded:
            return folded[candidate.lower()]
    return None


def links(root, keep: tuple[str, ...] = ()) -> list[str]:
    """Retarget in-page links to a missing id that matches one loosely; unwrap the rest. Returns their
    targets (without '#'), in order. Fragments in KEEP (e.g. 'top' in a web page) are left alone."""
    ids = {el.get("id") for el in _elements(root) if el.get("id")}
    folded: dict[str, str] = {}
    for ident in sorted(ids):
        folded.setdefault(ident.lower(), ident)
        folded.setdefault(_slug(ident), ident)
    gone = []
    for a in list(root.iter("a")):
        href = a.get("href") or ""
        if not href.startswith("#") or len(href) < 2 or href[1:] in ids or href[1:] in keep:
            continue
        target = _resolve(href[1:], ids, folded)
        if target:
            a.set("href", "#" + target)
            continue
        gone.append(href[1:])
        for attr in ("href", "role", "aria-describedby"):
            a.attrib.pop(attr, None)
        if a.attrib:
            a.tag = "span"
        else:
            _unwrap(a)
    return gone


def heading_levels(root, top: int = 1) -> None:
    """A heading more than one level below the previous one (or below TOP) moves up to the next level."""
    previous = top
    for h in list(root.iter(*HEADINGS)):
        level = int(h.tag[1])
        if level > previous + 1:
            level = previous + 1
            h.tag = f"h{level}"
        previous = level


def styles(root) -> None:
    """Drop style attributes with no CSS declaration; move body <style> elements first in their parent."""
    for el in _elements(root):
        style = el.get("style")
        if style is not None and ":" not in style:
            del el.attrib["style"]
    for st in list(root.iter("style")):
        parent = st.getparent()
        if parent is None or parent.index(st) == 0:
            continue
        tail = st.tail
        st.tail = None
        index = parent.index(st)
        prev = parent[index - 1]
        prev.tail = (prev.tail or "") + (tail or "")
        parent.remove(st)
        st.tail = parent.text
        parent.text = None
        parent.insert(0, st)


def fix(root, keep: tuple[str, ...] = (), whole: bool = True) -> list[str]:
    """All of the above on ROOT (in place), in order; returns the link targets that were unwrapped.

    WHOLE is false for a fragment shown apart from the body (the summary, the author's bio): its links
    may lead into the body, so they are left as they are."""
    name_anchors(root)
    nested_links(root)
    unique_ids(root)
    gone = links(root, keep) if whole else []
    heading_levels(root)
    styles(root)
    return gone


def dangling(body_html: str) -> list[str]:
    """The in-page link targets of BODY_HTML that lead nowhere (after the fixes above), once each."""
    from . import body, kramdown_ids, raw_html

    if not body_html.strip():
        return []
    root = body.parse(body_html)
    raw_html.clean(root)
    kramdown_ids.retarget(root)
    seen: list[str] = []
    for target in fix(root):
        if target not in seen:
            seen.append(target)
    return seen
