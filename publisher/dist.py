"""Writing into OUT: atomic writes, the manifest, removal of stale editions."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
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
    if unchanged(path, data):
        return path  # same bytes already there: leave the file (and its mtime) alone
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not exc.filename:
            exc.filename = str(path)  # disk full: say which file could not be written
        raise
    return path


def unchanged(path: Path, data: bytes) -> bool:
    """Whether PATH already holds exactly DATA."""
    try:
        if path.stat().st_size != len(data):
            return False
        with open(path, "rb") as f:
            return f.read() == data
    except OSError:
        return False


def atomic_json(path: Path, data) -> Path:
    """Write DATA as stable, pretty JSON, atomically."""
    return atomic_write(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n")


def remove_partials(out: Path, older_than: float = 0) -> int:
    """Remove temporary files left by an interrupted build (only those last written more than
    OLDER_THAN seconds ago); returns how many."""
    count = 0
    if out.is_dir():
        now = time.time()
        # os.walk (scandir) rather than Path.rglob: ten times faster on an archive's thousands of folders
        for p in (Path(d) / f for d, _, files in os.walk(out) for f in files
                  if f.startswith(".") and f.endswith(".part")):
            try:
                if older_than and now - p.stat().st_mtime <= older_than:
                    continue
                p.unlink()
                count += 1
            except OSError:
                pass
    return count


def remove_paper_dirs(out: Path, slugs: list[str]) -> list[str]:
    """Remove `OUT/<slug>/` for each slug (papers no longer built); returns the folders removed."""
    import shutil

    removed = []
    for slug in slugs:
        folder = out / slug
        if not slug or "/" in slug or slug.startswith(".") or folder.resolve().parent != out.resolve():
            continue  # only ever a direct child of OUT
        if folder.is_dir():
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(slug)
    return removed


def clean_out(out: Path, source: Path) -> None:
    """Empty OUT (for `--clean`), refusing anything that is not a publisher output folder."""
    import shutil

    out, source = out.resolve(), source.resolve()
    if not out.exists():
        return
    from .model import InputError, Problem

    if out == source or out in source.parents:
        raise InputError(Problem(str(out), None, "--clean refuses to empty a folder that holds or is inside the sources",
                                 "choose another output folder with -o"))
    if any(out.iterdir()) and not ((out / "manifest.json").is_file() or (out / ".publisher").is_dir()):
        raise InputError(Problem(str(out), None, "--clean refuses to empty a folder publisher did not write "
                                 "(it has no manifest.json)", "remove it yourself, or choose another -o"))
    for p in out.iterdir():
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()
