"""A build killed with SIGKILL at random moments (issue 9).

OUT holds a complete build of version 1 of a site; a build of version 2 is killed with SIGKILL
(the whole process group: CLI, pool workers, pandoc, WeasyPrint children) at a random moment.
Afterwards every file under OUT must be byte for byte either the version-1 file or the version-2
file (sha256 against two reference builds), nothing of version 1 may be missing, and the next
build must recover by itself: it ends with exactly the version-2 reference and no temporary files.
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow  # real builds killed at random moments (docs/packaging.md)
RUNS = 3
SEED = int(os.environ.get("PUBLISHER_KILL_SEED", "9"))


def _build(site: Path, out: Path, *extra: str, wait: bool = True, jobs: int = 2):
    args = [sys.executable, "-m", "publisher.cli", "build", str(site), "-o", str(out), "-j", str(jobs), "-q", *extra]
    if wait:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        return proc
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _hashes(out: Path) -> dict[str, str]:
    """sha256 of every published file (the cache's own records under .publisher/ are checked apart)."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file() and ".publisher" not in p.relative_to(out).parts}


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """Two versions of a small site and a complete reference build of each."""
    base = tmp_path_factory.mktemp("kill")
    v1, v2 = base / "v1", base / "v2"
    shutil.copytree(ROOT / "content", v1)
    shutil.copytree(ROOT / "content", v2)
    for post in sorted((v2 / "_posts").iterdir()):
        post.write_text(post.read_text(encoding="utf-8") + "\n\nA paragraph added in the second version.\n",
                        encoding="utf-8")
    started = time.monotonic()
    _build(v1, base / "ref1")
    _build(v2, base / "ref2")
    seconds = (time.monotonic() - started) / 2
    ref1, ref2 = _hashes(base / "ref1"), _hashes(base / "ref2")
    assert set(ref1) == set(ref2)
    changed = [rel for rel in ref1 if ref1[rel] != ref2[rel]]
    assert any(rel.endswith(".pdf") for rel in changed) and any(rel.endswith(".epub") for rel in changed)
    return base, ref1, ref2, seconds


def _writing(out: Path, before: dict[str, int]) -> bool:
    """Whether the build has begun writing into OUT (a temporary file, or a file that changed)."""
    for p in out.rglob("*"):
        if p.name.endswith(".part"):
            return True
        rel = p.relative_to(out).as_posix()
        if p.is_file() and ".publisher" not in rel and before.get(rel) != p.stat().st_mtime_ns:
            return True
    return False


def test_a_killed_build_leaves_old_or_new_files_only_and_the_next_build_recovers(versions):
    base, ref1, ref2, seconds = versions
    rng = random.Random(SEED)
    moments, mixed = [], 0
    for run in range(RUNS):
        out = base / f"run{run}"
        shutil.copytree(base / "ref1", out)
        before = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
        # killed builds alternate between one process (WeasyPrint in a forked child) and a pool of two
        proc = _build(base / "v2", out, wait=False, jobs=1 + run % 2)
        started = time.monotonic()
        if run == 0:  # early: while the build starts, reads and runs pandoc
            time.sleep(rng.uniform(0.3, 1.5))
        else:  # a random moment once the editions are being written, the part that must be atomic
            while not _writing(out, before) and time.monotonic() - started < 300:
                time.sleep(0.02)
            time.sleep(rng.uniform(0, seconds * (0.05 if run % 2 else 0.3)))
        moments.append(round(time.monotonic() - started, 2))
        delay = moments[-1]
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
        time.sleep(0.3)  # let the killed group's last processes go

        after = _hashes(out)
        partial = sorted(rel for rel in after if rel.endswith(".part"))
        published = {rel: h for rel, h in after.items() if rel not in partial}
        assert set(published) == set(ref1), (run, delay, set(published) ^ set(ref1))  # nothing lost, nothing extra
        for rel, digest in published.items():
            assert digest in (ref1[rel], ref2[rel]), (run, delay, rel)
        changed = [rel for rel in ref1 if ref1[rel] != ref2[rel]]
        new = sum(published[rel] == ref2[rel] for rel in changed)
        mixed += 0 < new < len(changed)  # killed half-way: some files already new, some still old
        for rel in partial:  # a temporary file never has a final name: `.NAME.XXXXXXXX.part`
            assert Path(rel).name.startswith("."), rel
        for state in (out / ".publisher").glob("*"):
            if state.suffix == ".json":
                json.loads(state.read_text(encoding="utf-8"))
            elif state.suffix == ".pickle":
                pickle.loads(state.read_bytes())

        _build(base / "v2", out)  # the next build recovers by itself
        assert _hashes(out) == ref2, (run, delay)
        assert not list(out.rglob("*.part"))
        shutil.rmtree(out)
    print(f"killed after {moments} s (a full build takes {seconds:.1f} s); seed {SEED}; {mixed} run(s) half-way")
    assert mixed, "no kill landed in the middle of a build: the test proved nothing"
