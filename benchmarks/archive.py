"""Archive-scale figures for bench.py (issue 19): generated archives of small papers, built HTML + EPUB.

    .venv/bin/python benchmarks/bench.py --archive 1,100,1000,10000 --skip-single   # only these figures
    .venv/bin/python benchmarks/archive.py 1,100,1000 10000 1000,10000
        # built sizes, then sizes for `list` alone, then sizes built with stub editions (no-op, merge)

For each size N (an archive generated in a temporary folder, never committed):
  cold        `publisher build --format html,epub --jobs 2` into an empty OUT: wall, CPU, cost per paper
  no-op       the same build again, nothing changed (target ≤ 1 s at 1,000, ≤ 3 s at 10,000)
  list        `publisher list --json` (target ≤ 2 s at 10,000)
  memory      peak RSS of the main process (not its workers) in the no-op and cold builds (≤ 300 MB)
  shard+merge two shards (`--shard 1/2`, `2/2`, made from the cold OUT by the cache, so no paper is
              built again), merged with `publisher merge`: the merged OUT must equal the single build
              byte for byte; the merge time per paper shows whether it grows linearly
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "CI")}
ENV["SOURCE_DATE_EPOCH"] = "1767225600"  # shards and the single build must agree byte for byte
TAGS = ["harbours", "tides", "ice", "sediment", "policy", "costs", "gauges", "storms", "ports", "dredging",
        "climate", "survey", "history", "models", "data", "ecology", "law", "shipping", "energy", "safety"]
SERIES = ["Harbour Notes", "Field Reports", "Working Papers"]

# Runs `publisher` as the CLI does and prints the peak RSS of this (the main) process on stderr.
# The peak RSS of this process alone: VmHWM, not ru_maxrss, which Linux carries over an exec from the
# forked parent (after the benchmark itself has held two trees of editions, every later figure read it)
PEAK = ("import resource, sys\nfrom publisher.cli import main\ntry:\n    main()\nfinally:\n"
        "    try:\n        kb = int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1])\n"
        "    except (OSError, StopIteration):\n        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "    sys.stderr.write('PEAK_RSS_KB %d\\n' % kb)\n")


def generate(n: int, folder: Path) -> Path:
    """An archive of N small papers (a summary, two short sections, a note, tags, a series for some)."""
    posts = folder / "_posts"
    posts.mkdir(parents=True)
    (folder / "_config.yml").write_text("title: Generated archive\nurl: https://archive.example.org\n"
                                        "timezone: UTC\nlang: en\n", encoding="utf-8")
    for i in range(n):
        year, rest = 1990 + i // 336, i % 336
        month, day = 1 + rest // 28, 1 + rest % 28
        tags = [TAGS[i % len(TAGS)], TAGS[(i * 7 + 3) % len(TAGS)]]
        series = f"series: {SERIES[i % 3]}\n" if i % 4 == 0 else ""
        (posts / f"{year}-{month:02d}-{day:02d}-paper-{i + 1:05d}.md").write_text(
            f"---\ntitle: Archive paper {i + 1}\nauthor: Author {i % 97}\ntags: [{', '.join(dict.fromkeys(tags))}]\n"
            f"{series}---\n\nPaper {i + 1} is about {tags[0]} and {tags[1]}; this paragraph is its summary.\n\n"
            f"## Background\n\nThe background of paper {i + 1}, with a note.[^1]\n\n"
            f"## Findings\n\n- one finding\n- another finding\n\n[^1]: The note of paper {i + 1}.\n",
            encoding="utf-8")
    return folder


def run(args: list, peak: bool = False) -> tuple[float, float, int, str]:
    """A publisher command as a fresh process: (wall s, CPU s of it and its children, peak RSS kB of the
    main process or 0, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-c", PEAK, *map(str, args)] if peak else [BIN / "publisher", *map(str, args)]
    start = time.perf_counter()
    proc = subprocess.run(list(map(str, cmd)), capture_output=True, text=True, env=ENV, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(map(str, args))}\n{proc.stderr[-3000:]}")
    kb = max([int(line.split()[1]) for line in proc.stderr.splitlines() if line.startswith("PEAK_RSS_KB")] or [0])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, kb, proc.stdout


def tree(out: Path) -> dict[str, str]:
    """Every file of OUT (its state folder aside) and the SHA-256 of its bytes."""
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(out.rglob("*"))
            if p.is_file() and ".publisher" not in p.relative_to(out).parts}


def measure_list(n: int, tmp: Path) -> dict:
    """Only `publisher list --json` on a generated archive of N papers (no build): best of 3, peak RSS."""
    site = generate(n, tmp / f"list-{n}")
    fig: dict = {"papers": n, "load_start": os.getloadavg()[0]}
    listing = [run(["list", site, "--json"], peak=True) for _ in range(3)]
    assert listing[0][3].count("\n") == n, "list --json must print one line per paper"
    fig["list_wall"], fig["list_cpu"] = min(r[0] for r in listing), min(r[1] for r in listing)
    fig["list_peak_kb"] = max(r[2] for r in listing)
    # `list --out OUT` with the parse memo a build's read stage leaves in OUT/.publisher (made here by
    # that stage alone: discover, read, normalize, memo saved; no editions)
    out = tmp / f"list-{n}-out"
    subprocess.run([sys.executable, "-c", MEMO, str(site), str(out)], check=True, env=ENV, cwd=ROOT)
    cached = [run(["list", site, "--json", "--out", out], peak=True) for _ in range(3)]
    assert cached[0][3] == listing[0][3], "list --out must give the same answer"
    fig["list_memo_wall"], fig["list_memo_cpu"] = min(r[0] for r in cached), min(r[1] for r in cached)
    fig["list_memo_peak_kb"] = max(r[2] for r in cached)
    fig["load_end"] = os.getloadavg()[0]
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return fig


# The read stage of a build (build._build up to memo.finish), then the state saved: OUT/.publisher
# holds the parse memo a build of SITE would leave, without the editions.
MEMO = """
import sys
from pathlib import Path
from publisher import cache, config
from publisher.build import BuildOptions, collect
site = config.load(Path(sys.argv[1]).resolve())
out = Path(sys.argv[2]).resolve()
out.mkdir(parents=True, exist_ok=True)
state = cache.State.load(out)
memo = cache.ParseMemo(state, cache.context(site, state, site.options.page_size, {}).parse, site.root)
collect(site, BuildOptions(source=site.root), memo)
memo.finish()
state.save()
"""


def measure(n: int, tmp: Path, shards: bool = True) -> dict:
    """Every archive figure for an archive of N papers, generated under TMP (removed by the caller)."""
    site = generate(n, tmp / f"archive-{n}")
    out = tmp / f"out-{n}"
    fig: dict = {"papers": n, "load_start": os.getloadavg()[0]}
    build = ["build", site, "-o", out, "--format", "html,epub", "--jobs", "2", "--json"]
    fig["cold_wall"], fig["cold_cpu"], fig["cold_peak_kb"], _ = run(build, peak=True)
    print(f"  {n} papers: cold {fig['cold_wall']:.1f} s", flush=True)
    noop = [run(build, peak=True) for _ in range(3)]
    fig["noop_wall"], fig["noop_cpu"], fig["noop_peak_kb"] = min(r[0] for r in noop), min(r[1] for r in noop), \
        max(r[2] for r in noop)
    listing = [run(["list", site, "--json"], peak=True) for _ in range(3)]
    fig["list_wall"], fig["list_cpu"] = min(r[0] for r in listing), min(r[1] for r in listing)
    fig["list_peak_kb"] = max(r[2] for r in listing)
    assert listing[0][3].count("\n") == n, "list --json must print one line per paper"
    fig["catalog_pages"] = 1 + len(list((out / "catalog").glob("page-*.html")))
    fig["load_end"] = os.getloadavg()[0]
    if shards:
        parts = []
        for k in (1, 2):  # each shard from a copy of the cold OUT (hard links): the cache builds nothing
            part = tmp / f"shard-{n}-{k}"
            subprocess.run(["cp", "-al", str(out), str(part)], check=True)
            run(["build", site, "-o", part, "--format", "html,epub", "--shard", f"{k}/2", "--json"])
            parts.append(part)
        merged = tmp / f"merged-{n}"
        fig["merge_wall"], fig["merge_cpu"], fig["merge_peak_kb"], _ = run(["merge", *parts, "-o", merged], peak=True)
        fig["merge_equal"] = tree(merged) == tree(out)
        for p in parts + [merged]:
            shutil.rmtree(p, ignore_errors=True)
    return fig


# A build whose editions are stubs: the real pipeline (discover, read, normalize, plan, catalog, feeds,
# manifest, the state in OUT/.publisher) with build.run replaced by one that writes a few bytes per
# edition instead of running pandoc, ebooklib and the HTML page. What a no-op build, `list --out`,
# `--shard` and `merge` do afterwards never reads an edition's bytes, so they do the same work on
# this OUT as on a real one; a cold build of 10,000 real papers takes too long on a shared machine.
STUB = """
import html, sys
from pathlib import Path
from types import SimpleNamespace
from publisher import build as B, catalog
from publisher.dist import sha256_file
from publisher.editions.common import edition_names
from publisher.model import Edition, PaperResult

def stub(job):
    paper, out_dir = job.paper, job.out_dir / job.paper.slug
    out_dir.mkdir(parents=True, exist_ok=True)
    editions = []
    for fmt in job.formats:
        path = out_dir / edition_names(paper.slug)[fmt]
        path.write_bytes(f"{fmt} edition of {paper.slug} (stub)".encode())
        editions.append(Edition(paper.slug, fmt, path, size=path.stat().st_size, sha256=sha256_file(path)))
    doc = SimpleNamespace(title_html=html.escape(paper.title), title_text=paper.title, summary_html="")
    return PaperResult(paper.rel_source, slug=paper.slug, title=paper.title, editions=editions,
                       summary=catalog.entry(paper, doc, editions, job.out_dir))

def run(jobs, workers, page_size, done, pdf_child=None):
    results = [stub(j) for j in jobs]
    for r in results:
        done(r)
    return results

B.run = run
B.build(B.BuildOptions(source=Path(sys.argv[1]), out=Path(sys.argv[2]), formats=["html", "epub"], jobs=1))
"""


def measure_stubbed(n: int, tmp: Path) -> dict:
    """No-op, `list --out`, peak RSS and shard + merge for N papers on an OUT whose editions are stubs."""
    site = generate(n, tmp / f"stub-{n}")
    out = tmp / f"stub-{n}-out"
    fig: dict = {"papers": n, "stub": True, "load_start": os.getloadavg()[0]}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", STUB, str(site), str(out)], check=True, env=ENV, cwd=ROOT)
    fig["stub_build_wall"] = time.perf_counter() - start
    print(f"  {n} papers, stub editions: built in {fig['stub_build_wall']:.1f} s", flush=True)
    build = ["build", site, "-o", out, "--format", "html,epub", "--jobs", "2", "--json"]
    noop = [run(build, peak=True) for _ in range(3)]
    events = [json.loads(line) for line in noop[-1][3].splitlines() if line.startswith("{")]
    fig["noop_all_cached"] = sum(1 for e in events if e.get("event") == "paper" and e.get("status") == "cached") == n
    fig["noop_wall"], fig["noop_cpu"] = min(r[0] for r in noop), min(r[1] for r in noop)
    fig["noop_peak_kb"] = max(r[2] for r in noop)
    cached = [run(["list", site, "--json", "--out", out], peak=True) for _ in range(3)]
    fig["list_memo_wall"], fig["list_memo_cpu"] = min(r[0] for r in cached), min(r[1] for r in cached)
    fig["list_memo_peak_kb"] = max(r[2] for r in cached)
    parts = []
    for k in (1, 2):
        part = tmp / f"stub-{n}-shard{k}"
        subprocess.run(["cp", "-al", str(out), str(part)], check=True)
        run(["build", site, "-o", part, "--format", "html,epub", "--shard", f"{k}/2", "--json"])
        parts.append(part)
    merged = tmp / f"stub-{n}-merged"
    fig["merge_wall"], fig["merge_cpu"], fig["merge_peak_kb"], _ = run(["merge", *parts, "-o", merged], peak=True)
    fig["merge_equal"] = tree(merged) == tree(out)
    fig["load_end"] = os.getloadavg()[0]
    for p in parts + [merged, out, site]:
        shutil.rmtree(p, ignore_errors=True)
    return fig


def stub_table(figs: list[dict]) -> str:
    """The stubbed-editions figures as a Markdown table (times wall / CPU)."""
    lines = ["| papers (stub editions) | no-op (s) | all cached | list --json --out (s) | peak RSS main, no-op / list "
             "(MB) | merge (s) | merge per paper (ms CPU) | merged = single | load |",
             "|---|---|---|---|---|---|---|---|---|"]
    for f in figs:
        lines.append(f"| {f['papers']:,} | {f['noop_wall']:.2f} / {f['noop_cpu']:.2f} | "
                     f"{'yes' if f['noop_all_cached'] else 'NO'} | {f['list_memo_wall']:.2f} / {f['list_memo_cpu']:.2f} | "
                     f"{f['noop_peak_kb'] / 1024:.0f} / {f['list_memo_peak_kb'] / 1024:.0f} | "
                     f"{f['merge_wall']:.2f} / {f['merge_cpu']:.2f} | {f['merge_cpu'] / f['papers'] * 1000:.2f} | "
                     f"{'yes' if f['merge_equal'] else 'NO'} | {f['load_start']:.1f}–{f['load_end']:.1f} |")
    return "\n".join(lines)


def table(figs: list[dict]) -> str:
    """The archive figures as Markdown tables: per size, then the targets. Times are wall / CPU."""
    lines = ["| papers | cold build (s) | per paper (ms) | no-op (s) | list --json (s) "
             "| peak RSS main (MB, cold / no-op / list) | merge (s) | merge per paper (ms) | merged = single | load |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for f in figs:
        n = f["papers"]
        if "cold_wall" not in f:  # list only
            lines.append(f"| {n:,} | – | – | – | {f['list_wall']:.2f} / {f['list_cpu']:.2f}; with --out "
                         f"{f['list_memo_wall']:.2f} / {f['list_memo_cpu']:.2f} | – / – / "
                         f"{f['list_peak_kb'] / 1024:.0f} | – | – | – | {f['load_start']:.1f}–{f['load_end']:.1f} |")
            continue
        merge = (f"{f['merge_wall']:.2f} | {f['merge_wall'] / n * 1000:.2f} | {'yes' if f['merge_equal'] else 'NO'}"
                 if "merge_wall" in f else "– | – | –")
        lines.append(f"| {n:,} | {f['cold_wall']:.1f} / {f['cold_cpu']:.1f} | {f['cold_wall'] / n * 1000:.0f} / "
                     f"{f['cold_cpu'] / n * 1000:.0f} | {f['noop_wall']:.2f} / {f['noop_cpu']:.2f} | "
                     f"{f['list_wall']:.2f} / {f['list_cpu']:.2f} | {f['cold_peak_kb'] / 1024:.0f} / "
                     f"{f['noop_peak_kb'] / 1024:.0f} / {f['list_peak_kb'] / 1024:.0f} | {merge} | "
                     f"{f['load_start']:.1f}–{f['load_end']:.1f} |")
    by = {f["papers"]: f for f in figs}
    targets = [("no-op rebuild, 1,000 papers", 1000, "noop_wall", 1.0, "s"),
               ("no-op rebuild, 10,000 papers", 10000, "noop_wall", 3.0, "s"),
               ("list --json, 10,000 papers", 10000, "list_wall", 2.0, "s"),
               ("list --json --out OUT (the build's parse memo), 10,000 papers", 10000, "list_memo_wall", 2.0, "s"),
               ("peak memory of the main process, 10,000 papers", 10000, "peak", 300, "MB")]
    lines += ["", "| archive target | measured (wall; CPU) | target (wall) | met |", "|---|---|---|---|"]
    for label, n, key, limit, unit in targets:
        f = by.get(n, {})
        if key == "peak":
            kbs = [f[k] for k in ("cold_peak_kb", "noop_peak_kb", "list_peak_kb") if k in f]
            if not kbs:
                continue
            value, shown = max(kbs) / 1024, f"{max(kbs) / 1024:.0f} MB" + ("" if "cold_peak_kb" in f else " (list only)")
        elif key in f:
            value, shown = f[key], f"{f[key]:.2f} s; {f[key.replace('wall', 'cpu')]:.2f} s"
        else:
            continue
        lines.append(f"| {label} | {shown} | ≤ {limit} {unit} | {'yes' if value <= limit else 'NO'} |")
    return "\n".join(lines)


def main() -> None:
    import tempfile

    sizes = [int(s) for s in (sys.argv[1] if len(sys.argv) > 1 else "1,100,1000").split(",") if s]
    list_only = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if s]
    stubbed = [int(s) for s in (sys.argv[3] if len(sys.argv) > 3 else "").split(",") if s]
    tmp = Path(tempfile.mkdtemp(prefix="publisher-archive-"))
    try:
        figs = [measure(n, tmp) for n in sizes] + [measure_list(n, tmp) for n in list_only]
        stubs = [measure_stubbed(n, tmp) for n in stubbed]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if figs:
        print(table(figs))
    if stubs:
        print("\n" + stub_table(stubs))
    print(json.dumps(figs + stubs))


if __name__ == "__main__":
    main()
