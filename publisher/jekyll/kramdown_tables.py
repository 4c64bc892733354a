"""kramdown tables → pandoc pipe tables, before pandoc (no pandoc call here).

kramdown reads as a table any block of lines that each hold a `|` (after a blank line, up to the next
one); a separator line (`|---|---|`) after the first rows makes them the header, a separator line
before every row is ignored, one between body rows starts a new body part, and a `|===|` line starts
the footer. pandoc's pipe table wants one header row then a separator line, and nothing else: a
table that opens with a separator line became a line block (`| ---`), and a later separator line a
row of dashes. Such a block is rewritten as a pipe table of the same cells: the header row (an empty
one when kramdown's table has none: pandoc then sets a table without a header), one separator line
with kramdown's alignments, the other rows in order. A table pandoc already reads is left alone.
"""
from __future__ import annotations

import re

_SEP = re.compile(r"^[ \t]*[+|: \t-]*-[+|: \t-]*$")
_FOOT_SEP = re.compile(r"^[ \t]*[+|: \t]*=[+|: \t=]*$")
_LEADING_PIPE = re.compile(r"^ {0,3}\|")
_MASK = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)|\$\$.*?\$\$")  # a | in code or math divides no cells


def _masked(line: str) -> str:
    return _MASK.sub(lambda m: "x" * len(m.group(0)), line.replace("\\|", "xx"))


def _cells(line: str) -> list[str]:
    """The cells of a table row (a leading and a trailing `|` open and close the row)."""
    masked = _masked(line)
    bounds = [m.start() for m in re.finditer(r"\|", masked)]
    text = line.strip()
    offset = len(line) - len(line.lstrip())
    bounds = [b - offset for b in bounds]
    if bounds and bounds[0] == 0:
        text, bounds = text[1:], [b - 1 for b in bounds[1:]]
    if bounds and bounds[-1] == len(text) - 1:
        text, bounds = text[:-1], bounds[:-1]
    cells, start = [], 0
    for b in bounds:
        cells.append(text[start:b])
        start = b + 1
    cells.append(text[start:])
    return cells


def _alignment(cell: str) -> str:
    cell = cell.strip()
    left, right = cell.startswith(":"), cell.endswith(":")
    return {(True, True): ":---:", (True, False): ":---", (False, True): "---:"}.get((left, right), "---")


def _is_table(block: list[str]) -> bool:
    if block[0].startswith(("    ", "\t")) or not all("|" in _masked(line) for line in block):  # indented: code
        return False
    kinds = [_kind(line) for line in block]
    if "row" not in kinds:
        return False
    return all(_LEADING_PIPE.match(line) for line in block) or "sep" in kinds[1:]


def _kind(line: str) -> str:
    if _SEP.match(line):
        return "sep"
    return "foot" if _FOOT_SEP.match(line) else "row"


def _pipe_table(block: list[str]) -> list[str]:
    """BLOCK (a kramdown table) as a pandoc pipe table, padded with blank lines to at least its length."""
    kinds = [_kind(line) for line in block]
    rows = [line for line, kind in zip(block, kinds) if kind == "row"]
    first_row = kinds.index("row")
    head_sep = next((i for i in range(first_row + 1, len(block)) if kinds[i] != "row"), None)
    columns = max(len(_cells(r)) for r in rows)
    if head_sep is not None and kinds[head_sep] == "sep":
        aligns = [_alignment(c) for c in _cells(block[head_sep])]
        header, body = rows[0], rows[1:]
    else:
        aligns, header, body = [], "|" + " |" * columns, rows
    aligns = (aligns + ["---"] * columns)[:columns]
    out = [header, "|" + "|".join(aligns) + "|"] + body
    return out + [""] * (len(block) - len(out))


def _ready(block: list[str]) -> bool:
    """A table pandoc reads as kramdown does: a header row, a separator line, rows only."""
    kinds = [_kind(line) for line in block]
    return len(kinds) >= 2 and kinds[0] == "row" and kinds[1] == "sep" and all(k == "row" for k in kinds[2:])


def to_pipe_tables(lines: list[str]) -> list[str]:
    """LINES (Markdown outside code) with every kramdown table pandoc would misread rewritten."""
    if not any("|" in line for line in lines):
        return lines
    out: list[str] = []
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip() or (i and lines[i - 1].strip()):
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < n and lines[j].strip():
            j += 1
        block = lines[i:j]
        out.extend(_pipe_table(block) if _is_table(block) and not _ready(block) else block)
        i = j
    return out
