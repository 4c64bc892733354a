"""`publisher serve`, for real: start it on 127.0.0.1, fetch pages, edit a post, see the rebuild, stop it."""
from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from publisher.serve import RELOAD_SCRIPT, VERSION_PATH

pytestmark = pytest.mark.slow  # a real server, real rebuilds (docs/packaging.md)

ROOT = Path(__file__).resolve().parent.parent
WEBMETA = ROOT / "tests" / "sites" / "webmeta"


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read().decode("utf-8")


def wait_for(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_serve_builds_serves_rebuilds_and_stops(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(WEBMETA, site)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "publisher.cli", "serve", str(site), "-o", str(out), "--fast",
                             "--port", "0"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                            cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
                            # Ctrl-C as a terminal delivers it, even when the suite runs with SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines: queue.Queue[str] = queue.Queue()
    log: list[str] = []
    threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stderr], daemon=True).start()

    def serving_url():
        while not lines.empty():
            ln = lines.get()
            log.append(ln)
            m = re.search(r"Serving (http://127\.0\.0\.1:\d+/)", ln)
            if m:
                return m.group(1)
        assert proc.poll() is None, "serve exited early:\n" + "".join(log)
        return None

    try:
        base = wait_for(serving_url, 120, "the first build and the server")
        # --fast: the HTML edition only
        assert (out / "breakwater-maintenance" / "index.html").is_file()
        assert not (out / "breakwater-maintenance" / "breakwater-maintenance.pdf").exists()
        catalog = fetch(base)
        assert "Breakwater Maintenance" in catalog and RELOAD_SCRIPT in catalog
        paper = fetch(base + "breakwater-maintenance/")
        assert "<title>Breakwater Maintenance &amp; the Cost of Delay</title>" in paper and RELOAD_SCRIPT in paper
        assert RELOAD_SCRIPT not in (out / "breakwater-maintenance" / "index.html").read_text(encoding="utf-8")
        assert fetch(base + "feed.xml").startswith("<?xml")
        version = fetch(base + VERSION_PATH.lstrip("/"))

        post = site / "_posts" / "2024-06-03-breakwater-maintenance.md"
        post.write_text(post.read_text(encoding="utf-8").replace(
            'title: "Breakwater Maintenance & the Cost of Delay"', 'title: "Breakwater Repairs Done Early"'),
            encoding="utf-8")
        wait_for(lambda: fetch(base + VERSION_PATH.lstrip("/")) != version, 90, "a rebuild after the edit")
        assert "<title>Breakwater Repairs Done Early</title>" in fetch(base + "breakwater-maintenance/")
        # the stamp changes when the page is written; the catalog follows by the end of the rebuild
        wait_for(lambda: "Breakwater Repairs Done Early" in fetch(base), 60, "the catalog after the rebuild")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
            raise AssertionError("serve did not stop on Ctrl-C")
    assert proc.returncode in (0, -signal.SIGINT), "".join(log)


def test_handler_serves_files_unchanged_except_html(tmp_path):
    """Non-HTML files are served byte for byte; the version probe answers plain text."""
    import functools
    import http.server

    from publisher.build import BuildOptions
    from publisher.serve import Handler, Preview

    (tmp_path / "a.bib").write_bytes(b"@misc{x}\n")
    (tmp_path / "index.html").write_text("<!DOCTYPE html><html><body><p>hi</p></body></html>", encoding="utf-8")
    preview = Preview(BuildOptions(source=tmp_path, out=tmp_path), say=lambda s: None)
    preview.version = 7
    handler = type("H", (Handler,), {"preview": preview})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        assert fetch(base + "a.bib") == "@misc{x}\n"
        assert fetch(base + VERSION_PATH.lstrip("/")) == "7"  # the build number (no page being rebuilt)
        page = fetch(base)
        assert page.index(RELOAD_SCRIPT) < page.index("</body>")
    finally:
        server.shutdown()
        server.server_close()


def test_serve_warms_itself_so_each_rebuild_typesets_in_a_warm_child(tmp_path):
    """After the first build, `serve` loads WeasyPrint, the fonts and the stylesheets in its own process
    (in the background), so the typesetter each later rebuild forks starts warm."""
    from publisher import build as build_module
    from publisher.build import BuildOptions
    from publisher.serve import serve

    site = tmp_path / "site"
    shutil.copytree(WEBMETA, site)
    out = tmp_path / "out"
    said: list[str] = []
    stop = threading.Event()
    build_module._warmed.clear()
    opts = BuildOptions(source=site, out=out, jobs=2, formats=["pdf", "html"])
    thread = threading.Thread(target=serve, kwargs=dict(opts=opts, port=0, say=said.append, stop=stop), daemon=True)
    thread.start()
    try:
        wait_for(lambda: any(s.startswith("Serving") for s in said), 180, "the first build and the server")
        wait_for(lambda: build_module._warming.is_set() and build_module._warmed, 60, "serve to warm up")
        assert build_module._warmed == {("A4", "en")}
        pdf = out / "breakwater-maintenance" / "breakwater-maintenance.pdf"
        before = pdf.read_bytes()
        post = site / "_posts" / "2024-06-03-breakwater-maintenance.md"
        post.write_text(post.read_text(encoding="utf-8").replace(
            'title: "Breakwater Maintenance & the Cost of Delay"', 'title: "Breakwater Repairs Done Early"'),
            encoding="utf-8")
        wait_for(lambda: sum(s.startswith("built ") for s in said) >= 2, 120, "the rebuild")
        assert "breakwater-maintenance" in [s for s in said if s.startswith("built ")][-1]
        assert pdf.read_bytes() != before
        import pikepdf

        with pikepdf.open(pdf) as doc:
            assert str(doc.docinfo["/Title"]) == "Breakwater Repairs Done Early"
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def _retitle(post: Path, title: str) -> None:
    text = post.read_text(encoding="utf-8")
    post.write_text(re.sub(r'(?m)^title: .*$', f'title: "{title}"', text, count=1), encoding="utf-8")


def test_after_a_save_the_html_page_is_written_before_the_pdf_and_epub(tmp_path):
    """serve rebuilds a saved paper HTML first (its PDF and EPUB follow), and the page's reload stamp
    changes as soon as the HTML is written."""
    from publisher.build import BuildOptions
    from publisher.serve import Preview

    site = tmp_path / "site"
    shutil.copytree(WEBMETA, site)
    out = tmp_path / "out"
    preview = Preview(BuildOptions(source=site, out=out, jobs=2, formats=["pdf", "epub", "html"]), say=lambda s: None)
    preview.full_build()
    folder = out / "breakwater-maintenance"
    html, pdf, epub = folder / "index.html", folder / "breakwater-maintenance.pdf", folder / "breakwater-maintenance.epub"
    old = {p: p.stat().st_mtime_ns for p in (pdf, epub)}
    stamp = preview.stamp()
    seen: dict[str, object] = {}
    done = threading.Event()

    def watch():  # what the folder holds when the new HTML first appears
        while not done.is_set() and "html" not in seen:
            if b"Breakwater Repairs Done Early" in html.read_bytes():
                seen["html"] = {p.name: p.stat().st_mtime_ns != old[p] for p in (pdf, epub)}
                seen["stamp"] = preview.stamp()
            time.sleep(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    post = site / "_posts" / "2024-06-03-breakwater-maintenance.md"
    _retitle(post, "Breakwater Repairs Done Early")
    preview.rebuild({post})
    done.set()
    watcher.join(timeout=10)
    assert seen["html"] == {pdf.name: False, epub.name: False}, "the HTML page came after the PDF or EPUB"
    assert seen["stamp"] != stamp, "the reload stamp did not change when the HTML page was written"
    assert all(p.stat().st_mtime_ns != old[p] for p in (pdf, epub)), "the PDF and EPUB were not rebuilt"


def test_html_first_leaves_the_same_output_as_a_plain_build(tmp_path):
    """The page written first shows the last build's edition sizes; at the end it holds the new ones,
    so OUT is byte for byte what a plain build of the saved post gives."""
    from publisher.build import BuildOptions, build

    site = tmp_path / "site"
    shutil.copytree(WEBMETA, site)
    formats = ["pdf", "epub", "html"]
    build(BuildOptions(source=site, out=tmp_path / "first", jobs=2, formats=formats, html_first=True))
    _retitle(site / "_posts" / "2024-06-03-breakwater-maintenance.md", "A Much Longer Title That Changes Every Size")
    build(BuildOptions(source=site, out=tmp_path / "first", jobs=2, formats=formats, html_first=True))
    build(BuildOptions(source=site, out=tmp_path / "plain", jobs=2, formats=formats))

    def files(out: Path) -> dict[str, bytes]:
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
                if p.is_file() and ".publisher" not in p.relative_to(out).parts}

    first, plain = files(tmp_path / "first"), files(tmp_path / "plain")
    assert first.keys() == plain.keys()
    assert [name for name in first if first[name] != plain[name]] == []
