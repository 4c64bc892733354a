"""The markers the citation syntaxes leave in a post's body for the citations stage.

jekyll-scholar tags and distill elements become pandoc Markdown where they stand; what they say
about the bibliography itself (another file to read, which entries to list) is left as an HTML
comment that the citations stage reads and removes before pandoc runs.
"""
from __future__ import annotations

import re

_MARK = re.compile(r"<!--publisher-citations ([a-z]+)=\"([^\"]*)\"-->")
_SIMPLE_KEY = re.compile(r"[^\W](?:[^\W]|[:.#$%&\-+?<>~/](?=[^\W]))*")


def mark(name: str, value: str) -> str:
    """A marker saying NAME=VALUE (e.g. file="other.bib", nocite="*")."""
    return f'<!--publisher-citations {name}="{value.replace(chr(34), "")}"-->'


def take(body: str) -> tuple[str, list[tuple[str, str]]]:
    """BODY without its markers, and the markers as (name, value) in order."""
    found = [(m.group(1), m.group(2)) for m in _MARK.finditer(body)]
    return (_MARK.sub("", body) if found else body), found


def cite_key(key: str) -> str:
    """KEY as pandoc writes a citation key: `@key`, or `@{key}` when it has other characters."""
    return f"@{key}" if _SIMPLE_KEY.fullmatch(key) else "@{" + key.replace("}", "") + "}"


def citation(keys: list[str], locators: list[str] | None = None) -> str:
    """A bracketed pandoc citation of KEYS, each with its locator when given: `[@a, p. 3; @b]`."""
    locators = locators or []
    parts = []
    for i, key in enumerate(keys):
        loc = locators[i] if i < len(locators) else ""
        parts.append(cite_key(key) + (f", {loc}" if loc else ""))
    return "[" + "; ".join(parts) + "]"
