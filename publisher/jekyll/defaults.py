"""Jekyll's front-matter defaults (`defaults:` in _config.yml), with its scope and precedence rules."""
from __future__ import annotations

from pathlib import Path
from typing import Any


def deep_merge(base: dict, other: dict) -> dict:
    """Jekyll::Utils.deep_merge_hashes: OTHER wins, nested mappings are merged."""
    merged = dict(base)
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _sanitize(path: Any) -> str:
    if not isinstance(path, str) or not path:
        return ""
    return path.lstrip("/") if path.startswith("/") else path


def _applies_path(scope: dict, rel: str, root: Path | None) -> bool:
    """FrontmatterDefaults#applies_path?: a string prefix match (so `_posts/2020` also matches
    `_posts/2020-01-01-x.md`, as in Jekyll), or a glob expanded against the site."""
    scope_path = scope.get("path")
    if not isinstance(scope_path, str) or not scope_path:
        return True
    if "*" in scope_path:
        if root is None:
            return False
        matches = [p.relative_to(root).as_posix() for p in root.glob(scope_path.lstrip("/"))]
        return any(rel.startswith(m) for m in matches)
    return rel.startswith(scope_path)


def _applies_type(scope: dict, kind: str) -> bool:
    # Drafts belong to the posts collection: Jekyll asks for the defaults of type "posts".
    return "type" not in scope or str(scope["type"]) in ("posts", "post")


def _has_precedence(old: dict | None, new: dict) -> bool:
    if old is None:
        return True
    new_path, old_path = _sanitize(new.get("path")), _sanitize(old.get("path"))
    if len(new_path) != len(old_path):
        return len(new_path) >= len(old_path)
    if "type" in new:
        return True
    return "type" not in old


def defaults_for(sets: list, rel: str, kind: str, root: Path | None = None) -> dict[str, Any]:
    """FrontmatterDefaults#all: the defaults that apply to REL; a longer path, then a type, wins."""
    merged: dict[str, Any] = {}
    old_scope = None
    for entry in sets if isinstance(sets, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("values"), dict):
            continue
        scope = entry.get("scope") if isinstance(entry.get("scope"), dict) else {}
        if "scope" in entry and not (_applies_type(scope, kind) and _applies_path(scope, rel, root)):
            continue
        if _has_precedence(old_scope, scope):
            merged = deep_merge(merged, entry["values"])
            old_scope = scope
        else:
            merged = deep_merge(entry["values"], merged)
    return merged


def merge_front_matter(defaults: dict, meta: dict) -> dict:
    """Front matter over defaults; `categories` are joined (Document#merge_categories!)."""
    merged = deep_merge(defaults, meta)
    dcats, mcats = defaults.get("categories"), meta.get("categories")
    if isinstance(dcats, str):
        dcats = dcats.split()
    if mcats is not None and isinstance(dcats, list):
        mcats = mcats.split() if isinstance(mcats, str) else (mcats if isinstance(mcats, list) else [mcats])
        merged["categories"] = dcats + [c for c in mcats if c not in dcats]
    return merged
