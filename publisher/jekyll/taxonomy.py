"""Jekyll's categories and tags (Document#populate_categories / #populate_tags)."""
from __future__ import annotations

from typing import Any


def _text(value: Any) -> str:
    """Ruby's to_s for YAML scalars (floats keep their shortest form, true/false lower case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _flatten(items: list) -> list:
    out: list = []
    for item in items:
        if isinstance(item, list):
            out.extend(_flatten(item))
        elif item is not None:
            out.append(item)
    return out


def _plural(meta: dict, key: str) -> list | None:
    """Utils.value_from_plural_key: a string is split on whitespace, a list kept; anything else is ignored."""
    if key not in meta or meta[key] is None:
        return None
    value = meta[key]
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if v is not None]
    return None


def pluralized(meta: dict, singular: str, plural: str) -> list:
    """Utils.pluralized_array_from_hash: the singular key wins (as is, not split), else the plural one."""
    value = meta.get(singular) if singular in meta else None
    if value is None:
        value = _plural(meta, plural)
    return _flatten([value])


def _unique(items) -> list[str]:
    return list(dict.fromkeys(_text(i) for i in items if _text(i).strip()))


def categories(meta: dict, dir_categories: list[str]) -> list[str]:
    """Folder categories (`cat/_posts/`), then `categories`, then `category` (or `categories` again)."""
    plural = meta.get("categories")
    listed = plural.split() if isinstance(plural, str) else _flatten(plural if isinstance(plural, list) else
                                                                     ([] if plural is None else [plural]))
    return _unique(list(dir_categories) + listed + pluralized(meta, "category", "categories"))


def tags(meta: dict) -> list[str]:
    """`tag` (as is) or `tags` (string split on whitespace, or a list); numbers become text."""
    return _unique(pluralized(meta, "tag", "tags"))
