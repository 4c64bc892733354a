"""Reading bibliography files (BibTeX, BibLaTeX, CSL-JSON, CSL-YAML) into CSL-JSON items.

pandoc reads BibTeX, but one malformed entry makes it refuse the whole file. So a .bib file is split
into its entries first: an entry whose braces do not balance is reported at its line of the .bib
and left out, and pandoc reads the rest; if pandoc still stops at an entry, that entry is reported
and left out in turn. Each item keeps where it came from (`_file`, `_line`), its entry type
(`_type`) and, for BibTeX, its source text (`_bibtex`), for the cite files and messages.
"""
from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..model import Problem
from ..pandoc import run as pandoc_run
from . import bibmath

_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(]", re.M)
_KEY = re.compile(r"^[ \t]*@[ \t]*[A-Za-z]+[ \t]*[{(]\s*([^,\s]+)\s*,")
_SPECIAL = {"string", "preamble", "comment"}
_CACHE: dict[tuple, "BibFile"] = {}
MAX_RETRIES = 25  # entries pandoc may stop at before the whole file is given up
BIBTEX_SUFFIXES = (".bib", ".bibtex", ".biblatex")
SUFFIXES = BIBTEX_SUFFIXES + (".json", ".yaml", ".yml")


@dataclass
class BibFile:
    """One bibliography file as read: its items (CSL-JSON dicts) and what was wrong with it."""

    rel: str
    items: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def keys(self) -> set[str]:
        return {str(i.get("id")) for i in self.items}


@dataclass
class _Chunk:
    line: int  # 1-based line in the file
    kind: str  # entry type, lower case
    key: str
    text: str


def _chunks(text: str) -> tuple[list[_Chunk], str]:
    """The file's entries, each from its `@type{` line to the next; and the text before the first."""
    starts = [m.start() for m in _ENTRY_START.finditer(text)]
    chunks = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(text)
        body = text[start:end]
        kind = _ENTRY_START.match(body).group(1).lower()
        m = _KEY.match(body)
        chunks.append(_Chunk(text.count("\n", 0, start) + 1, kind, m.group(1) if m else "", body))
    return chunks, text[:starts[0]] if starts else text


def _entry_end(text: str) -> int | None:
    """Where one entry's braces close (TeX escapes `\\{` `\\}` aside), or None when they never do.
    What follows (a stray `}`, a comment) is not part of the entry, as BibTeX reads it."""
    opener = re.match(r"[ \t]*@[ \t]*[A-Za-z]+[ \t]*([{(])", text)
    if opener and opener.group(1) == "(":
        return len(text) if text.count("(") - text.count(")") == 0 else None
    if not opener:
        return None  # (every chunk starts with `@type{` or `@type(`: see _chunks)
    from ..texmacros import group_end

    return group_end(text, opener.start(1))


def _pandoc_csl(text: str, pandoc: str, fmt: str, timeout: float) -> tuple[list[dict] | None, str]:
    try:
        proc = pandoc_run([pandoc, f"--from={fmt}", "--to=csljson", "--sandbox"], "bibliography",
                          input=text.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"pandoc took longer than {timeout:g} s to read it"
    if proc.returncode != 0:
        return None, proc.stderr.decode("utf-8", "replace")
    return json.loads(proc.stdout.decode("utf-8") or "[]"), ""


def read_bibtex(text: str, rel: str, pandoc: str, timeout: float = 60, fmt: str = "bibtex") -> BibFile:
    """TEXT (a .bib file) as CSL-JSON items; malformed entries are reported at their line and skipped."""
    result = BibFile(rel)
    chunks, _ = _chunks(text)
    good: list[_Chunk] = []
    seen: dict[str, int] = {}
    for ch in chunks:
        if ch.kind in _SPECIAL:
            good.append(ch)
            continue
        end = _entry_end(ch.text)
        if end is not None:
            ch.text = ch.text[:end] + "\n" * ch.text[end:].count("\n")  # keep the line count for pandoc's lines
        if end is None:
            result.problems.append(Problem(rel, ch.line, f"bibliography entry '{ch.key or ch.kind}' is malformed "
                                           "(its braces do not balance); skipped",
                                           "close every { with a } and end the entry with }", severity="warning"))
            continue
        if ch.key in seen:
            result.problems.append(Problem(rel, ch.line, f"bibliography key '{ch.key}' is defined twice "
                                           f"(first at line {seen[ch.key]}); the first is used",
                                           "give each entry its own key", severity="warning"))
            continue
        seen[ch.key] = ch.line
        good.append(ch)
    items = None
    for attempt in range(len(good) + 1):
        joined = "".join(ch.text if ch.text.endswith("\n") else ch.text + "\n" for ch in good)
        items, err = _pandoc_csl(joined, pandoc, fmt, timeout)
        if items is not None:
            break
        m = re.search(r"line (\d+), column (\d+)", err)
        bad = _blame(good, int(m.group(1)), int(m.group(2))) if m else None
        if bad is None or attempt >= MAX_RETRIES:
            detail = re.sub(r"\s+", " ", err).strip()[:300]
            result.problems.append(Problem(rel, None, f"pandoc cannot read this bibliography: {detail}",
                                           severity="warning"))
            items = []
            break
        result.problems.append(Problem(rel, bad.line, f"bibliography entry '{bad.key or bad.kind}' cannot be read; "
                                       "skipped", "check its fields: name = {value}, separated by commas",
                                       severity="warning"))
        good.remove(bad)
    bibmath.math_as_text(items or [], pandoc, timeout)  # "$\\epsilon$-free" → "ϵ-free", not TeX in the list
    by_key = {ch.key: ch for ch in good}
    for item in items or []:
        ch = by_key.get(str(item.get("id")))
        item["_file"] = rel
        if ch is not None:
            item["_line"] = ch.line
            item["_type"] = ch.kind
            item["_bibtex"] = ch.text.strip() + "\n"
    result.items = items or []
    return result


def _blame(chunks: list[_Chunk], line: int, col: int) -> _Chunk | None:
    """The entry that pandoc's error at LINE:COL of the joined text belongs to (an unexpected start of
    an entry is the previous entry's fault)."""
    pos, found = 1, None
    for i, ch in enumerate(chunks):
        lines = ch.text.count("\n") + (0 if ch.text.endswith("\n") else 1)
        if pos <= line < pos + lines:
            found = i
            if line == pos and col <= 2 and i > 0:
                found = i - 1
            break
        pos += lines
    if found is None:
        return chunks[-1] if chunks else None
    while found > 0 and chunks[found].kind in _SPECIAL:
        found -= 1
    return chunks[found]


def read_csl(text: str, rel: str, is_json: bool) -> BibFile:
    """A CSL-JSON or CSL-YAML file (a list of items, or a mapping with `references:`)."""
    result = BibFile(rel)
    try:
        data = json.loads(text) if is_json else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 1) if mark else getattr(exc, "lineno", None)
        result.problems.append(Problem(rel, line, f"cannot read this bibliography: {str(exc).splitlines()[0]}",
                                       severity="warning"))
        return result
    if isinstance(data, dict):
        data = data.get("references") or data.get("items") or []
    result.items = csl_items(data, rel, result.problems)
    return result


def csl_items(data, rel: str, problems: list[Problem]) -> list[dict]:
    """The usable items of a CSL list (each a mapping with an `id`); others are reported."""
    items = []
    for n, item in enumerate(data if isinstance(data, list) else []):
        if isinstance(item, dict) and item.get("id") not in (None, ""):
            item = {k: v for k, v in item.items() if not str(k).startswith("_")}
            item["id"] = str(item["id"])
            item["_file"] = rel
            items.append(item)
        else:
            problems.append(Problem(rel, None, f"reference {n + 1} has no id; skipped",
                                    "give each reference an id:", severity="warning"))
    return items


def read(path: Path, rel: str, pandoc: str, timeout: float = 60) -> BibFile:
    """Read the bibliography file PATH (cached while its size and time are unchanged)."""
    try:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        if key in _CACHE:
            return _CACHE[key]
        text = path.read_bytes().decode("utf-8-sig", "replace").replace("\r\n", "\n")
    except OSError as exc:
        return BibFile(rel, problems=[Problem(rel, None, f"cannot read this bibliography: {exc.strerror}",
                                              severity="warning")])
    suffix = path.suffix.lower()
    if suffix in BIBTEX_SUFFIXES:
        result = read_bibtex(text, rel, pandoc, timeout, "biblatex" if suffix == ".biblatex" else "bibtex")
    else:
        result = read_csl(text, rel, suffix == ".json")
    if len(_CACHE) > 64:
        _CACHE.clear()
    _CACHE[key] = result
    return result
