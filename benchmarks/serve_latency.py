"""`publisher serve` after a save (issue 19): how long until the HTML page, the PDF and the EPUB are written.

    .venv/bin/python benchmarks/serve_latency.py [SITE] [--saves 3]

Copies SITE (default ../shared/corpus, the real paper) to a temporary folder, runs `publisher serve`
on it as a fresh process (port 0), and once the first build is done, saves the post N times (a new
line appended each time, a few seconds apart). For each save it polls OUT every 5 ms and reports
the seconds from the save to: the HTML page holding the new line, the PDF rewritten, the EPUB
rewritten, and the end of the rebuild (serve's "built …" line). The target: the HTML page in under
0.5 s; the PDF and EPUB follow.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
POLL = 0.005


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def measure(site: Path, saves: int = 3, timeout: float = 120.0) -> dict:
    """Seconds from each save to the HTML page, the PDF, the EPUB and the end of the rebuild (medians and all)."""
    tmp = Path(tempfile.mkdtemp(prefix="publisher-serve-"))
    src, out = tmp / "site", tmp / "out"
    shutil.copytree(site, src, ignore=shutil.ignore_patterns("_site", ".git", ".jekyll-cache"))
    env = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "CI")}
    proc = subprocess.Popen([str(BIN / "publisher"), "serve", str(src), "-o", str(out), "--port", "0"],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(target=lambda: [lines.append((time.perf_counter(), ln)) for ln in proc.stderr],
                              daemon=True)
    reader.start()
    try:
        deadline = time.perf_counter() + timeout
        while not any("Serving" in ln for _, ln in lines):
            if proc.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit("serve did not start:\n" + "".join(ln for _, ln in lines))
            time.sleep(0.05)
        post = max((src / "_posts").glob("*.md"), key=lambda p: p.stat().st_size)
        folder = next(p.parent for p in sorted(out.glob("*/*.pdf")))
        html, pdf, epub = folder / "index.html", next(folder.glob("*.pdf")), next(folder.glob("*.epub"))
        runs = []
        for i in range(saves):
            time.sleep(3.0)  # the PDF child of the last rebuild has ended; the watcher is idle
            marker = f"Serve latency marker {i} {time.time_ns()}"
            before = {p: _mtime(p) for p in (pdf, epub)}
            seen = len(lines)
            started = time.perf_counter()
            with post.open("a", encoding="utf-8") as f:
                f.write(f"\n\n{marker}\n")
            got: dict[str, float] = {}
            while len(got) < 4 and time.perf_counter() - started < timeout:
                now = time.perf_counter() - started
                if "html" not in got and marker.encode() in html.read_bytes():
                    got["html"] = now
                for name, path in (("pdf", pdf), ("epub", epub)):
                    if name not in got and _mtime(path) != before[path]:
                        got[name] = now
                if "done" not in got and any(ln.startswith("built ") for _, ln in lines[seen:]):
                    got["done"] = next(t for t, ln in lines[seen:] if ln.startswith("built ")) - started
                time.sleep(POLL)
            got["html_before_pdf"] = got.get("html", 1e9) < got.get("pdf", 1e9)
            runs.append(got)
            print(f"  save {i + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in got.items() if isinstance(v, float))
                  + f"; HTML before PDF: {got['html_before_pdf']}", flush=True)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    med = {k: statistics.median(r[k] for r in runs if k in r) for k in ("html", "pdf", "epub", "done")
           if any(k in r for r in runs)}
    return {"median": med, "runs": runs, "html_first": all(r["html_before_pdf"] for r in runs)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--saves", type=int, default=3)
    args = ap.parse_args()
    print(f"serve latency on {args.site} (load {os.getloadavg()[0]:.1f})", flush=True)
    print(json.dumps(measure(args.site, args.saves)))


if __name__ == "__main__":
    main()
