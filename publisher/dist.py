"""Writing into OUT: atomic writes, the manifest, removal of stale editions."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path


def sha256_file(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def atomic_write(path: Path, data: bytes | str) -> Path:
    """Write DATA to PATH through a temporary file in the same folder and a rename.

    A reader (or a build killed half-way) sees either the old file or the new one, never a part.
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def atomic_json(path: Path, data) -> Path:
    """Write DATA as stable, pretty JSON, atomically."""
    return atomic_write(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def remove_partials(out: Path) -> int:
    """Remove temporary files left by an interrupted build; returns how many."""
    count = 0
    if out.is_dir():
        for p in out.rglob(".*.part"):
            try:
                p.unlink()
                count += 1
            except OSError:
                pass
    return count
