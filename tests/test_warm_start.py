"""Issue 8, speed: what a fresh `publisher build` does to start typesetting sooner.

- WeasyPrint is imported without ctypes' library search (subprocesses, about 0.3 s per process);
- the static font cuts are kept in a cache folder between runs;
- a build of one paper with a spare CPU typesets its PDF in a child forked (and warmed) at the start,
  while the parent makes the other editions, and the editions are the same bytes as one at a time.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from publisher import config, isolation
from publisher.build import BuildOptions, Job, _warm_worker, build, build_paper, collect

ROOT = Path(__file__).resolve().parent.parent

COUNT_SEARCHES = """
import ctypes.util, sys
calls = []
search = ctypes.util.find_library
def counting(name):
    calls.append(name)
    return search(name)
ctypes.util.find_library = counting
if sys.argv[1] == "publisher":
    from publisher.editions import pdf
    weasyprint = pdf.load_weasyprint()
else:
    import weasyprint
assert ctypes.util.find_library is counting, "the library search was not put back"
assert weasyprint.HTML(string="<p>Fast.</p>").write_pdf().startswith(b"%PDF")
print(len(calls))
"""


def _searches(how: str) -> int:
    out = subprocess.run([sys.executable, "-c", COUNT_SEARCHES, how], capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return int(out.stdout.split()[-1])


@pytest.mark.slow
def test_weasyprint_is_imported_without_the_library_search():
    assert _searches("plain") > 0  # WeasyPrint on its own searches (what the test would catch)
    assert _searches("publisher") == 0


FONT_DIR = """
import sys
from publisher.editions import pdf
folder = pdf.font_dir()
print(folder)
for f in sorted(folder.iterdir()):
    print(f.name, f.stat().st_mtime_ns, f.stat().st_size)
"""


def _font_dir(cache: Path) -> list[str]:
    env = dict(os.environ, PUBLISHER_FONT_CACHE=str(cache))
    out = subprocess.run([sys.executable, "-c", FONT_DIR], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_static_font_cuts_are_made_once_and_kept(tmp_path):
    first = _font_dir(tmp_path / "fonts")
    folder = Path(first[0])
    assert folder.parent == tmp_path / "fonts"
    files = [line.split()[0] for line in first[1:]]
    assert len(files) == 12 and all(name.endswith(".ttf") for name in files)  # no temporary .part left
    assert all(int(line.split()[2]) > 10_000 for line in first[1:])
    assert _font_dir(tmp_path / "fonts") == first  # the same files, not cut again (same mtimes)
    (folder / files[0]).unlink()  # a file missing from the cache is cut again, the others kept
    again = _font_dir(tmp_path / "fonts")
    assert [line.split()[0] for line in again[1:]] == files
    assert again[2:] == first[2:]


def test_an_unwritable_font_cache_falls_back_to_a_folder_of_its_own(tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    lines = _font_dir(blocked)
    assert not Path(lines[0]).is_relative_to(tmp_path)
    assert len(lines) == 13
    assert not Path(lines[0]).exists()  # removed when that process ended


def _hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".publisher" not in p.parts}


PAPER = """---
title: One paper, typeset ahead
author: Ada Example
---

A paragraph with a note.[^1] {words}

## First section

{words}

## Second section

{words}

[^1]: The note.
"""


def test_a_pdf_typeset_in_a_child_forked_ahead_gives_the_same_editions(tmp_site, tmp_path):
    words = "Some words that fill the page, again and again. " * 60
    root = tmp_site({"_posts/2024-03-01-ahead.md": PAPER.format(words=words)})
    site = config.load(root)
    [paper], _, _ = collect(site, BuildOptions(source=root))
    outs = []
    for name, child in (("waited", None), ("ahead", isolation.Child(_warm_worker, "A4", "en"))):
        out = tmp_path / name
        result = build_paper(Job(paper, out, ["pdf", "epub", "html"], site, "A4"), pdf_child=child)
        assert not result.failed, result.problems
        assert [e.format for e in result.editions] == ["pdf", "epub", "html"]
        assert not _children_alive(child)
        outs.append(_hashes(out))
    assert outs[0] == outs[1]
    assert any(name.endswith(".epub") for name in outs[0]) and any(name.endswith(".pdf") for name in outs[0])


def _children_alive(child) -> bool:
    if child is None:
        return False
    try:
        done, _ = os.waitpid(child.pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def _live_children() -> set[int]:
    kids: set[int] = set()
    for task in Path("/proc/self/task").iterdir():
        kids.update(int(pid) for pid in (task / "children").read_text().split())
    return {pid for pid in kids if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}


@pytest.mark.slow
def test_a_single_paper_build_with_two_jobs_matches_one_job_and_leaves_no_child(tmp_site, tmp_path):
    words = "More words to set in type. " * 40
    root = tmp_site({"_posts/2024-03-01-ahead.md": PAPER.format(words=words),
                     "_posts/2024-03-02-second.md": "---\ntitle: Second\n---\n\nShort.\n"})
    before = _live_children()
    one = build(BuildOptions(source=root, out=tmp_path / "one", jobs=1))
    two = build(BuildOptions(source=root, out=tmp_path / "two", jobs=2))  # two papers: the pool
    assert one.exit_code == two.exit_code == 0
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "two")
    (root / "_posts" / "2024-03-02-second.md").write_text("---\ntitle: Second\n---\n\nChanged.\n", encoding="utf-8")
    again = build(BuildOptions(source=root, out=tmp_path / "two", jobs=2))  # one paper: the child forked ahead
    assert [r.slug for r in again.papers if not r.cached] == ["second"]
    build(BuildOptions(source=root, out=tmp_path / "one", jobs=1))
    assert _hashes(tmp_path / "one") == _hashes(tmp_path / "two")
    noop = build(BuildOptions(source=root, out=tmp_path / "two", jobs=2))  # nothing to do: the child is stopped
    assert all(r.cached for r in noop.papers)
    assert _live_children() == before


def test_a_one_job_build_typesets_its_warm_up_page_once_in_the_main_process(tmp_site, tmp_path):
    """With --jobs 1 each PDF is typeset in a child forked from the main process: the main process
    typesets the warm-up page (in its background thread, while pandoc runs) so that every child
    inherits warm caches (hyphenation dictionary, fonts), once per build process."""
    from publisher import build as build_module

    root = tmp_site({"_posts/2024-03-01-a.md": "---\ntitle: A\nlang: en\n---\n\nText.\n"},
                    config="title: t\nlang: de\n")
    build_module._warmed.clear()
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["pdf"]))
    assert report.exit_code == 0
    assert build_module._warmed == {("A4", "de")}
