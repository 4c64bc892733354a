"""What a small change in WeasyPrint's hyphenation loop would save on the real paper (measured, not shipped).

    .venv/bin/python benchmarks/hyphenation_patch.py [--rounds 5]

`split_first_line()` (weasyprint/text/line_break.py, "Step #4: Try to hyphenate") tries the candidates
from the longest first part down, with a new Pango layout (`create_layout`) per try. Variants:
(a) reuse one layout for the tries (`set_text`); (b) bisect for the longest fitting candidate (same pick
whenever the fit is monotonic; the last candidate is still accepted when alone on its line); (a)+(b).
The source of `split_first_line` is edited in memory (each edit must match: an upgrade fails loudly),
exec'd in line_break's namespace and bound in every module that imported it. The real paper
(../shared/corpus) goes through `pdf.render_pdf` as in publisher: CPU time best/median of --rounds
alternating rounds (after one untimed render each), call counts of one profiled render, PDF identity.
"""
from __future__ import annotations

import argparse
import cProfile
import inspect
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import textwrap
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

VARIANTS = ["shipped", "(a) reuse layout", "(b) bisect", "(a)+(b)"]

# Pieces of the shipped loop (WeasyPrint 70.0), dedented; LINEAR is the loop as shipped.
CREATE = """\
new_layout = create_layout(
    hyphenated_first_line_text, style, context, max_width,
    justification_spacing)
"""
REUSE = ("if new_layout is None:\n" + textwrap.indent(CREATE, "    ")
         + "else:\n    new_layout.set_text(hyphenated_first_line_text)\n")
TRY = """\
new_first_line_text = first_line_text + first_word_part
hyphenated_first_line_text = (
    new_first_line_text + style['hyphenate_character'])
""" + CREATE + """\
new_first_line, index = new_layout.get_first_line()
new_first_line_width, _ = line_size(new_first_line, style)
new_space = max_width - new_first_line_width
"""
ACCEPT = """\
hyphenated = index is None and (
    new_space >= 0 or first_word_part == dictionary_iterations[-1])
if hyphenated:
    layout = new_layout
    first_line = new_first_line
    resume_index = len(new_first_line_text.encode())
"""
LINEAR = ("for first_word_part in dictionary_iterations:\n"
          + textwrap.indent(TRY + ACCEPT + "    break\n", "    "))
BISECT = ("lo, hi, done = 0, len(dictionary_iterations) - 1, None\n"
          "while True:\n"
          "    i = (lo + hi) // 2\n"
          "    if i != done:\n"
          "        first_word_part, done = dictionary_iterations[i], i\n"
          + textwrap.indent(TRY, " " * 8)
          + "    if lo == hi:\n        break\n"
          "    if index is None and new_space >= 0:\n        hi = i\n"
          "    else:\n        lo = i + 1\n" + ACCEPT)
GATE = "    if dictionary_iterations:\n"


def edit(src: str, old: str, new: str) -> str:
    """Replace OLD by NEW exactly once in SRC, or fail loudly."""
    assert src.count(old) == 1, f"split_first_line changed, no single match for:\n{old}"
    return src.replace(old, new)


def patched(original, variant: str, namespace: dict | None = None, probe: str = ""):
    """split_first_line with the edits of VARIANT, exec'd in line_break's namespace."""
    import weasyprint.text.line_break as lb
    src = inspect.getsource(original)
    if "(b)" in variant:
        src = edit(src, textwrap.indent(LINEAR, " " * 8), textwrap.indent(BISECT, " " * 8))
    if "(a)" in variant:
        src = edit(src, GATE, GATE + "        new_layout = None\n")
        indent = " " * (16 if "(b)" in variant else 12)
        src = edit(src, textwrap.indent(CREATE, indent), textwrap.indent(REUSE, indent))
    if probe:
        src = edit(src, GATE, probe + GATE)
    local: dict = {}
    exec(compile(src, f"<split_first_line {variant}>", "exec"), namespace or vars(lb), local)
    return local["split_first_line"]


def probe_fits(stats: dict):
    """A shipped split_first_line that first tries every candidate and records the fit pattern."""
    import weasyprint.text.line_break as lb

    def probe(parts, first_line_text, style, context, max_width, spacing):
        if not parts:
            return
        fits = []
        for part in parts:
            layout = lb.create_layout(first_line_text + part + style["hyphenate_character"],
                                      style, context, max_width, spacing)
            line, index = layout.get_first_line()
            fits.append(index is None and max_width - lb.line_size(line, style)[0] >= 0)
        stats["hyphenation tries"] += 1
        stats["candidates"] += len(parts)
        stats["non-monotonic fits"] += any(f and not g for f, g in zip(fits, fits[1:]))
        linear = fits.index(True) if True in fits[:-1] else len(fits) - 1
        lo, hi = 0, len(fits) - 1
        while lo < hi:
            lo, hi = (lo, (lo + hi) // 2) if fits[(lo + hi) // 2] else ((lo + hi) // 2 + 1, hi)
        stats["bisect picks another"] += lo != linear

    call = ("    _probe(dictionary_iterations, first_line_text, style, context, max_width,"
            " justification_spacing)\n")
    return patched(lb.split_first_line, "shipped", dict(vars(lb), _probe=probe), call)


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def text_lines_differ(a: bytes, b: bytes) -> int:
    """How many lines of `pdftotext -layout` differ between two PDFs."""
    texts = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, data in (("a", a), ("b", b)):
            (Path(tmp) / f"{name}.pdf").write_bytes(data)
            out = subprocess.run(["pdftotext", "-layout", f"{tmp}/{name}.pdf", "-"],
                                 capture_output=True, text=True, check=True).stdout
            texts.append(out.splitlines())
    return sum(x != y for x, y in zip_longest(*texts))


def measure(rounds: int) -> list[dict]:
    """Typeset the real paper under each variant; one row (a dict) per variant."""
    from publisher import config, render
    from publisher.build import collect, BuildOptions, _warm_worker
    from publisher.editions import pdf

    site = config.load(CORPUS.resolve())
    paper = collect(site, BuildOptions(source=site.root))[0][0]
    opts = pdf.PdfOptions(roots=(site.root,))
    _warm_worker("A4", paper.lang)
    doc = render.render(paper)
    import weasyprint.text.line_break as lb
    original = lb.split_first_line
    modules = [m for m in list(sys.modules.values()) if getattr(m, "split_first_line", None) is original]
    funcs = {v: patched(original, v) if v != "shipped" else original for v in VARIANTS}

    def run(fn) -> tuple[float, bytes]:
        for module in modules:
            module.split_first_line = fn
        try:
            start = cpu()
            data, _pages = pdf.render_pdf(paper, doc, doc.body_html, opts)
            return cpu() - start, data
        finally:
            for module in modules:
                module.split_first_line = original

    rows = {v: {"variant": v, "times": [], "pdf": run(funcs[v])[1]} for v in VARIANTS}
    for _ in range(rounds):
        for v in VARIANTS:
            seconds, data = run(funcs[v])
            rows[v]["times"].append(seconds)
            assert data == rows[v]["pdf"], f"{v}: PDF not deterministic"
    for v in VARIANTS:
        prof = cProfile.Profile()
        prof.runcall(run, funcs[v])
        calls = {}
        for (path, _line, name), (_cc, nc, *_rest) in pstats.Stats(prof).stats.items():
            if path.endswith("line_break.py") and name in ("create_layout", "get_first_line"):
                calls[name] = calls.get(name, 0) + nc
        rows[v].update(create_layout=calls.get("create_layout", 0),
                       get_first_line=calls.get("get_first_line", 0))
    shipped = rows["shipped"]
    for row in rows.values():
        row["best"] = min(row["times"]) if row["times"] else float("nan")
        row["median"] = statistics.median(row["times"]) if row["times"] else float("nan")
        row["same_pdf"] = row["pdf"] == shipped["pdf"]
        row["lines_differ"] = 0 if row["same_pdf"] else text_lines_differ(shipped["pdf"], row["pdf"])
    stats = dict.fromkeys(["hyphenation tries", "candidates", "non-monotonic fits", "bisect picks another"], 0)
    run(probe_fits(stats))
    result = [rows[v] for v in VARIANTS]
    for row in result:
        del row["pdf"]
    result[0]["fit_stats"] = stats
    return result


def table(rows: list[dict]) -> str:
    """The rows of measure() as a Markdown table, plus the fit pattern of the candidates."""
    base = rows[0]["best"]
    out = ["| variant | layout+write CPU s best | median | vs shipped | create_layout calls"
           " | get_first_line calls | PDF same as shipped |", "|---|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        same = "yes" if r["same_pdf"] else f"no ({r['lines_differ']} text lines differ)"
        out.append(f"| {r['variant']} | {r['best']:.3f} | {r['median']:.3f} | {r['best'] / base - 1:+.1%}"
                   f" | {r['create_layout']} | {r['get_first_line']} | {same} |")
    stats = rows[0].get("fit_stats")
    if stats:
        out.append("\nHyphenation candidates: " + ", ".join(f"{k}: {v}" for k, v in stats.items()))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="timed rounds, all variants per round")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"skipped: no corpus at {CORPUS} (the real paper is needed)")
        return
    print(table(measure(args.rounds)))


if __name__ == "__main__":
    main()
