"""Cross-references (issue 18): what the pandoc pass needs from the config, and its warnings with lines.

The numbering and linking happen in `filters/callouts.lua`, `filters/theorems.lua` and
`filters/crossref.lua`. The filters log `crossref: …` warnings (a missing or duplicate label) without
a source line; warnings() finds the line in the post and turns them into Problems.
"""
from __future__ import annotations

import re

from .model import Paper, Problem

FILTERS = ["callouts.lua", "theorems.lua", "crossref.lua"]  # in this order, after the other house filters
# What each filter looks for, in the Markdown handed to pandoc. A filter whose syntax the post does not
# use is not run: on a long post each costs Lua time (crossref.lua about 0.3 s per 100 kB).
_WANTS = {
    "callouts.lua": re.compile(r"\[!\w+\]|^ {0,3}:::|\{:\s*\.(notice|block-)|<aside\b|<div\b[^>]*\b(notice|block-)", re.M | re.I),
    "theorems.lua": re.compile(r"^ {0,3}:::", re.M),
    "crossref.lua": re.compile(r"(?<![\w.])@\[?[A-Za-z]+[:-]|\\(label|e?q?ref|tag|autoref|[cC]ref)\s*\{"
                               r"|\{[^}\n]*#[A-Za-z]+[:-]|\\begin\s*\{(equation|align|gather|multline|eqnarray|flalign|alignat)\}"),
}
_CHUNK = re.compile(r"\n(?=\[WARNING\]|\[ERROR\]|\[INFO\])")
_MISSING = re.compile(r"crossref: reference to a missing label '([^']*)' \(written (.*)\)$")
_DUPLICATE = re.compile(r"crossref: label '([^']*)' is defined twice")


def _flag(value) -> bool:
    return value is True or str(value).strip().lower() in ("true", "yes", "1")


def filters(paper: Paper, list_of_figures: bool = False, list_of_tables: bool = False) -> list[str]:
    """The filters of FILTERS that PAPER needs, in order (crossref.lua also for the lists of figures and tables)."""
    lists = bool(pandoc_args(paper, list_of_figures, list_of_tables))
    return [name for name in FILTERS if _WANTS[name].search(paper.body) or (lists and name == "crossref.lua")]


def pandoc_args(paper: Paper, list_of_figures: bool = False, list_of_tables: bool = False) -> list[str]:
    """Metadata arguments for the crossref filter: the lists of figures and tables, from the site's
    `publisher:` options, overridden by the post's own front matter `publisher: {list_of_figures: …}`."""
    own = paper.meta.get("publisher") if isinstance(paper.meta.get("publisher"), dict) else {}
    args = []
    if _flag(own.get("list_of_figures", list_of_figures)):
        args.append("--metadata=list-of-figures:true")
    if _flag(own.get("list_of_tables", list_of_tables)):
        args.append("--metadata=list-of-tables:true")
    return args


def _line(paper: Paper, *needles: str) -> int | None:
    """The source line of the first of NEEDLES found in the post's body (mapped through Liquid and kramdown)."""
    lines = paper.body.split("\n")
    for needle in needles:
        for i, text in enumerate(lines):
            if needle and needle in text:
                if paper.line_map and i < len(paper.line_map):
                    return paper.line_map[i]
                return paper.body_line + i
    return None


def _label_needles(label: str) -> list[str]:
    return [f"{{#{label}}}", f"#{label} ", f"#{label}}}", f"\\label{{{label}}}", f"#{label}"]


def warnings(stderr: str, paper: Paper) -> tuple[str, list[Problem]]:
    """Take the crossref filter's warnings out of pandoc's STDERR; return the rest and them as Problems."""
    if "crossref: " not in stderr:
        return stderr, []
    kept, problems, seen = [], [], set()
    for chunk in _CHUNK.split(stderr):
        text = re.sub(r"\s+", " ", chunk).strip()
        missing, duplicate = _MISSING.search(text), _DUPLICATE.search(text)
        if missing:
            label, written = missing.groups()
            key = ("missing", label, written)
            if key not in seen:
                seen.add(key)
                problems.append(Problem(paper.rel_source, _line(paper, written, label),
                                        f"reference to a missing label '{label}' (shown as ??)",
                                        f"label the figure, table or equation with {{#{label}}} or "
                                        f"\\label{{{label}}}, or correct the reference", severity="warning"))
        elif duplicate:
            label = duplicate.group(1)
            lines = paper.body.split("\n")
            found = [i for i, t in enumerate(lines) if any(n in t for n in _label_needles(label))]
            line = None
            if len(found) > 1:
                i = found[1]
                line = paper.line_map[i] if paper.line_map and i < len(paper.line_map) else paper.body_line + i
            problems.append(Problem(paper.rel_source, line, f"label '{label}' is defined twice",
                                    "give each figure, table or equation its own label; references go to the first",
                                    severity="warning"))
        else:
            kept.append(chunk)
    return "\n".join(kept), problems
