"""Faults (issue 9): time limits, memory guards, crashes, Ctrl-C, read-only and full output folders.

Real processes, real signals, real file systems: a fault is caused, never mocked.
"""
from __future__ import annotations

import hashlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publisher import isolation
from publisher.build import BuildOptions, build
from publisher.model import InputError, Problem

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"


# ---- isolation.call: a forked child with a time limit and a memory guard ------------------------------

def _double(x):
    return x * 2


def _sleep():
    time.sleep(60)


def _hog():
    return bytearray(3 << 30)  # 3 GB


def _bad_input():
    raise InputError(Problem("p.md", 7, "a broken table", "fix it"))


def _bug():
    raise ValueError("a bug")


def _segfault():
    import ctypes

    ctypes.string_at(0)


def _disk_full():
    raise OSError(28, "No space left on device", "/out/slug/.slug.pdf.abc123.part")


def test_the_child_returns_its_value():
    assert isolation.call(_double, 21, what="T", file="p.md", timeout=30) == 42


def test_a_hung_step_is_killed_at_the_time_limit():
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        isolation.call(_sleep, what="WeasyPrint", file="p.md", timeout=1)
    assert time.monotonic() - started < 10
    assert str(info.value.problem) == ("p.md: error: WeasyPrint took longer than 1 s and was stopped (hint: simplify "
                                       "the post (very long tables, huge images) or raise publisher.timeout)")


def test_a_runaway_step_hits_the_memory_guard():
    with pytest.raises(InputError) as info:
        isolation.call(_hog, what="WeasyPrint", file="p.md", timeout=30, memory_mb=1024)
    assert info.value.problem.message == "WeasyPrint ran out of memory (limit 1024 MB, publisher.memory_mb)"


def test_a_crash_is_reported_not_propagated():
    with pytest.raises(InputError) as info:
        isolation.call(_segfault, what="WeasyPrint", file="p.md", timeout=30)
    assert info.value.problem.message.startswith("WeasyPrint crashed (SIGSEGV)")


def test_input_errors_and_bugs_cross_the_process_boundary():
    with pytest.raises(InputError) as info:
        isolation.call(_bad_input, what="WeasyPrint", file="p.md", timeout=30)
    assert info.value.problem == Problem("p.md", 7, "a broken table", "fix it")
    with pytest.raises(isolation.IsolatedError) as bug:
        isolation.call(_bug, what="WeasyPrint", file="p.md", timeout=30)
    assert str(isolation.problem_from(bug.value, "p.md")) == (
        "p.md: error: internal error while building: WeasyPrint: ValueError: a bug "
        "(hint: run with --debug for the traceback and report it)")
    assert "Traceback" in isolation.problem_from(bug.value, "p.md", debug=True).message
    with pytest.raises(isolation.IsolatedError) as full:
        isolation.call(_disk_full, what="WeasyPrint", file="p.md", timeout=30)
    problem = isolation.problem_from(full.value, "p.md")
    assert problem.message == "cannot write /out/slug/slug.pdf: No space left on device"
    assert isolation.write_failed([problem])


# ---- isolation.Child: forked ahead of its job ------------------------------------------------------------

_PREPARED: list[str] = []


def _prepare(word):
    _PREPARED.append(word)


def _prepared():
    return list(_PREPARED)


def _failing_prepare():
    raise RuntimeError("no WeasyPrint here")


def _alive(pid: int) -> bool:
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return False
    return done == 0


def test_a_child_forked_ahead_prepares_then_runs_its_job():
    child = isolation.Child(_prepare, "warm")
    child.start(_prepared, timeout=30)
    assert child.result(what="T", file="p.md", timeout=30) == ["warm"]
    assert _PREPARED == []  # prepared in the child, not here
    assert not _alive(child.pid)


def test_a_failed_preparation_does_not_stop_the_job():
    child = isolation.Child(_failing_prepare)
    child.start(_double, 4, timeout=30)
    assert child.result(what="T", file="p.md", timeout=30) == 8


def test_a_child_forked_ahead_keeps_the_limits():
    child = isolation.Child(_prepare, "warm")
    child.start(_sleep, timeout=1)
    started = time.monotonic()
    with pytest.raises(InputError) as info:
        child.result(what="WeasyPrint", file="p.md", timeout=1)
    assert time.monotonic() - started < 10
    assert info.value.problem.message == "WeasyPrint took longer than 1 s and was stopped"
    assert not _alive(child.pid)
    child = isolation.Child()
    child.start(_hog, memory_mb=1024, timeout=30)
    with pytest.raises(InputError) as info:
        child.result(what="WeasyPrint", file="p.md", timeout=30)
    assert info.value.problem.message == "WeasyPrint ran out of memory (limit 1024 MB, publisher.memory_mb)"
    child = isolation.Child()
    child.start(_bad_input, timeout=30)
    with pytest.raises(InputError) as info:
        child.result(what="WeasyPrint", file="p.md", timeout=30)
    assert info.value.problem == Problem("p.md", 7, "a broken table", "fix it")


def _slow_prepare():
    time.sleep(2)


def _short_job():
    time.sleep(0.5)
    return "done"


def test_the_time_limit_of_a_child_forked_ahead_does_not_count_its_preparation():
    child = isolation.Child(_slow_prepare)
    child.start(_short_job, timeout=1.5)  # handed over while the child still prepares (2 s)
    assert child.result(what="T", file="p.md", timeout=1.5) == "done"


def test_an_unneeded_child_is_stopped():
    child = isolation.Child(_sleep)  # still preparing
    assert _alive(child.pid)
    child.cancel()
    assert not _alive(child.pid)
    child.cancel()  # twice is harmless
    idle = isolation.Child()  # prepared, waiting for a job that never comes
    idle.cancel()
    assert not _alive(idle.pid)


def test_a_child_forked_ahead_leaves_when_its_parent_dies(tmp_path):
    """The parent is SIGKILLed (no cleanup runs): the child sees its job pipe close and exits."""
    script = ("import sys, time\nfrom publisher import isolation\n"
              "c = isolation.Child()\nprint(c.pid, flush=True)\ntime.sleep(60)\n")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    pid = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:  # gone, or a zombie its new parent has not reaped yet
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                break
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        pytest.fail("the child outlived its parent")


def test_pandoc_runs_under_the_memory_guard(tmp_site, tmp_path):
    root = tmp_site({"_posts/2024-01-01-a.md": "---\ntitle: A\n---\n\nSome text.\n"},
                    config="title: t\npublisher:\n  formats: [html]\n  memory_mb: 64\n")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1))
    [result] = report.papers
    assert result.failed
    [message] = [p.message for p in result.problems]
    assert re.fullmatch(r"pandoc (ran out of memory|crashed \(SIG[A-Z]+\); it may have run out of memory) "
                        r"\(limit 64 MB\)", message), message


# ---- per-paper isolation in a real build -------------------------------------------------------------

@pytest.mark.slow
def test_a_slow_pdf_is_stopped_and_the_other_papers_are_built(tmp_site, tmp_path):
    rows = "".join("<tr>" + "".join(f"<td>r{i}c{j}</td>" for j in range(6)) + "</tr>" for i in range(3000))
    root = tmp_site({"_posts/2024-01-01-slow.md": f"---\ntitle: Slow\n---\n\nA long table.\n\n<table>{rows}</table>\n",
                     "_posts/2024-01-02-quick.md": "---\ntitle: Quick\n---\n\nA short paper.\n"},
                    config="title: t\npublisher:\n  formats: [pdf]\n  timeout: 4\n")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1))
    slow = [r for r in report.papers if r.slug == "slow"][0]
    assert slow.failed
    assert [p.message for p in slow.problems if p.severity == "error"] == [
        "WeasyPrint took longer than 4 s and was stopped"]
    assert [r.slug for r in report.papers if not r.failed] == ["quick"]
    assert (tmp_path / "out" / "quick" / "quick.pdf").is_file()
    assert not list((tmp_path / "out").rglob("*.part"))
    assert report.exit_code == 1


@pytest.mark.slow
def test_a_slow_pdf_in_the_typesetter_forked_ahead_is_stopped_too(tmp_site, tmp_path):
    """One paper and --jobs 2: the PDF is typeset in the child forked at the start of the build; the
    time limit and the clean-up are the same, and no process is left behind."""
    rows = "".join("<tr>" + "".join(f"<td>r{i}c{j}</td>" for j in range(6)) + "</tr>" for i in range(3000))
    root = tmp_site({"_posts/2024-01-01-slow.md": f"---\ntitle: Slow\n---\n\nA long table.\n\n<table>{rows}</table>\n"},
                    config="title: t\npublisher:\n  formats: [pdf, html]\n  timeout: 4\n")
    kids = lambda: {int(pid) for task in Path("/proc/self/task").iterdir()  # noqa: E731
                    for pid in (task / "children").read_text().split()}
    before = kids()
    started = time.monotonic()
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=2))
    assert time.monotonic() - started < 60
    [slow] = report.papers
    assert slow.incomplete == ["pdf"] and not slow.failed  # the HTML edition is still built (issue 15)
    assert (tmp_path / "out" / "slow" / "index.html").is_file()
    assert [p.message for p in slow.problems if p.severity == "error"] == [
        "the PDF edition was not built: WeasyPrint took longer than 4 s and was stopped; the other editions were built"]
    assert not list((tmp_path / "out").rglob("*.part"))
    assert report.exit_code == 1
    assert kids() == before


# ---- Ctrl-C and SIGTERM --------------------------------------------------------------------------------

def _default_sigint() -> None:
    """In the child: Ctrl-C as a terminal delivers it, even when the suite itself runs with SIGINT
    ignored (a shell's background job), which the child would inherit and Python would keep."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _cli(*args, **kwargs):
    return subprocess.Popen([sys.executable, "-m", "publisher.cli", "build", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_default_sigint, **kwargs)


def _hashes(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def many_papers(tmp_path):
    """content/ with each post copied five times under other slugs: a build long enough to interrupt."""
    site = tmp_path / "many"
    shutil.copytree(CONTENT, site)
    posts = sorted((site / "_posts").iterdir())
    for i in range(1, 5):
        for post in posts:
            date, rest = post.name[:11], post.name[11:]
            (post.parent / f"{date}copy{i}-{rest}").write_text(post.read_text(encoding="utf-8"), encoding="utf-8")
    return site


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.slow
def test_an_interrupted_build_stops_cleanly_with_a_summary_and_the_next_one_recovers(tmp_path, sig, many_papers):
    out = tmp_path / "out"
    proc = _cli(many_papers, "-o", out, "-j", "2", "--format", "pdf,html")
    deadline = time.monotonic() + 120
    # Interrupt once the first edition is written: the build is under way and has papers left to do.
    while not (out.is_dir() and any(out.rglob("*.pdf"))) and time.monotonic() < deadline:
        assert proc.poll() is None, "the build ended before it could be interrupted"
        time.sleep(0.05)
    os.killpg(proc.pid, sig)  # what a terminal does on Ctrl-C: the whole process group
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "interrupted: " in err and "run the build again to finish" in err
    again = subprocess.run([sys.executable, "-m", "publisher.cli", "build", str(many_papers), "-o", str(out), "-j", "2",
                            "--format", "pdf,html", "-q"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not list(out.rglob("*.part"))
    pdfs = sorted(out.rglob("*.pdf"))
    assert len([p for p in pdfs if "volumes" not in p.relative_to(out).parts]) == 10  # the papers
    assert len([p for p in pdfs if "volumes" in p.relative_to(out).parts]) == 1  # content/'s volume
    for pdf in pdfs:
        assert pdf.read_bytes().startswith(b"%PDF")


# ---- a read-only or full output folder -----------------------------------------------------------------

@pytest.fixture
def changed_content(tmp_path):
    """A copy of content/ whose posts differ from the originals, so a second build must write new files
    (publisher.dist.atomic_write leaves a file with the same bytes alone)."""
    site = tmp_path / "changed"
    shutil.copytree(CONTENT, site)
    for post in (site / "_posts").iterdir():
        post.write_text(post.read_text(encoding="utf-8") + "\n\nA paragraph added later.\n", encoding="utf-8")
    return site


def _publish(site: Path, out: Path, *extra, **kwargs):
    return subprocess.run([sys.executable, "-m", "publisher.cli", "build", str(site), "-o", str(out), "-j", "1",
                           "--format", "html", *extra], capture_output=True, text=True, timeout=300, **kwargs)


def _limit_file_size(size: int):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return pre


def test_a_full_disk_gives_a_clear_error_and_keeps_the_previous_editions(tmp_path, changed_content):
    """No file may grow past 12 kB (RLIMIT_FSIZE): the HTML pages cannot be written, as on a full disk."""
    out = tmp_path / "out"
    first = _publish(CONTENT, out, "-q")
    assert first.returncode == 0, first.stderr
    before = _hashes(out)
    proc = _publish(changed_content, out, preexec_fn=_limit_file_size(12_000))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    page = out / "tidal-cooperatives" / "index.html"
    assert (f"_posts/2025-03-14-tidal-cooperatives.md: error: cannot write {page}: File too large (hint: free some "
            "disk space or make the output folder writable") in proc.stderr
    assert _hashes(out) == before  # nothing lost, no partial file
    assert not list(out.rglob("*.part"))


def test_a_full_disk_exits_2_even_when_the_site_pages_and_the_record_still_fit(tmp_path, changed_content):
    """Where the disk fills decides nothing: here only the papers' pages are too big to write, while the
    catalog is unchanged (not rewritten) and the build record is small enough to fit. The outcome once
    depended on that (exit 1 where the record fitted, 2 where it did not: path lengths change its size)."""
    out = tmp_path / "out"
    assert _publish(CONTENT, out, "-q").returncode == 0
    page = out / "tidal-cooperatives" / "index.html"
    record = max(p.stat().st_size for p in (out / ".publisher").iterdir() if p.is_file())
    limit = record + 4096
    # The new page is made larger than the record on every machine (the record's size depends on path
    # lengths): the post gets about 37 kB more text.
    post = next((changed_content / "_posts").glob("*-tidal-cooperatives.md"))
    added = "\n\nA long paragraph added later." * 1200
    post.write_text(post.read_text(encoding="utf-8") + added, encoding="utf-8")
    assert limit < page.stat().st_size + len(added), "the test needs a paper page bigger than the build record"
    proc = _publish(changed_content, out, preexec_fn=_limit_file_size(limit))
    assert proc.returncode == 2, proc.stderr
    assert f"cannot write {page}: File too large" in proc.stderr
    assert "Traceback" not in proc.stderr


def _mount(*args) -> bool:
    return subprocess.run(["mount", *map(str, args)], capture_output=True).returncode == 0


@pytest.fixture
def read_only_view(tmp_path):
    """OUT and a read-only bind mount of it (skipped where mounting is not allowed)."""
    out, view = tmp_path / "out", tmp_path / "view"
    out.mkdir()
    view.mkdir()
    if not (_mount("--bind", out, view) and _mount("-o", "remount,ro,bind", view)):
        subprocess.run(["umount", str(view)], capture_output=True)
        pytest.skip("bind mounts are not allowed here")
    yield out, view
    subprocess.run(["umount", str(view)], capture_output=True)


def test_a_read_only_output_folder_gives_a_clear_error_and_keeps_the_previous_editions(read_only_view,
                                                                                       changed_content):
    out, view = read_only_view
    first = _publish(CONTENT, out, "-q")
    assert first.returncode == 0, first.stderr
    before = _hashes(out)
    proc = _publish(changed_content, view)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert re.search(rf"_posts/2025-03-14-tidal-cooperatives.md: error: cannot write {view}/tidal-cooperatives/"
                     r"[\w.-]+: Read-only file system \(hint: free some disk space or make the output folder "
                     r"writable", proc.stderr), proc.stderr
    assert _hashes(out) == before


@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs (skipped where mounting is not allowed)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount("-t", "tmpfs", "-o", "size=2m", "tmpfs", disk):
        pytest.skip("tmpfs mounts are not allowed here")
    yield disk
    subprocess.run(["umount", str(disk)], capture_output=True)


@pytest.mark.slow
def test_a_really_full_disk_keeps_the_previous_editions_and_the_build_recovers(small_disk, changed_content):
    out = small_disk / "out"
    assert _publish(CONTENT, out, "-q").returncode == 0
    before = _hashes(out)
    filler = small_disk / "filler"
    with open(filler, "wb", buffering=0) as f:  # fill the disk up to the last few kB
        try:
            while True:
                f.write(b"\0" * 4096)
        except OSError:
            pass
    proc = _publish(changed_content, out)
    assert proc.returncode == 2, proc.stderr
    assert "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    assert _hashes(out) == before
    filler.unlink()
    again = _publish(changed_content, out, "-q")
    assert again.returncode == 0, again.stderr
    assert "A paragraph added later." in (out / "tidal-cooperatives" / "index.html").read_text(encoding="utf-8")
    assert not list(out.rglob("*.part"))
