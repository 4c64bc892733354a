"""The audit of a volume (issue 17): a manifest entry with `"kind": "volume"` and its `members`.

A volume has no source post: its EPUB and PDF are the member papers' texts set one after the other, and
its HTML edition is a contents page that links to the papers' own pages. So the audit
- compares the EPUB and the PDF with each other (body words, headings, figures, equations, notes …),
  exactly as for a paper, the EPUB taking the HTML page's place as the reference;
- checks that the volume's body words and headings are its members' (the sum of their HTML pages'
  counts, within the word tolerance; every heading);
- checks that the contents page links to every member's page.
A volume with one reference list (`bibliography: volume`) sets each cited entry once: its members'
lists are then taken off their counts and the volume's list added instead.
What counts as body text in a volume is in docs/audit.md.
"""
from __future__ import annotations

import dataclasses
import time
import zipfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from ..model import Problem
from . import PaperAudit, measure_editions
from .compare import NAMES, compare, word_tolerance
from .markup import normpath

OUTLINE_LEVELS = 3  # styles/volume-print.css: the volume PDF's outline has h2 and h3, not h4–h6


def audit_volume(out: Path, entry: dict, members: dict[str, PaperAudit]) -> PaperAudit:
    """The audit of the volume ENTRY of OUT's manifest; MEMBERS: the audits of the papers, by slug."""
    started = time.monotonic()
    slug = entry.get("slug", "")
    editions = entry.get("editions", {})
    where = (editions.get("epub") or editions.get("pdf") or editions.get("html") or {}).get("path", slug)
    result = PaperAudit(slug, where, kind="volume")
    measure_editions(out, editions, result, volume=True)
    view = dict(result.measures)  # the PDF's outline holds only the levels the volume bookmarks
    one_list = volume_references(out, editions)
    if "epub" in view:
        heads = outlined(view["epub"])
        if one_list is not None:  # the PDF's outline has the volume's list at the top level, with the papers
            heads = _without(heads, one_list.headings or [])
        view["epub"] = dataclasses.replace(view["epub"], headings=heads)
    result.findings += compare(PaperAudit(slug, where, measures=view), None, editions)
    wanted = entry.get("members") or []
    known = [members[s] for s in wanted if s in members]
    for s in wanted:
        if s not in members:
            result.findings.append(Problem(where, None, f"member {s!r} of the volume is not a paper of the manifest",
                                           "the volume names a paper the build did not make"))
    _compare_with_members(result, known, where, out, one_list)
    if editions.get("html"):
        result.findings += _contents_page_links(out, editions["html"].get("path", ""), wanted)
    result.seconds = time.monotonic() - started
    return result


def outlined(m) -> list[str]:
    """The headings of M (an HTML page or EPUB's measures) that the volume PDF's outline shows."""
    return [h for h, level in zip(m.headings or [], m.heading_levels) if level <= OUTLINE_LEVELS]


def _member_reference(member: PaperAudit):
    """The member's reference measures: its HTML page, else its EPUB."""
    return member.measures.get("html") or member.measures.get("epub")


def _without(headings: list[str], drop: list[str]) -> list[str]:
    """HEADINGS less one occurrence of each of DROP (the last)."""
    kept = list(headings)
    for title in drop:
        if title in kept:
            del kept[len(kept) - 1 - kept[::-1].index(title)]
    return kept


def _reference_list(root):
    """The measures of the reference list in ROOT (`section#references` holding `#refs`), or None."""
    from .markup import measure_bodies

    found = root.xpath('//*[local-name()="section"][@id="references"][.//*[@id="refs"]]')
    return measure_bodies(found[:1]) if found else None


def volume_references(out: Path, editions: dict):
    """The measures of the volume's one reference list (its EPUB's `references.xhtml`, which
    `bibliography: volume` makes), or None."""
    from lxml import etree

    path = (editions.get("epub") or {}).get("path")
    if not path:
        return None
    try:
        with zipfile.ZipFile(out / path) as z:
            name = next((n for n in z.namelist() if n.rsplit("/", 1)[-1] == "references.xhtml"), None)
            return _reference_list(etree.fromstring(z.read(name))) if name else None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, etree.XMLSyntaxError):
        return None


def _member_lists(out: Path, members: list[PaperAudit]) -> list:
    """The measures of each member's own reference list on its HTML page (those that have one)."""
    from lxml import html as lxml_html

    found = []
    for m in members:
        try:
            page = lxml_html.fromstring((out / m.slug / "index.html").read_bytes())
        except (OSError, ValueError):
            continue
        refs = _reference_list(page)
        if refs is not None:
            found.append(refs)
    return found


def _compare_with_members(result: PaperAudit, members: list[PaperAudit], where: str, out: Path | None = None,
                          one_list=None) -> None:
    """The volume's body words and headings against the sum of its members' (ONE_LIST: the volume's
    one reference list, which stands for the members' own)."""
    refs = [_member_reference(m) for m in members]
    if not members or any(r is None or r.words is None for r in refs):
        return
    words = sum(r.words for r in refs)
    own_lists = _member_lists(out, members) if one_list is not None and out is not None else []
    if one_list is not None:
        words += (one_list.words or 0) - sum(r.words or 0 for r in own_lists)
    tol = word_tolerance(words)
    for fmt in ("epub", "pdf"):
        m = result.measures.get(fmt)
        if m is None:
            continue
        heads = sum(len(outlined(r) if fmt == "pdf" else r.headings or []) for r in refs)
        if one_list is not None:  # the members' list titles are gone; the volume's is in the EPUB's headings
            heads -= sum(len(r.headings or []) for r in own_lists)
            heads += len(one_list.headings or []) if fmt == "epub" else 0
        if m.words is not None and abs(m.words - words) > tol:
            result.findings.append(Problem(where, None, f"the volume's {NAMES[fmt]} has {m.words} words of body text, "
                                           f"its {len(members)} papers {words} (more than {tol} apart)",
                                           "a paper's text is missing from or duplicated in the volume"))
        if m.headings is not None and len(m.headings) != heads:
            result.findings.append(Problem(where, None, f"the volume's {NAMES[fmt]} has {len(m.headings)} headings, "
                                           f"its {len(members)} papers {heads}",
                                           "a heading was lost, or the volume made one of something else"))


def _contents_page_links(out: Path, page: str, members: list[str]) -> list[Problem]:
    """A finding for every member whose page the volume's contents page (PAGE, relative to OUT) does not link to."""
    from lxml import html as lxml_html

    path = out / page
    try:
        doc = lxml_html.fromstring(path.read_bytes())
    except (OSError, ValueError) as exc:
        return [Problem(page, None, f"the volume's contents page cannot be read for the audit: {exc}")]
    base = PurePosixPath(page).parent
    linked: set[str] = set()
    for a in doc.iter("a"):
        href = a.get("href") or ""
        if not href or urlsplit(href).scheme or href.startswith("//"):
            continue
        target = normpath(str(base / unquote(urlsplit(href).path)))
        linked.add(target)
    return [Problem(page, None, f"the volume's contents page does not link to its paper {s!r}",
                    "every paper of the volume should be listed with a link to its page")
            for s in members if not any(t == s or t.startswith(s.strip("/") + "/") for t in linked)]

