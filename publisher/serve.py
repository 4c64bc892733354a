"""`publisher serve`: build, serve OUT on localhost, rebuild what changed on save, reload the page.

Each save runs the normal build, whose cache rebuilds only the editions whose inputs changed (a post
alone; everything after a change to the config). Pages are reloaded by a tiny polling script that this
server adds to HTML responses: the files in OUT never contain it.
"""
from __future__ import annotations

import functools
import http.server
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from . import config
from .build import BuildOptions, build, warm_in_background
from .model import PaperResult

VERSION_PATH = "/__publisher/version"
RELOAD_SCRIPT = (
    "<script>/* publisher serve: reload after a rebuild */(function(){var v=null;setInterval(function(){"
    f"fetch('{VERSION_PATH}',{{cache:'no-store'}}).then(function(r){{return r.text()}}).then(function(t){{"
    "if(v!==null&&t!==v)location.reload();v=t}).catch(function(){})},700)})();</script>"
)
Say = Callable[[str], None]


class Preview:
    """The site being previewed: its last build results, and a version number that changes on each rebuild."""

    def __init__(self, opts: BuildOptions, say: Say = print):
        self.opts = replace(opts, html_first=True)  # a changed paper's page first; its PDF and EPUB follow
        self.say = say
        self.version = 0
        self.results: dict[str, PaperResult] = {}  # rel_source → result
        self.pages: dict[Path, int] = {}  # the HTML pages of the papers being rebuilt → mtime before
        self.lock = threading.Lock()

    def stamp(self) -> str:
        """What the reload script polls: the build number, and during a rebuild, when the pages of the
        papers being rebuilt were written again: a page reloads as soon as its HTML is written, before
        the PDF is typeset, and again when the build ends."""
        written = [m for page, before in list(self.pages.items()) if (m := _mtime(page)) != before]
        return f"{self.version}.{max(written)}" if written else str(self.version)

    @property
    def out(self) -> Path:
        return self.opts.out.resolve()

    def full_build(self) -> None:
        """Build everything, as `publisher build` does."""
        started = time.perf_counter()
        report = build(self.opts)
        self.results = {r.rel_source: r for r in report.papers}
        for r in report.papers:
            for p in r.problems:
                self.say(str(p))
        for p in report.problems:
            self.say(str(p))
        fresh = sorted({r.slug for r in report.papers if any(not e.cached for e in r.editions)})
        ok = len(report.papers) - len(report.failed)
        self.say(f"built {ok} paper(s) ({len(fresh)} rebuilt: {', '.join(fresh) or 'none'}), "
                 f"{len(report.failed)} failed in {time.perf_counter() - started:.1f} s")
        self.version += 1

    def warm_up(self) -> None:
        """Load WeasyPrint, the fonts and the stylesheets in this process, in the background, so
        that the PDF of each later rebuild is typeset in a child that starts warm."""
        site = config.load(self.opts.source.resolve(), self.opts.config_files)
        if "pdf" not in (self.opts.formats or site.options.formats):
            return
        warm_in_background(self.opts.page_size or site.options.page_size, site.lang)

    def rebuild(self, changed: set[Path]) -> None:
        """Rebuild after CHANGED files. The build cache (see publisher/cache.py) rebuilds only the editions
        whose inputs changed: a post alone, or everything after a change to the config or templates."""
        with self.lock:
            names = ", ".join(sorted(p.name for p in changed)[:3]) + (" …" if len(changed) > 3 else "")
            self.say(f"changed: {names}")
            root = self.opts.source.resolve()
            sources = {p.resolve().relative_to(root).as_posix() for p in changed if p.resolve().is_relative_to(root)}
            self.pages = {e.path: _mtime(e.path) for rel, r in self.results.items() if rel in sources
                          for e in r.editions if e.format == "html"}
            try:
                self.full_build()
            finally:
                self.pages = {}


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


class Handler(http.server.SimpleHTTPRequestHandler):
    """Serves OUT; answers the version probe; adds the reload script to HTML pages."""

    preview: Preview

    def log_message(self, format, *args):  # noqa: A002 - quiet: the terminal shows builds, not requests
        pass

    def do_GET(self):  # noqa: N802
        if self.path.split("?", 1)[0] == VERSION_PATH:
            return self._send(self.preview.stamp().encode(), "text/plain; charset=utf-8")
        path = Path(self.translate_path(self.path))
        if path.is_dir() and (path / "index.html").is_file() and self.path.split("?", 1)[0].endswith("/"):
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            text = text.replace("</body>", RELOAD_SCRIPT + "\n</body>", 1) if "</body>" in text else text + RELOAD_SCRIPT
            return self._send(text.encode("utf-8"), "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


def watch_filter(preview: Preview):
    """A watchfiles filter: ignore OUT, hidden and editor temporary files."""
    out = preview.out

    def keep(_change, path: str) -> bool:
        p = Path(path)
        if p.is_relative_to(out) or any(part.startswith(".") for part in p.parts[-2:]):
            return False
        return not (p.name.endswith(("~", ".swp", ".swx", ".tmp", ".part")) or p.name.startswith("#"))
    return keep


def serve(opts: BuildOptions, host: str = "127.0.0.1", port: int = 8000, fast: bool = False, say: Say = print,
          stop: threading.Event | None = None) -> None:
    """Build, serve OPTS.out on HOST:PORT, and rebuild on changes under OPTS.source until STOP is set (or Ctrl-C).

    FAST builds only the HTML edition (no PDF or EPUB), for writing.
    """
    from watchfiles import watch

    if fast:
        opts = replace(opts, formats=["html"])
    stop = stop or threading.Event()
    preview = Preview(opts, say)
    preview.full_build()
    preview.warm_up()
    handler = type("PreviewHandler", (Handler,), {"preview": preview})
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(preview.out)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="publisher-serve", daemon=True)
    thread.start()
    say(f"Serving http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)")
    try:
        # step: the quiet that ends a save (an editor's write and rename come within a few ms); 20 ms, not
        # watchfiles' 50, of the 0.5 s from a save to the page
        for changes in watch(opts.source, watch_filter=watch_filter(preview), stop_event=stop, debounce=300,
                             step=20, raise_interrupt=False):
            preview.rebuild({Path(p) for _c, p in changes})
    finally:
        server.shutdown()
        server.server_close()


__all__ = ["serve", "Preview", "Handler", "RELOAD_SCRIPT", "VERSION_PATH"]
