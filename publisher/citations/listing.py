"""A paper's references in the formats outside the editions: Highwire `citation_reference` values,
BibTeX entries, RIS records and CSL-JSON items (for the cite files publisher writes beside them).
Everything comes from the CSL-JSON items the citations stage put in `paper.references`."""
from __future__ import annotations

import re

from ..model import Paper

_RIS_TYPES = {"article-journal": "JOUR", "article": "JOUR", "book": "BOOK", "chapter": "CHAP",
              "paper-conference": "CPAPER", "thesis": "THES", "report": "RPRT", "webpage": "ELEC"}


def _one_line(text) -> str:
    return re.sub(r"<[^>]+>", "", re.sub(r"\s+", " ", str(text or ""))).strip()


def _names(item: dict) -> list[str]:
    names = []
    for n in item.get("author") or item.get("editor") or []:
        if not isinstance(n, dict):
            continue
        if n.get("literal"):
            names.append(_one_line(n["literal"]))
        else:
            family = " ".join(x for x in (n.get("non-dropping-particle"), n.get("family")) if x)
            names.append(", ".join(_one_line(x) for x in (family, n.get("given")) if x))
    return names


def _year(item: dict) -> str:
    parts = (item.get("issued") or {}).get("date-parts") if isinstance(item.get("issued"), dict) else None
    try:
        return str(parts[0][0])
    except (TypeError, IndexError, KeyError):
        return ""


def items(paper: Paper) -> list[dict]:
    """The paper's references as plain CSL-JSON items (publisher's own `_` fields removed)."""
    return [{k: v for k, v in item.items() if not k.startswith("_")} for item in getattr(paper, "references", [])]


def highwire(item: dict) -> str:
    """One `citation_reference` value: `citation_title=…; citation_author=…; …`."""
    fields = [("citation_title", _one_line(item.get("title")))]
    fields += [("citation_author", n) for n in _names(item)]
    fields += [("citation_publication_date", _year(item)),
               ("citation_journal_title", _one_line(item.get("container-title"))),
               ("citation_volume", _one_line(item.get("volume"))), ("citation_doi", _one_line(item.get("DOI")))]
    return "; ".join(f"{k}={v.replace(';', ',')}" for k, v in fields if v)


def ris(item: dict) -> str:
    """One RIS record for ITEM, CRLF line ends."""
    lines = [("TY", _RIS_TYPES.get(str(item.get("type")), "GEN")), ("ID", str(item.get("id"))),
             ("TI", _one_line(item.get("title")))]
    lines += [("AU", n) for n in _names(item)]
    lines += [("PY", _year(item)), ("T2", _one_line(item.get("container-title"))),
              ("VL", _one_line(item.get("volume"))), ("SP", _one_line(item.get("page"))),
              ("PB", _one_line(item.get("publisher"))), ("DO", _one_line(item.get("DOI"))),
              ("UR", _one_line(item.get("URL"))), ("ER", "")]
    return "".join(f"{tag}  - {value}\r\n" for tag, value in lines if value or tag == "ER")


def bibtex(item: dict) -> str:
    """ITEM's BibTeX entry: its source text when it came from a .bib file, else a @misc made from it."""
    if item.get("_bibtex"):
        return item["_bibtex"].rstrip() + "\n"
    from ..cite import bib_escape

    fields = [("title", "{" + bib_escape(_one_line(item.get("title"))) + "}"),
              ("author", " and ".join(bib_escape(n) for n in _names(item))), ("year", _year(item)),
              ("journal", bib_escape(_one_line(item.get("container-title")))),
              ("doi", _one_line(item.get("DOI"))), ("url", _one_line(item.get("URL")))]
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields if v and v != "{}")
    return f"@misc{{{item.get('id')},\n{body}\n}}\n"
