"""One bibliography for a whole volume (`bibliography: volume`, issue 17).

Each member's reference list (the `<section id="references">` citeproc made in its own pandoc pass)
is taken out of its body; its entries are merged, each work once (as the first paper citing it
rendered it, with its back-link to that citation), and put in the order the CSL style sorts them,
which one citeproc run over the merged entries gives. Every citation's link to `#pNN-ref-KEY` then
points to the volume's entry `#ref-KEY`, which the PDF and the EPUB place at the back. A key that
two papers' bibliographies define differently (their own .bib files) is two works: the second gets
the id `ref-KEY--2`.

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


@dataclass
class Gathered:
    """The members' reference lists, as they are taken out of their bodies: the works they cite (one
    id in the volume per key and CSL item) and, per medium, each member's (title, entries)."""

    ids: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # key → [(item as JSON, volume id)]
    items: dict[str, dict] = field(default_factory=dict)  # volume id less 'ref-' → the CSL item (that id)
    lists: dict[str, list] = field(default_factory=dict)  # "pdf"/"epub" → [(title, [(volume id, entry HTML)])]

    def ids_of(self, paper: Paper) -> dict[str, str]:
        """Key → the volume's id of each entry PAPER's bibliography defines."""
        found = {}
        for item in paper.references:
            key = str(item.get("id", ""))
            clean = {k: v for k, v in item.items() if not k.startswith("_")}
            signature = json.dumps(clean, sort_keys=True, ensure_ascii=False, default=str)
            known = self.ids.setdefault(key, [])
            ident = next((i for s, i in known if s == signature), None)
            if ident is None:
                ident = f"ref-{key}" + (f"--{len(known) + 1}" if known else "")
                known.append((signature, ident))
                self.items[ident[4:]] = {**clean, "id": ident[4:]}
            found[key] = ident
        return found


def take_references(doc: Document, prefix: str, ids: dict[str, str]) -> tuple[Document, str, list[tuple[str, str]]]:
    """DOC (ids prefixed with PREFIX) without its reference list, its citations pointing to the
    volume's entries (IDS: key → the entry's id in the volume, `ref-KEY` unless Gathered.ids_of says
    otherwise); returns (doc, the list's title, [(volume id, entry HTML with that id)])."""
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
            volume_id = ids.get(ident[len(own):], "ref-" + ident[len(own):])
            entry.set("id", volume_id)
            entry.tail = "\n"
            entries.append((volume_id, lxml_html.tostring(entry, encoding="unicode").strip()))
    _drop(section)
    for a in root.iter("a"):
        href = a.get("href") or ""
        if href.startswith("#" + own):
            a.set("href", "#" + ids.get(href[len(own) + 1:], "ref-" + href[len(own) + 1:]))
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
    """One list out of the members' (title, entries): each id once (its first rendering), in ORDER
    (the style's, ids less 'ref-'; ids it does not name follow, by their text)."""
    first: dict[str, str] = {}
    title = ""
    for t, entries in lists:
        title = title or t
        for key, entry in entries:
            first.setdefault(key, entry)
    rank = {"ref-" + key: i for i, key in enumerate(order or [])}

    def sort_key(ident: str):
        text = re.sub(r"\s+", " ", lxml_html.fragment_fromstring(first[ident]).text_content()).strip().casefold()
        return (rank.get(ident, len(rank)), text, ident)

    return Bibliography(title or "References", [(k, first[k]) for k in sorted(first, key=sort_key)])


def style_order(papers: list[Paper], items: dict[str, dict], timeout: float) -> list[str] | None:
    """The ITEMS' ids (the volume's, less 'ref-') in the order the first citing paper's CSL style
    sorts its list, from one citeproc run over them (None when it cannot be had: the entries are then
    sorted by their text)."""
    from ..pandoc import pandoc_path, run

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
