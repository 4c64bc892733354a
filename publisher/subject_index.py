"""The subject index (issue 17): terms marked in the Markdown (filters/index.lua) gathered into an
index for each edition.

filters/index.lua turns each mark into `<span id="idx-N" class="index-term" data-index-term="…">`.
`marks()` reads them once after pandoc (Document.index); the editions then build their index:

- the PDF: real page numbers, read off a first layout (`anchor_pages`), consecutive pages merged
  into ranges (12–14, 27), letter headings, each number a link to the first mark on that page;
- the EPUB: an index chapter (`epub:type="index"`, a landmark) whose locators link to every mark;
- the HTML page: the same index with links, after the text.

A paper without marks gets no index; a volume's index merges its papers' marks.
"""
from __future__ import annotations

import html as html_lib
import re
import unicodedata
from dataclasses import dataclass, field

from .resources import read_style

SUB = "!"  # "optimisation!gradient descent": the sub-entry "gradient descent" under "optimisation"


@dataclass(frozen=True)
class Mark:
    """One marked occurrence of a term."""

    term: str  # the main entry
    sub: str  # the sub-entry ('' for the main entry itself)
    id: str  # the anchor's id in the body
    section: str = ""  # the heading of the section it is in (a locator where there are no pages)
    paper: str = ""  # in a volume: the member paper's slug


@dataclass
class Entry:
    """An index entry: its own marks, its sub-entries' marks, see-also terms."""

    term: str
    marks: list[Mark] = field(default_factory=list)
    subs: dict[str, list[Mark]] = field(default_factory=dict)
    see: list[str] = field(default_factory=list)


def _plain(el) -> str:
    return re.sub(r"\s+", " ", el.text_content()).strip()


def marks(body_html: str) -> list[Mark]:
    """The index marks of a rendered body, in reading order, each with its section's heading."""
    from lxml import html as lxml_html

    if "index-term" not in body_html:
        return []
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    found, section = [], ""
    for el in root.iter("h2", "h3", "span"):
        if el.tag in ("h2", "h3"):
            if el.tag == "h2" or not section:
                section = _plain(el)
            continue
        if "index-term" not in (el.get("class") or "").split() or not el.get("id"):
            continue
        term, _, sub = (el.get("data-index-term") or "").partition(SUB)
        term, sub = term.strip(), sub.strip()
        if term:
            found.append(Mark(term, sub, el.get("id"), section))
    return found


def prefixed(index: list[Mark], prefix: str, paper: str) -> list[Mark]:
    """A paper's marks inside a volume: ids with the paper's prefix, the paper's slug noted."""
    return [Mark(m.term, m.sub, prefix + m.id, m.section, paper) for m in index]


def sort_key(term: str) -> tuple[str, str]:
    """Alphabetical order that ignores case, accents and leading punctuation."""
    plain = unicodedata.normalize("NFKD", term).encode("ascii", "ignore").decode("ascii") or term
    plain = re.sub(r"^[^0-9A-Za-z]+", "", plain)
    return plain.casefold(), term


def letter(term: str) -> str:
    """The letter heading a term is filed under ('#' for digits and symbols)."""
    first = sort_key(term)[0][:1].upper()
    return first if first.isalpha() else "#"


def entries(index: list[Mark], see_also: dict[str, list[str]] | None = None) -> list[tuple[str, list[Entry]]]:
    """The index as (letter, entries) groups in alphabetical order. Terms differing only in case are
    one entry (the first spelling wins); SEE_ALSO adds 'see also' references to entries that exist."""
    by_key: dict[str, Entry] = {}
    for m in index:
        entry = by_key.setdefault(m.term.casefold(), Entry(m.term))
        if m.sub:
            entry.subs.setdefault(m.sub, []).append(m)
        else:
            entry.marks.append(m)
    for term, others in (see_also or {}).items():
        entry = by_key.get(term.casefold())
        if entry is not None:
            entry.see = [o for o in others if o.casefold() in by_key]
    groups: dict[str, list[Entry]] = {}
    for entry in sorted(by_key.values(), key=lambda e: sort_key(e.term)):
        groups.setdefault(letter(entry.term), []).append(entry)
    return sorted(groups.items(), key=lambda g: (g[0] == "#", g[0]))


# ---- PDF ------------------------------------------------------------------------------------------------

def anchor_pages(document) -> dict[str, int]:
    """Page number of each anchor (id) in a WeasyPrint document, from its layout."""
    pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            pages.setdefault(name, number)
    return pages


def page_ranges(marks_: list[Mark], pages: dict[str, int]) -> list[tuple[str, str]]:
    """(label, id) locators: the pages of MARKS with consecutive pages merged ('12–14'), each linking
    to the first mark on its first page."""
    first_on: dict[int, str] = {}
    for m in marks_:
        if m.id in pages:
            first_on.setdefault(pages[m.id], m.id)
    numbers = sorted(first_on)
    out, i = [], 0
    while i < len(numbers):
        j = i
        while j + 1 < len(numbers) and numbers[j + 1] == numbers[j] + 1:
            j += 1
        label = str(numbers[i]) if i == j else f"{numbers[i]}\u2013{numbers[j]}"
        out.append((label, first_on[numbers[i]]))
        i = j + 1
    return out


def _e(text: str) -> str:
    return html_lib.escape(text, quote=True)


def _see(entry: Entry) -> str:
    return f' <span class="see-also"><em>see also</em> {_e("; ".join(entry.see))}</span>' if entry.see else ""


def _groups(index: list[Mark], see_also: dict | None, locators, sep: str, letter_attrs: str) -> list[str]:
    """The index's letter groups as HTML lines: each entry (and sub-entry) followed by SEP and its
    LOCATORS(marks); LETTER_ATTRS: the attributes of the letter headings."""
    parts = []
    for head, group in entries(index, see_also):
        parts.append(f'<div class="index-group"><h3{letter_attrs}>{_e(head)}</h3><ul class="index-entries">')
        for entry in group:
            own = locators(entry.marks)
            item = f'<li><span class="index-term">{_e(entry.term)}</span>{sep + own if own else ""}{_see(entry)}'
            if entry.subs:
                item += '<ul class="index-subentries">' + "".join(
                    f'<li><span class="index-term">{_e(sub)}</span>{sep}{locators(ms)}</li>'
                    for sub, ms in sorted(entry.subs.items(), key=lambda s: sort_key(s[0]))) + "</ul>"
            parts.append(item + "</li>")
        parts.append("</ul></div>")
    return parts


def pdf_section(index: list[Mark], pages: dict[str, int], see_also: dict | None = None,
                heading_class: str = "index-title", running: str = "") -> str:
    """The PDF's index (HTML for WeasyPrint): letter headings, entries, merged page ranges as links.
    RUNNING: HTML placed after the heading (a volume's running-head strings)."""
    def locators(ms: list[Mark]) -> str:
        return ", ".join(f'<a class="index-locator" href="#{_e(i)}">{label}</a>' for label, i in page_ranges(ms, pages))

    parts = [f'<section class="subject-index" id="subject-index" aria-labelledby="subject-index-title">',
             f'<style>{read_style("subject-index.css")}</style>',
             f'<h2 class="{heading_class}" id="subject-index-title">Index</h2>' + running]
    parts += _groups(index, see_also, locators, ", ", ' class="index-letter"')
    parts.append("</section>")
    return "\n".join(parts)


def into_print_html(source: str, section: str) -> str:
    """The print HTML with the index SECTION at the back (after the text, before </body>)."""
    at = source.rfind("</body>")
    return source[:at] + section + "\n" + source[at:] if at >= 0 else source + section


# ---- EPUB and HTML: locators are the sections the term appears in ------------------------------------

def _section_locators(ms: list[Mark], href) -> list[tuple[str, str]]:
    """(label, href) for every mark: the section's heading, numbered when a section has several."""
    out, seen = [], {}
    for m in ms:
        label = m.section or "Text"
        seen[label] = seen.get(label, 0) + 1
        out.append((label if seen[label] == 1 else f"{label} ({seen[label]})", href(m)))
    return out


def html_section(index: list[Mark], href=lambda m: "#" + m.id, see_also: dict | None = None,
                 xhtml: bool = False) -> str:
    """The index as HTML (the HTML page, the EPUB's index chapter): letter headings, entries, and a
    link to every occurrence labelled with the section it is in. HREF: a mark's link target."""
    def locators(ms: list[Mark]) -> str:
        return ", ".join(f'<a href="{_e(h)}">{_e(label)}</a>' for label, h in _section_locators(ms, href))

    epub = ' epub:type="index"' if xhtml else ""
    parts = [f'<section class="subject-index" id="subject-index"{epub} role="doc-index" '
             'aria-labelledby="subject-index-title">', '<h2 id="subject-index-title">Index</h2>']
    parts += _groups(index, see_also, locators, ": ", "")
    parts.append("</section>")
    return "\n".join(parts)


def epub_chapter(chapters: list, index: list[Mark], see_also: dict | None = None, file: str = "index.xhtml"):
    """The EPUB's index chapter (an editions.epub.Chapter, kind 'index'), linking into CHAPTERS;
    None when no mark made it into them."""
    from .editions import xhtml
    from .editions.epub import Chapter, _id_map

    where = _id_map(chapters)
    found = [m for m in index if m.id in where]
    if not found:
        return None
    section = html_section(found, lambda m: f"{where[m.id]}#{m.id}", see_also, xhtml=True)
    return Chapter(file, "Index", xhtml.fragment_elements(section), "index")
