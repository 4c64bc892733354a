""""Cite this paper": BibTeX, RIS and CSL-JSON files made from a paper's metadata.

They are written next to the editions (`OUT/<slug>/<slug>.bib`, `.ris`, `.csl.json`) and linked from
the HTML page. Everything comes from the front matter and the site config; no clock is read.
"""
from __future__ import annotations

import dataclasses
import html
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import identifiers
from .dist import atomic_write
from .model import Author, Document, Paper

@dataclass(frozen=True)
class CiteFile:
    """One citation file: its name in `OUT/<slug>/`, a label for the link and its media type."""

    name: str
    label: str
    type: str


def as_rendered(paper: Paper, doc: Document) -> Paper:
    """PAPER with its title and subtitle as the reader sees them (plain text of pandoc's rendering), so a
    front-matter title such as 'A &amp; *B*' is cited as 'A & B'."""
    subtitle = html.unescape(re.sub(r"<[^>]+>", "", doc.subtitle_html)).strip() if doc.subtitle_html else ""
    return dataclasses.replace(paper, title=doc.title_text or paper.title, subtitle=subtitle or paper.subtitle)


def files(slug: str) -> list[CiteFile]:
    """The citation files of a paper, in the order the page lists them."""
    return [CiteFile(f"{slug}.bib", "BibTeX", "application/x-bibtex"),
            CiteFile(f"{slug}.ris", "RIS", "application/x-research-info-systems"),
            CiteFile(f"{slug}.csl.json", "CSL-JSON", "application/vnd.citationstyles.csl+json")]


def doi(paper: Paper) -> str:
    """The paper's DOI (bare, '10.x/y') when its identifier is one, else ''."""
    return identifiers.doi(paper.identifier)


def split_name(author: Author) -> tuple[str, str]:
    """(family, given) from the author's sort name ('Lovelace, Ada'); a single name is all family."""
    sort = author.file_as or author.name
    if "," in sort:
        family, given = sort.split(",", 1)
        return family.strip(), given.strip()
    return sort.strip(), ""


def _ascii_word(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]", "", text)


def key(paper: Paper) -> str:
    """A citation key: first author's family name, year, first long word of the title ('weller2024open')."""
    family = _ascii_word(split_name(paper.authors[0])[0]).lower() if paper.authors else ""
    words = [w for w in (_ascii_word(w).lower() for w in paper.title.split()) if len(w) > 3] or ["paper"]
    return f"{family or 'anon'}{paper.date.year}{words[0]}"


def kind(paper: Paper) -> str:
    """'report' for a paper in a series or from an organisation, otherwise 'article'."""
    return "report" if (paper.series or paper.publisher) else "article"


_BIB_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%", "$": r"\$",
                "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def bib_escape(text: str) -> str:
    """TeX-escape TEXT for a BibTeX field (UTF-8 kept: biber and modern bibtex read it)."""
    return "".join(_BIB_SPECIAL.get(c, c) for c in re.sub(r"\s+", " ", text).strip())


def bibtex(paper: Paper, url: str = "", pdf_url: str = "") -> str:
    """A BibTeX entry (@techreport for a report, @online otherwise)."""
    fields: list[tuple[str, str]] = [("title", "{" + bib_escape(paper.title) + "}")]
    if paper.subtitle:
        fields.append(("subtitle", bib_escape(paper.subtitle)))
    if paper.authors:
        fields.append(("author", " and ".join(
            bib_escape(", ".join(x for x in split_name(a) if x)) if split_name(a)[1] else "{" + bib_escape(a.name) + "}"
            for a in paper.authors)))
    fields += [("year", str(paper.date.year)), ("month", str(paper.date.month)),
               ("date", paper.date.strftime("%Y-%m-%d"))]
    entry_type = "techreport" if kind(paper) == "report" else "online"
    if entry_type == "techreport":
        fields.append(("institution", bib_escape(paper.publisher or paper.series)))
        fields.append(("type", "Working Paper" if paper.series else "Report"))
    if paper.series:
        fields.append(("series", bib_escape(paper.series)))
    if paper.excerpt:
        fields.append(("abstract", bib_escape(paper.excerpt)))
    if paper.tags:
        fields.append(("keywords", bib_escape(", ".join(paper.tags))))
    fields.append(("langid", bib_escape(paper.lang)))
    if doi(paper):
        fields.append(("doi", doi(paper)))
    if url or pdf_url:
        fields.append(("url", url or pdf_url))
    if pdf_url and url:
        fields.append(("file", pdf_url))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@{entry_type}{{{key(paper)},\n{body}\n}}\n"


def ris(paper: Paper, url: str = "", pdf_url: str = "") -> str:
    """An RIS record (RPRT for a report, ELEC otherwise), CRLF line ends as the format asks."""
    lines = [("TY", "RPRT" if kind(paper) == "report" else "ELEC"), ("TI", paper.title)]
    if paper.subtitle:
        lines.append(("T2", paper.subtitle))
    for a in paper.authors:
        family, given = split_name(a)
        lines.append(("AU", f"{family}, {given}" if given else family))
    lines += [("PY", str(paper.date.year)), ("DA", paper.date.strftime("%Y/%m/%d"))]
    if paper.series:
        lines.append(("T3", paper.series))
    if paper.publisher:
        lines.append(("PB", paper.publisher))
    if paper.excerpt:
        lines.append(("AB", paper.excerpt))
    lines += [("KW", t) for t in paper.tags]
    lines.append(("LA", paper.lang))
    if doi(paper):
        lines.append(("DO", doi(paper)))
    if url:
        lines.append(("UR", url))
    if pdf_url:
        lines.append(("L1", pdf_url))
    lines.append(("ER", ""))
    return "".join(f"{tag}  - {_one_line(value)}\r\n" for tag, value in lines)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def csl_json(paper: Paper, url: str = "", pdf_url: str = "") -> list[dict]:
    """A CSL-JSON array with one item, as citation managers (Zotero, pandoc --citeproc) read it."""
    item: dict = {"id": key(paper), "type": "report" if kind(paper) == "report" else "article",
                  "title": paper.title, "language": paper.lang,
                  "issued": {"date-parts": [[paper.date.year, paper.date.month, paper.date.day]]}}
    authors = []
    for a in paper.authors:
        family, given = split_name(a)
        authors.append({"family": family, "given": given} if given else {"literal": a.name})
    if authors:
        item["author"] = authors
    if paper.excerpt:
        item["abstract"] = paper.excerpt
    if paper.series:
        item["collection-title"] = paper.series
        item["genre"] = "Working paper"
    if paper.publisher:
        item["publisher"] = paper.publisher
    if paper.tags:
        item["keyword"] = ", ".join(paper.tags)
    if doi(paper):
        item["DOI"] = doi(paper)
    if url or pdf_url:
        item["URL"] = url or pdf_url
    return [item]


def write(paper: Paper, out_dir: Path, url: str = "", pdf_url: str = "") -> list[CiteFile]:
    """Write the three citation files into OUT_DIR; return what was written, for the page's links.

    URL is the paper's public address (canonical), PDF_URL the PDF's; either may be empty.
    """
    from .citations import listing  # issue 14: the paper's references follow the paper's own record

    refs = getattr(paper, "references", [])
    bib, ris_file, csl = files(paper.slug)
    atomic_write(out_dir / bib.name, bibtex(paper, url, pdf_url) + "".join("\n" + listing.bibtex(i) for i in refs))
    atomic_write(out_dir / ris_file.name, ris(paper, url, pdf_url) + "".join(listing.ris(i) for i in listing.items(paper)))
    atomic_write(out_dir / csl.name, json.dumps(csl_json(paper, url, pdf_url) + listing.items(paper), ensure_ascii=False,
                                                indent=2, sort_keys=True) + "\n")
    return [bib, ris_file, csl]


def reference(paper: Paper, url: str = "") -> str:
    """The paper's reference as one line of plain text (author–date style), for the page."""
    names = []
    for a in paper.authors:
        family, given = split_name(a)
        initials = " ".join(w[0] + "." for w in given.replace("-", " ").split() if w)
        names.append(f"{family}, {initials}" if initials else family)
    who = (", ".join(names[:-1]) + " and " + names[-1]) if len(names) > 1 else (names[0] if names else "")
    title = paper.title + (f": {paper.subtitle}" if paper.subtitle else "")
    parts = [f"{who} ({paper.date.year})" if who else f"({paper.date.year})", f"“{title}”"]
    if paper.series:
        parts.append(paper.series)
    if paper.publisher and paper.publisher != paper.series:
        parts.append(paper.publisher)
    text = ", ".join(parts[1:])
    text = f"{parts[0]} {text}."
    if doi(paper):
        text += f" https://doi.org/{doi(paper)}"
    elif url:
        text += f" {url}"
    return text
