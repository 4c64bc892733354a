"""Which files are posts and drafts. Reads no bodies."""
from __future__ import annotations

import os
import re
from pathlib import Path

from .model import Problem, SourceFile

# Extensions Jekyll converts as Markdown (markdown_ext plus the ones real sites use).
MARKDOWN_EXTS = {".md", ".markdown", ".mkdn", ".mkd", ".mdown", ".mdwn", ".mkdown", ".text"}
# Jekyll::Document::DATE_FILENAME_MATCHER: only such files in _posts/ are posts.
DATE_FILENAME = re.compile(r"^(\d{2,4}-\d{1,2}-\d{1,2})-([^/]*)(\.[^.]+)$")
# Posts Jekyll publishes without Markdown conversion (Liquid only); publisher reads them as HTML.
HTML_EXTS = {".html", ".htm"}
SKIP_DIRS = {"_site", "node_modules", "vendor", ".git", ".jekyll-cache", ".sass-cache", "_includes",
             "_layouts", "_data", "_sass", "dist"}


def is_site(root: Path) -> bool:
    """A Jekyll site has `_posts/` or `_config.yml` at its root."""
    return (root / "_posts").is_dir() or (root / "_config.yml").is_file()


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root)
        return True
    except ValueError:
        return False


def _walk(folder: Path, root: Path, problems: list[Problem], exts=MARKDOWN_EXTS):
    """Files with one of EXTS under FOLDER (Markdown by default), sorted, refusing symlinks that leave
    the root. Other files that Jekyll would publish as posts are reported (posts only)."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        kept = []
        for d in dirnames:
            p = here / d
            if p.is_symlink() and not _inside(p, root):
                problems.append(Problem(str(p.relative_to(root)), None, "symlink points outside the site; skipped",
                                        "copy the files into the site instead", severity="warning"))
            elif p.is_symlink():
                continue  # os.walk does not follow it; avoid loops, it is inside the site anyway
            else:
                kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            ext = os.path.splitext(name)[1].lower()  # (os.path, not a Path per file: an archive has tens of thousands)
            if ext not in exts and not (exts is not MARKDOWN_EXTS and DATE_FILENAME.match(name)):
                continue
            p = here / name
            if ext not in exts:
                if _has_front_matter(p):
                    problems.append(Problem(p.relative_to(root).as_posix(), None,
                                            f"Jekyll publishes this post, but publisher reads only Markdown and "
                                            f"HTML posts; '{Path(name).suffix}' is skipped",
                                            "convert it to Markdown (.md) or HTML (.html)", severity="warning"))
                continue
            if ext in HTML_EXTS and not _has_front_matter(p):
                continue  # an HTML file without front matter is a static file to Jekyll, not a post
            if p.is_symlink() and not _inside(p, root):
                problems.append(Problem(p.relative_to(root).as_posix(), None,
                                        "symlink points outside the site; skipped",
                                        "copy the file into the site instead", severity="warning"))
                continue
            if p.is_file():
                yield p


def _has_front_matter(path: Path) -> bool:
    """Whether PATH starts with a YAML front matter line (Jekyll makes only such files posts)."""
    try:
        with path.open("rb") as f:
            return f.read(3 + 3).lstrip(b"\xef\xbb\xbf").startswith(b"---")
    except OSError:
        return False


def discover(root: Path, drafts: bool = False) -> tuple[list[SourceFile], list[Problem]]:
    """Find the posts (and drafts, when asked) under ROOT, in a stable order."""
    root = root.resolve()
    problems: list[Problem] = []
    found: list[SourceFile] = []
    if is_site(root):
        post_dirs = []
        for dirpath, dirnames, _ in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS
                                 and not (here / d).is_symlink())
            for special in ("_posts", "_drafts"):
                if special in dirnames:
                    post_dirs.append((here / special, special))
            dirnames[:] = [d for d in dirnames if d not in ("_posts", "_drafts")]
        for folder, special in post_dirs:
            if special == "_drafts" and not drafts:
                continue
            parent_rel = folder.parent.relative_to(root).as_posix()
            dir_cats = [] if parent_rel == "." else parent_rel.split("/")
            for p in _walk(folder, root, problems, MARKDOWN_EXTS | HTML_EXTS):
                rel = p.relative_to(root).as_posix()
                if special == "_posts" and not DATE_FILENAME.match(p.name):
                    problems.append(Problem(rel, None, "the file name does not start with a date (YYYY-MM-DD-); "
                                            "Jekyll does not publish it, so it is skipped",
                                            "rename it YYYY-MM-DD-slug.md (a 'date:' key does not make Jekyll "
                                            "read it), or move it to _drafts/", severity="warning"))
                    continue
                found.append(SourceFile(p, rel, "post" if special == "_posts" else "draft", dir_cats))
    else:
        for p in _walk(root, root, problems):
            found.append(SourceFile(p, p.relative_to(root).as_posix(), "post", []))
    found.sort(key=lambda s: s.rel)
    return found, problems
