"""Where a cold build of one paper spends its time (issue 19): the profile bench.py prints when a
single-paper target is missed.

    .venv/bin/python benchmarks/single_profile.py [SITE] [--runs 3]

Two measurements, on SITE (default ../shared/corpus, the real paper):

timeline  `publisher build SITE -o OUT` (empty OUT) as a fresh process, run through this file with
          the build's stages wrapped: each stage logs when it started and ended (the monotonic clock,
          which every process on the machine shares, from the moment the process was launched) and
          the CPU time its process spent in it. The main process reads, runs pandoc and makes the
          EPUB and HTML; the typesetter it forks first imports WeasyPrint and typesets the PDF. The
          run with the shortest wall clock of --runs is shown.
typesetting  in one warm process (WeasyPrint imported, the fonts and stylesheets loaded): the house
          PDF (publisher's print HTML and stylesheets) against the naive script's PDF (`pandoc -s`
          HTML with WeasyPrint's default style), each split into layout and writing, best of --runs;
          and the house PDF once more on a process that has typeset nothing yet (the first-use costs
          a cold typesetter pays: cffi parsing C types, the hyphenation dictionary).
serve     `serve`'s rebuild after a save, in one warm process as serve runs it: the time to the HTML
          page and pandoc's part of it (median of 5 saves).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
ENV = {k: v for k, v in os.environ.items() if k not in ("SOURCE_DATE_EPOCH", "PYTHONDONTWRITEBYTECODE", "CI")}

# (module, function, process, label): the stages the timeline reports, in pipeline order
STAGES = [
    ("publisher.editions.pdf_warmup", "_warm_up", "typesetter", "import WeasyPrint, fonts, stylesheets"),
    ("publisher.editions.assemble", "render_paper", "main", "Liquid, kramdown, pandoc (its own process)"),
    ("publisher.editions.epub", "cover_image", "main", "the EPUB's cover image"),
    ("weasyprint", "HTML.render", "typesetter", "WeasyPrint: cascade and layout"),
    ("weasyprint.document", "Document.write_pdf", "typesetter", "WeasyPrint: drawing and writing the PDF"),
    ("publisher.editions.epub", "write", "main", "the EPUB (with the PDF's page-list)"),
    ("publisher.editions.html", "write", "main", "the HTML page"),
    ("publisher.build", "write_site", "main", "catalog, feeds, sitemap, manifest"),
]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _traced_build(source: str, out: str, launched: float) -> None:
    """Run `publisher build SOURCE -o OUT` in this process with the STAGES wrapped; events go to
    stderr as JSON lines (times from LAUNCHED, on the shared monotonic clock)."""
    import functools
    import importlib

    def log(**event) -> None:
        event.update(pid=os.getpid(), at=time.perf_counter() - launched, cpu=_cpu())
        os.write(2, (json.dumps(event) + "\n").encode())

    def wrap(owner, name: str, label: str) -> None:
        fn = getattr(owner, name)

        @functools.wraps(fn)
        def traced(*args, **kwargs):
            log(event="start", stage=label)
            try:
                return fn(*args, **kwargs)
            finally:
                log(event="end", stage=label)
        setattr(owner, name, traced)

    def install(module: str, qualname: str, label: str) -> None:
        owner = importlib.import_module(module)
        *path, name = qualname.split(".")
        for part in path:
            owner = getattr(owner, part)
        wrap(owner, name, label)

    log(event="python", stage="Python and publisher's imports")
    import publisher.cli
    from publisher.editions import pdf

    later = []
    for module, qualname, _, label in STAGES:
        if module.startswith("weasyprint"):
            later.append((module, qualname, label))
        else:
            install(module, qualname, label)
    load = pdf.load_weasyprint

    def load_and_trace():  # WeasyPrint is imported by the typesetter only: wrap it there, once
        weasyprint = load()
        while later:
            install(*later.pop())
        return weasyprint
    pdf.load_weasyprint = load_and_trace
    log(event="imported", stage="Python and publisher's imports")
    try:
        publisher.cli.cli(["build", source, "-o", out], standalone_mode=False)
    finally:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        log(event="exit", children_cpu=children.ru_utime + children.ru_stime)


def timeline(site: Path, runs: int = 3) -> dict:
    """The stages of the fastest of RUNS cold builds of SITE: {"wall", "cpu", "rows": [...]}."""
    best = None
    for _ in range(runs):
        out = Path(tempfile.mkdtemp(prefix="publisher-profile-"))
        try:
            launched = time.perf_counter()
            proc = subprocess.run([sys.executable, __file__, "--trace", str(site), str(out / "dist"), repr(launched)],
                                  capture_output=True, text=True, env=ENV, cwd=ROOT)
            wall = time.perf_counter() - launched
        finally:
            shutil.rmtree(out, ignore_errors=True)
        if proc.returncode:
            raise SystemExit(f"the traced build failed:\n{proc.stderr[-2000:]}")
        events = [json.loads(ln) for ln in proc.stderr.splitlines() if ln.startswith("{")]
        if best is None or wall < best[0]:
            best = (wall, events)
    wall, events = best
    main = events[0]["pid"]
    exit_ = next(e for e in events if e["event"] == "exit")
    rows, open_ = [], {}
    for e in events:
        key = (e["pid"], e.get("stage"))
        if e["event"] in ("start", "python"):
            open_[key] = e
        elif e["event"] in ("end", "imported") and key in open_:
            s = open_.pop(key)
            rows.append({"stage": e["stage"], "process": "main" if e["pid"] == main else "typesetter",
                         "from": 0.0 if e["event"] == "imported" else s["at"], "to": e["at"],
                         "cpu": e["cpu"] - (0.0 if e["event"] == "imported" else s["cpu"])})
    rows.sort(key=lambda r: r["from"])
    return {"wall": wall, "cpu": exit_["cpu"] + exit_["children_cpu"], "main_cpu": exit_["cpu"],
            "children_cpu": exit_["children_cpu"], "rows": rows}


def typesetting(site: Path, runs: int = 3) -> dict:
    """House PDF against the naive PDF, layout and writing apart, in one warm process (and the house
    PDF's first typesetting in a cold one): CPU seconds, best of RUNS."""
    code = f"""
import json, resource, subprocess, sys, tempfile
from pathlib import Path
from publisher import config, render
from publisher.build import collect, BuildOptions
from publisher.editions import pdf
from publisher.pandoc import pandoc_path
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime
site = config.load(Path({str(site)!r}).resolve())
paper = collect(site, BuildOptions(source=site.root))[0][0]
doc = render.render(paper)
naive = Path(tempfile.mkdtemp()) / "naive.html"
subprocess.run([pandoc_path(), "-s", str(paper.source), "-o", str(naive), "--metadata", "pagetitle=paper"], check=True)
opts = pdf.PdfOptions(roots=(site.root,))
weasyprint = pdf.load_weasyprint()
import logging; logging.getLogger("weasyprint").setLevel(logging.ERROR)
pdf.warm(pdf.PdfOptions())
from weasyprint import HTML
from weasyprint.document import Document
split = {{}}
render_ = HTML.render
def timed_render(self, *a, **k):
    c = cpu(); d = render_(self, *a, **k); split["layout"] = cpu() - c; return d
HTML.render = timed_render
result = {{"house_first": None, "house": [], "naive": []}}
c = cpu(); pdf.render_pdf(paper, doc, doc.body_html, opts); total = cpu() - c
result["house_first"] = [total, split["layout"], total - split["layout"]]
for _ in range({runs}):
    c = cpu(); pdf.render_pdf(paper, doc, doc.body_html, opts); total = cpu() - c
    result["house"].append([total, split["layout"], total - split["layout"]])
    c = cpu(); d = HTML(filename=str(naive)).render(); l = cpu() - c; d.write_pdf(); total = cpu() - c
    result["naive"].append([total, l, total - l])
print(json.dumps(result))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"the typesetting profile failed:\n{proc.stderr[-2000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    best = {k: min(result[k], key=lambda r: r[0]) for k in ("house", "naive")}
    return {"house_first": result["house_first"], **best}


def serve_rebuild(site: Path, saves: int = 5) -> dict:
    """What `serve` does from a save to the HTML page, in one warm process as serve runs it: the
    rebuild's wall clock to the page, and pandoc's part of it (medians of SAVES saves)."""
    code = f"""
import json, shutil, statistics, tempfile, time
from pathlib import Path
from publisher import pandoc, serve
from publisher.build import BuildOptions
from publisher.editions import html as html_edition, pdf_warmup
tmp = Path(tempfile.mkdtemp()); src = tmp / "site"
shutil.copytree({str(site)!r}, src, ignore=shutil.ignore_patterns("_site", ".git"))
preview = serve.Preview(BuildOptions(source=src, out=tmp / "out"), say=lambda s: None)
preview.full_build(); preview.warm_up(); pdf_warmup._warming.wait(); time.sleep(0.5)
post = max((src / "_posts").glob("*.md"), key=lambda q: q.stat().st_size)
marks = {{}}
write, run = html_edition.write, pandoc.run
def timed_write(*a, **k):
    r = write(*a, **k); marks.setdefault("page", time.perf_counter()); return r
def timed_run(*a, **k):
    t = time.perf_counter(); r = run(*a, **k); marks.setdefault("pandoc", time.perf_counter() - t); return r
html_edition.write, pandoc.run = timed_write, timed_run
page, pandoc_s = [], []
for i in range({saves}):
    marks.clear()
    with post.open("a", encoding="utf-8") as f:
        f.write(f"\\n\\nA line added by the benchmark ({{i}}).\\n")
    start = time.perf_counter()
    preview.rebuild({{post}})
    page.append(marks["page"] - start); pandoc_s.append(marks["pandoc"])
shutil.rmtree(tmp, ignore_errors=True)
print(json.dumps({{"page": statistics.median(page), "pandoc": statistics.median(pandoc_s)}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT)
    if proc.returncode:
        raise SystemExit(f"the serve profile failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def serve_table(sv: dict) -> str:
    """The serve rebuild's profile as Markdown."""
    return ("| `serve`, from the rebuild's start to the page (median, warm process) | seconds |\n|---|---|\n"
            f"| pandoc (its own process, the house filters included) | {sv['pandoc']:.2f} |\n"
            f"| the rest: config, reading the post, the cache check, the HTML page | {sv['page'] - sv['pandoc']:.2f} |\n"
            f"| in all (add watchfiles' 20 ms of quiet after a save) | {sv['page']:.2f} |")


def table(tl: dict, ts: dict | None = None) -> str:
    """The two measurements as Markdown."""
    lines = [f"Cold build of one paper, traced: {tl['wall']:.2f} s of wall clock, {tl['cpu']:.2f} s of CPU "
             f"(main process {tl['main_cpu']:.2f} s; its children, the typesetter and pandoc, "
             f"{tl['children_cpu']:.2f} s).", "",
             "| from (s) | to (s) | process | stage | CPU (s) |", "|---|---|---|---|---|"]
    for r in tl["rows"]:
        lines.append(f"| {r['from']:.2f} | {r['to']:.2f} | {r['process']} | {r['stage']} | {r['cpu']:.2f} |")
    if ts:
        house, naive, first = ts["house"], ts["naive"], ts["house_first"]
        lines += ["", "| typesetting one paper (CPU s, warm process unless said) | layout | writing | total |",
                  "|---|---|---|---|",
                  f"| naive script's PDF (`pandoc -s` HTML, WeasyPrint's defaults) | {naive[1]:.2f} | {naive[2]:.2f} | "
                  f"{naive[0]:.2f} |",
                  f"| house PDF | {house[1]:.2f} | {house[2]:.2f} | {house[0]:.2f} ({house[0] / naive[0]:.2f} ×) |",
                  f"| house PDF, the first paper a cold typesetter sets | {first[1]:.2f} | {first[2]:.2f} | "
                  f"{first[0]:.2f} |"]
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--trace":
        _traced_build(sys.argv[2], sys.argv[3], float(sys.argv[4]))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("site", nargs="?", type=Path, default=CORPUS)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not (args.site / "_posts").is_dir():
        print(f"skipped: no site at {args.site} (the real paper is in ../shared/corpus)")
        return
    print(table(timeline(args.site, args.runs), typesetting(args.site, args.runs)))
    print()
    print(serve_table(serve_rebuild(args.site)))


if __name__ == "__main__":
    main()
