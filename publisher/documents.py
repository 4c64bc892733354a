"""The rendered documents of volume members, kept in the build record (issue 17).

A paper that is a member of a volume leaves the Document of its one pandoc pass in
`OUT/.publisher/documents/<slug>.json`, under the key of everything that pass was made from
(cache.render_key). The volume stage reads it back instead of running pandoc again, whether the
paper was built in this run (in any worker) or taken from the cache. The file is JSON through
publisher/statecodec.py, never a pickle: reading it cannot run code. A file that is missing,
unreadable, of another version or of another key is ignored (the member goes through pandoc).
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from . import statecodec
from .cache import STATE_DIR
from .dist import atomic_write
from .model import Document

FOLDER = "documents"
VERSION = 1
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,100}")


def path(out: Path, slug: str) -> Path:
    """Where the document of paper SLUG is kept (a hash for a slug that is not a plain file name)."""
    name = slug if _SAFE.fullmatch(slug) else hashlib.sha256(slug.encode("utf-8")).hexdigest()[:32]
    return out / STATE_DIR / FOLDER / f"{name}.json"


def save(out: Path, slug: str, key: str, doc: Document) -> None:
    """Keep DOC (fresh from pandoc, before its images are resolved) for the volumes; a document that
    cannot be recorded or written is simply not kept."""
    try:
        text = json.dumps({"version": VERSION, "slug": slug, "key": key, "document": statecodec.encode(doc)},
                          separators=(",", ":"), ensure_ascii=False)
        atomic_write(path(out, slug), text)
    except (TypeError, ValueError, OSError):
        pass


def load(out: Path, slug: str, key: str) -> Document | None:
    """The document save() kept for SLUG under KEY, or None."""
    try:
        data = json.loads(path(out, slug).read_bytes())
        if not (isinstance(data, dict) and data.get("version") == VERSION and data.get("key") == key
                and data.get("slug") == slug):
            return None
        doc = statecodec.decode(data["document"])
    except (OSError, ValueError, KeyError, RecursionError):
        return None
    return doc if isinstance(doc, Document) else None


def prune(out: Path, keep: set[str]) -> None:
    """Remove the kept documents of papers that are not in KEEP (slugs)."""
    folder = out / STATE_DIR / FOLDER
    if not folder.is_dir():
        return
    wanted = {path(out, slug).name for slug in keep}
    for f in folder.glob("*.json"):
        if f.name not in wanted:
            try:
                f.unlink(missing_ok=True)
            except OSError:  # a read-only OUT: the stale record is ignored all the same (its key)
                pass
