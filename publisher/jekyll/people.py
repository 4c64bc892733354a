"""Authors from `author`/`authors`: strings, lists, mappings, ids in `_data/authors.yml`."""
from __future__ import annotations

import html
import re

from ..model import Author

_TAG = re.compile(r"<[^>]+>")


def plain(text: str) -> str:
    """Strip HTML tags and entities; collapse whitespace."""
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", str(text)))).strip()


def file_as(name: str) -> str:
    """'Ada Lovelace' → 'Lovelace, Ada' (single names and 'particles' kept simple)."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def _one(value, data_authors: dict) -> Author | None:
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        name = value.get("name") or value.get("display_name") or ""
        if not name:
            return None
        name = plain(name)
        return Author(name=name, file_as=str(value.get("file_as") or file_as(name)),
                      url=str(value.get("url") or value.get("web") or ""), email=str(value.get("email") or ""),
                      bio=str(value.get("bio") or ""), role=str(value.get("role") or "aut"))
    key = str(value).strip()
    if key in data_authors:
        found = data_authors[key]
        if isinstance(found, dict):
            found = {"name": key, **found}
            return _one(found, {})
        if isinstance(found, str):
            return _one(found, {})
    name = plain(key)
    return Author(name=name, file_as=file_as(name)) if name else None


_AND = re.compile(r"\s*(?:,\s*and\s+|\s+and\s+|\s*&\s*|\s*;\s*|,\s*)", re.I)


def split_names(text: str) -> list[str]:
    """'A, B and C' / 'A & B' / 'A; B' → ['A', 'B', 'C'] (for `publisher.split_authors: true`)."""
    return [part for part in _AND.split(text.strip()) if part]


def authors(meta: dict, data_authors: dict, split: bool = False) -> list[Author]:
    """The post's authors, in order, without duplicates. With SPLIT, a string such as 'A and B' names
    several authors; by default it is one name, left as written."""
    raw = meta.get("authors")
    if raw is None:
        raw = meta.get("author")
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    if split:
        items = [name for item in items for name in
                 (split_names(plain(item)) if isinstance(item, str) and item not in (data_authors or {})
                  else [item])]
    result: list[Author] = []
    for item in items:
        a = _one(item, data_authors or {})
        if a and a.name not in [x.name for x in result]:
            result.append(a)
    return result
