"""Volumes: many papers as one book (issue 17).

A volume is declared in `_config.yml` under `publisher: volumes:` (or once, on the command line, with
`--volume 'category=policy' --volume-title '…'`). This module turns that declaration into a Volume
(a data class), and selects and orders the member papers. The editions are assembled in
`publisher/volume_editions/`, and the build stage is `publisher/volume_build.py`.
"""
from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from .model import InputError, Paper, Problem

VOLUME_KEYS = ("slug", "title", "subtitle", "editors", "publisher", "isbn", "date", "cover", "description",
               "select", "papers", "order", "contents_sections", "lang", "bibliography")
SELECT_KEYS = ("category", "tag", "series", "from", "to")
ORDERS = ("date", "title", "listed")
BIBLIOGRAPHIES = ("per-paper", "volume")  # each paper's references at its end, or one list at the back
SLUG = re.compile(r"[a-z0-9][a-z0-9._-]*")
FOLDER = "volumes"  # OUT/volumes/<slug>/


@dataclass
class Volume:
    """One volume: its metadata, which papers it holds and in what order."""

    slug: str
    title: str
    subtitle: str = ""
    editors: list[str] = field(default_factory=list)
    publisher: str = ""
    isbn: str = ""
    date: str = ""  # YYYY-MM-DD; default: the newest member's date
    cover: str = ""  # an image file under the site root, for the PDF and EPUB covers
    description: str = ""
    select: dict[str, str] = field(default_factory=dict)  # category, tag, series, from, to
    papers: list[str] = field(default_factory=list)  # an explicit list of slugs, in this order
    order: str = "date"  # date (oldest first), title, or listed (the order of `papers`)
    contents_sections: bool = True  # the PDF's contents list each paper's sections too
    lang: str = ""  # default: the site's language
    bibliography: str = "per-paper"  # or "volume": one reference list at the back (volume_editions/bibliography.py)
    line: int | None = None  # where it is declared, for messages
    file: str = "_config.yml"

    @property
    def key(self) -> str:
        """The name of its record in the build state and the manifest: `volumes/<slug>`."""
        return f"{FOLDER}/{self.slug}"

    def declaration(self) -> dict:
        """What the volume was declared as (for its cache key): everything but where it was declared."""
        data = asdict(self)
        data.pop("line")
        data.pop("file")
        return data


def _slug(text: str) -> str:
    """An ASCII file name from TEXT ('Annual Papers 2025' → 'annual-papers-2025'; accents and other
    scripts transliterated first)."""
    from text_unidecode import unidecode

    from .jekyll.names import slugify

    return slugify(unidecode(text), mode="ascii")


def _problem(file: str, line: int | None, message: str, hint: str = "") -> InputError:
    return InputError(Problem(file, line, message, hint))


def _text(value: Any, what: str, file: str, line: int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise _problem(file, line, f"volume {what} must be text, not {type(value).__name__}")
    return value.strip()


def _date(value: Any, what: str, file: str, line: int | None) -> str:
    text = _text(value, what, file, line)
    if text and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        raise _problem(file, line, f"volume {what} {text!r} is not a date", "write it as YYYY-MM-DD")
    if text:
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            raise _problem(file, line, f"volume {what} {text!r} is not a date", "write it as YYYY-MM-DD") from None
    return text


def _bibliography(value: Any, file: str, line: int | None) -> str:
    text = _text(value, "bibliography", file, line) or "per-paper"
    text = text.lower()
    if text not in BIBLIOGRAPHIES:
        raise _problem(file, line, f"unknown volume bibliography {value!r}",
                       "use per-paper (each paper's references at its end, the default) or volume (one list at "
                       "the back of the volume)")
    return text


def parse_one(data: Any, file: str, line: int | None, index: int) -> Volume:
    """One entry of `publisher: volumes:` as a Volume; InputError (file:line) when it is malformed."""
    if not isinstance(data, dict):
        raise _problem(file, line, f"volume {index} must be a mapping (slug:, title:, select: or papers:)")
    for key in data:
        if key not in VOLUME_KEYS:
            close = difflib.get_close_matches(str(key), VOLUME_KEYS, n=1)
            raise _problem(file, line, f"unknown volume key '{key}'",
                           f"did you mean '{close[0]}'?" if close else "known keys: " + ", ".join(VOLUME_KEYS))
    title = _text(data.get("title"), "title", file, line)
    slug = _text(data.get("slug"), "slug", file, line)
    if not slug and title:
        slug = _slug(title)
    if not title or not slug:
        raise _problem(file, line, f"volume {index} needs a title (and a slug)", "add title: and slug: to it")
    if not SLUG.fullmatch(slug):
        raise _problem(file, line, f"volume slug {slug!r} is not a file name",
                       "use lower-case letters, digits, '-', '_' and '.'")
    editors = data.get("editors") or []
    if isinstance(editors, str):
        editors = [e.strip() for e in re.split(r",|\band\b", editors) if e.strip()]
    if not isinstance(editors, list) or not all(isinstance(e, str) for e in editors):
        raise _problem(file, line, "volume editors must be a list of names")
    select = data.get("select") or {}
    if isinstance(select, str):
        select = parse_selection(select, file, line)
    if not isinstance(select, dict):
        raise _problem(file, line, "volume select must be a mapping (category:, tag:, series:, from:, to:)")
    for key in select:
        if key not in SELECT_KEYS:
            raise _problem(file, line, f"unknown volume selection '{key}'", "select by " + ", ".join(SELECT_KEYS))
    select = {k: (_date(v, k, file, line) if k in ("from", "to") else _text(v, k, file, line))
              for k, v in select.items() if v not in (None, "")}
    papers = data.get("papers") or []
    if not isinstance(papers, list) or not all(isinstance(p, str) for p in papers):
        raise _problem(file, line, "volume papers must be a list of paper slugs")
    if not select and not papers:
        raise _problem(file, line, f"volume '{slug}' selects no papers", "give it select: or papers:")
    order = _text(data.get("order"), "order", file, line) or ("listed" if papers and not select else "date")
    if order in ("as listed", "list"):
        order = "listed"
    if order not in ORDERS:
        raise _problem(file, line, f"unknown volume order {order!r}", "use date, title or listed")
    bibliography = _bibliography(data.get("bibliography"), file, line)
    sections = data.get("contents_sections", True)
    if not isinstance(sections, bool):
        raise _problem(file, line, "volume contents_sections must be true or false")
    return Volume(slug=slug, title=title, subtitle=_text(data.get("subtitle"), "subtitle", file, line),
                  editors=list(editors), publisher=_text(data.get("publisher"), "publisher", file, line),
                  isbn=_text(data.get("isbn"), "isbn", file, line), date=_date(data.get("date"), "date", file, line),
                  cover=_text(data.get("cover"), "cover", file, line),
                  description=_text(data.get("description"), "description", file, line), select=select,
                  papers=list(papers), order=order, contents_sections=sections,
                  lang=_text(data.get("lang"), "lang", file, line), bibliography=bibliography, line=line, file=file)


def parse_config(value: Any, file: str, line: int | None) -> list[Volume]:
    """The `publisher: volumes:` list as Volumes (the config's validation step)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise _problem(file, line, "publisher option 'volumes' must be a list of volumes",
                       "write each volume as '- slug: …' with title: and select: or papers:")
    volumes = [parse_one(v, file, line, i) for i, v in enumerate(value, start=1)]
    seen: set[str] = set()
    for v in volumes:
        if v.slug in seen:
            raise _problem(file, line, f"two volumes have the slug '{v.slug}'", "give each volume its own slug")
        seen.add(v.slug)
    return volumes


def parse_selection(text: str, file: str = "--volume", line: int | None = None) -> dict[str, str]:
    """'category=policy,from=2025-01-01' (the --volume option) as a selection mapping."""
    select: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",") if p.strip()):
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or key not in SELECT_KEYS:
            raise _problem(file, line, f"bad volume selection {part!r}",
                           "write key=value pairs separated by commas, keys: " + ", ".join(SELECT_KEYS))
        select[key] = value.strip()
    return select


def from_command_line(selection: str, title: str | None, bibliography: str | None = None) -> Volume:
    """The one-off volume of `--volume SELECTION --volume-title TITLE [--volume-bibliography B]`."""

    select = parse_selection(selection)
    data: dict[str, Any] = {"title": title or "Volume", "select": select, "bibliography": bibliography}
    if title:
        data["slug"] = _slug(title)
    else:
        data["slug"] = _slug("-".join(select.values())) or "volume"
    return parse_one(data, "--volume", None, 1)


def _matches(paper: Paper, select: dict[str, str]) -> bool:
    day = paper.date.date().isoformat()
    if "category" in select and select["category"].lower() not in [c.lower() for c in paper.categories]:
        return False
    if "tag" in select and select["tag"].lower() not in [t.lower() for t in paper.tags]:
        return False
    if "series" in select and select["series"] != paper.series:
        return False
    if "from" in select and day < select["from"]:
        return False
    if "to" in select and day > select["to"]:
        return False
    return True


def members(volume: Volume, papers: list[Paper]) -> tuple[list[Paper], list[Problem]]:
    """The papers of VOLUME, in its order, out of every paper of the site; warnings for listed slugs
    that are not papers of this build."""
    problems = []
    by_slug = {p.slug: p for p in papers}
    if volume.papers:
        chosen = []
        for slug in volume.papers:
            if slug in by_slug:
                if by_slug[slug] not in chosen:
                    chosen.append(by_slug[slug])
            else:
                close = difflib.get_close_matches(slug, by_slug, n=1)
                problems.append(Problem(volume.file, volume.line, f"volume '{volume.slug}' lists '{slug}', which is "
                                        "not a paper of this build; left out",
                                        f"did you mean '{close[0]}'?" if close else "check the slug (publisher list)",
                                        severity="warning"))
        if volume.select:
            chosen = [p for p in chosen if _matches(p, volume.select)]
    else:
        chosen = [p for p in papers if _matches(p, volume.select)]
    if volume.order == "date":
        chosen.sort(key=lambda p: (p.date, p.slug))
    elif volume.order == "title":
        chosen.sort(key=lambda p: (p.title.casefold(), p.slug))
    return chosen, problems
