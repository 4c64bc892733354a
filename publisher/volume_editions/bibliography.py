"""One bibliography for a whole volume (`bibliography: volume`, issue 17).

Each member's reference list (the `<section id="references">` citeproc made in its own pandoc pass)
is taken out of its body; its entries are merged, each key once (as the first paper citing it
rendered it, with its back-link to that citation), and put in the order the CSL style sorts them,
which one citeproc run over the merged entries gives. Every citation's link to `#pNN-ref-KEY` then
points to the volume's entry `#ref-KEY`, which the PDF and the EPUB place at the back.

A numeric style numbers citations paper by paper, so one list would contradict the numbers in the
text: such a volume keeps each paper's list, with a warning."""
from __future__ import annotations

import dataclasses
import html
import json
import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import html as lxml_html

from ..model import Document, Paper, Problem

SECTION_ID = "references"  # the volume's list: <section id="references"> with <div id="refs">
_NUMERIC = re.compile(r"citation-format\s*=\s*[\"'](numeric|label)[\"']")  # the style's own category
_CITATION = re.compile(r"<citation\b.*?</citation>", re.S)  # else: its citations print citation-number


@dataclass
class Bibliography:
    """The volume's reference list: its title and its entries (HTML, ids `ref-KEY`), in order."""

    title: str = "References"
    entries: list[tuple[str, str]] = field(default_factory=list)  # (key, entry HTML)

    def html(self, running: str = "") -> str:
        """The list as a section (RUNNING: HTML placed after the heading, the PDF's running heads)."""
        items = "\n".join(entry for _, entry in self.entries)
        return (f'<section id="{SECTION_ID}" class="level2 unnumbered references volume-references" '
                f'aria-labelledby="{SECTION_ID}-title">\n'
                f'<h2 id="{SECTION_ID}-title" class="unnumbered references">{html.escape(self.title, quote=False)}</h2>{running}\n'
                f'<div id="refs" class="references csl-bib-body hanging-indent" role="list">\n{items}\n</div>\n'
                '</section>')


def numeric(paper: Paper) -> bool:
    """Whether PAPER's CSL style numbers (or labels) its citations: its category says so, or its
    citations print the citation number."""
    csl = paper.citations.get("csl") if getattr(paper, "citations", None) else None
    try:
        text = Path(csl).read_text(encoding="utf-8", errors="replace") if csl else ""
    except OSError:
        return False
    citation = _CITATION.search(text)
    return bool(_NUMERIC.search(text) or (citation and 'variable="citation-number"' in citation.group(0)))


def take_references(doc: Document, prefix: str) -> tuple[Document, str, list[tuple[str, str]]]:
    """DOC (ids prefixed with PREFIX) without its reference list, its citations pointing to the
    volume's entries; returns (doc, the list's title, [(key, entry HTML with the id `ref-KEY`)])."""
    if f'id="{prefix}refs"' not in doc.body_html:
        return doc, "", []
    from ..editions.body import parse, serialize

    root = parse(doc.body_html)
    section = next((s for s in root.iter("section") if s.get("id") == prefix + SECTION_ID
                    and s.find(f".//div[@id='{prefix}refs']") is not None), None)
    if section is None:
        return doc, "", []
    head = section.find("h2")
    title = re.sub(r"\s+", " ", head.text_content()).strip() if head is not None else ""
    entries = []
    own = prefix + "ref-"
    for entry in section.iter("div"):
        ident = entry.get("id") or ""
        if ident.startswith(own) and "csl-entry" in (entry.get("class") or "").split():
            entry.set("id", "ref-" + ident[len(own):])
            entry.tail = "\n"
            entries.append((ident[len(own):], lxml_html.tostring(entry, encoding="unicode").strip()))
    _drop(section)
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#" + own):
            a.set("href", "#ref-" + href[len(own) + 1:])
    headings = [h for h in doc.headings if h.id != prefix + SECTION_ID]
    return dataclasses.replace(doc, body_html=serialize(root), headings=headings), title, entries


def _drop(el) -> None:
    """Remove EL, keeping the text after it."""
    parent = el.getparent()
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def merge(lists: list[tuple[str, list[tuple[str, str]]]], order: list[str] | None) -> Bibliography:
    """One list out of the members' (title, entries): each key once (its first rendering), in ORDER
    (the style's; keys it does not name follow, by their text)."""
    first: dict[str, str] = {}
    title = ""
    for t, entries in lists:
        title = title or t
        for key, entry in entries:
            first.setdefault(key, entry)
    rank = {key: i for i, key in enumerate(order or [])}

    def sort_key(key: str):
        text = re.sub(r"\s+", " ", lxml_html.fragment_fromstring(first[key]).text_content()).strip().casefold()
        return (rank.get(key, len(rank)), text, key)

    return Bibliography(title or "References", [(k, first[k]) for k in sorted(first, key=sort_key)])


def style_order(papers: list[Paper], keys: set[str], timeout: float) -> list[str] | None:
    """The keys in the order the first citing paper's CSL style sorts its list, from one citeproc run
    over the merged entries (None when it cannot be had: the entries are then sorted by their text)."""
    from ..pandoc import pandoc_path, run

    items: dict[str, dict] = {}
    for p in papers:
        for item in p.references:
            if item.get("id") in keys:
                items.setdefault(item["id"], {k: v for k, v in item.items() if not k.startswith("_")})
    if not items:
        return None
    csl = next((p.citations.get("csl") for p in papers if p.references and p.citations.get("csl")), None)
    fd, name = tempfile.mkstemp(prefix="publisher-volume-refs-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump([items[k] for k in sorted(items)], f, ensure_ascii=False, sort_keys=True)
        args = [pandoc_path(), "--from=markdown", "--to=html5", "--citeproc", "--sandbox", f"--bibliography={name}"]
        args += [f"--csl={csl}"] if csl else []
        proc = run(args, "volume-bibliography", input=b"---\nnocite: '@*'\n---\n", capture_output=True,
                   timeout=timeout)
    except (OSError, ValueError, TypeError, subprocess.TimeoutExpired):
        return None
    finally:
        Path(name).unlink(missing_ok=True)
    if proc.returncode != 0:
        return None
    return re.findall(r'<div id="ref-([^"]+)" class="csl-entry', proc.stdout.decode("utf-8", "replace"))


def volume_problem(file: str, line: int | None, slug: str, style_paper: Paper) -> Problem:
    """The warning for a volume bibliography that a numeric style rules out."""
    return Problem(file, line, f"volume '{slug}': '{style_paper.slug}' cites in a numeric style, which numbers "
                   "the citations of each paper on its own; each paper keeps its own reference list",
                   "use an author-date style (csl:) for one volume bibliography, or bibliography: per-paper",
                   severity="warning")
