"""What each feature of the house PDF costs WeasyPrint on the real paper (issue 19).

    .venv/bin/python benchmarks/pdf_ablation.py [--repeat 3] [--profile]

The real paper (../shared/corpus) goes through publisher's own steps (pandoc, the PDF body, the print
HTML, the house stylesheets); then WeasyPrint lays it out (`HTML.render`) and writes it
(`write_pdf`) in this warm process, once as shipped and once per ablation: a small stylesheet added
last that switches one feature off. Each figure is the best CPU time (this process) of --repeat runs,
so it holds on a shared machine; the page count and the line count of `pdftotext -layout` show what
switching the feature off does to the page. --profile adds a cProfile summary of the house layout:
where WeasyPrint spends its time (cascade, layout, line breaking, drawing, writing).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus"
sys.path.insert(0, str(ROOT))

# (label, CSS added last, or a special switch)
ABLATIONS = [
    ("house PDF, as shipped", ""),
    ("no hyphenation", "* { hyphens: manual !important; }"),
    ("no target-counter() in the contents", "nav.toc a::after { content: none !important; }"),
    ("no running heads (string-set)", "* { string-set: none !important; }"),
    ("no small caps", "abbr, .caps { font-variant-caps: normal !important; font-variant-numeric: normal !important;"
                      " letter-spacing: normal !important; }"),
    ("no font fallback chain", ':root { --serif: "Publisher Text", serif !important; '
                               '--mono: "Publisher Mono", monospace !important; }'),
    ("no footnote floats (notes inline)", ".footnote { float: none !important; }"),
    ("no justification", "main.text, main.text * { text-align: left !important; }"),
    ("no old-style figures", "* { font-variant-numeric: normal !important; }"),
    ("print.css not at all (page CSS and faces only)", "@@no-print-css"),
]


def source():
    """(paper, print HTML, base URL, roots) of the real paper, as publisher typesets it."""
    from publisher import config, render
    from publisher.build import BuildOptions, collect
    from publisher.editions import body as edition_body
    from publisher.editions import pdf

    site = config.load(CORPUS.resolve())
    paper = collect(site, BuildOptions(source=site.root))[0][0]
    doc = render.render(paper)
    edition_body.prepare(paper, doc, site)
    body = edition_body.for_pdf(doc, paper, site.options.notes, site.url, [])
    html = pdf.print_html(paper, doc, body, None, pdf.local_image(paper, (site.root,)))
    return paper, html, paper.source.parent.as_uri() + "/", (site.root,)


def sheets(extra: str):
    from weasyprint import CSS

    from publisher.editions import pdf
    from publisher.resources import read_style

    fc = pdf._font_config()
    house = pdf._stylesheets("A4")
    if extra == "@@no-print-css":
        return [house[0], house[2]], fc
    return house + ([CSS(string=extra, font_config=fc)] if extra else []), fc


def typeset(html: str, base: str, roots, extra: str, profile: cProfile.Profile | None = None):
    """(layout CPU s, write CPU s, pages, PDF bytes) for one run."""
    from weasyprint import HTML

    from publisher.editions import pdf

    styles, fc = sheets(extra)
    start = time.process_time()
    if profile:
        profile.enable()
    doc = HTML(string=html, base_url=base, url_fetcher=pdf._fetcher(roots, False, ())).render(
        stylesheets=styles, font_config=fc)
    laid = time.process_time()
    data = doc.write_pdf()
    if profile:
        profile.disable()
    return laid - start, time.process_time() - laid, len(doc.pages), data


def lines_of(data: bytes) -> list[str]:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        text = subprocess.run(["pdftotext", "-layout", f.name, "-"], capture_output=True, text=True).stdout
    return [ln.strip() for ln in text.splitlines() if ln.strip()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-only", action="store_true", help="only the cProfile summary")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        sys.exit(f"the real paper is expected in {CORPUS}")
    from publisher.editions import pdf

    pdf.load_weasyprint()
    import logging
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    paper, html, base, roots = source()
    typeset(html, base, roots, "")  # warm: fonts, hyphenation dictionaries, stylesheets
    import os
    print(f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    rows = []
    house_lines = None
    for label, extra in ([] if args.profile_only else ABLATIONS):
        runs = [typeset(html, base, roots, extra) for _ in range(args.repeat)]
        layout, write = min(r[0] for r in runs), min(r[1] for r in runs)
        pages, data = runs[0][2], runs[0][3]
        lines = lines_of(data)
        if house_lines is None:
            house_lines, house = lines, (layout, write)
        same = sum(a == b for a, b in zip(lines, house_lines))
        rows.append((label, layout, write, pages, len(lines), same))
        print(f"  {label}: layout {layout:.2f} s, write {write:.2f} s, {pages} pages", flush=True)
    print(f"load average {os.getloadavg()[0]:.1f} at the end\n")
    if rows:
        print_table(rows, house)
    if args.profile or args.profile_only:
        prof = cProfile.Profile()
        typeset(html, base, roots, "", prof)
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(
            r"weasyprint/(css/__init__|layout/__init__|layout/(page|block|inline)|text/line_break|draw/__init__|"
            r"pdf/__init__|pdf/fonts|html|document|formatting_structure/build|text/ffi)|pyphen", 30)
        print(buf.getvalue()[-8000:])


def print_table(rows, house) -> None:
    print("| variant | layout (CPU s) | vs house | write_pdf (CPU s) | pages | text lines | lines as in the house PDF |")
    print("|---|---|---|---|---|---|---|")
    for label, layout, write, pages, n, same in rows:
        print(f"| {label} | {layout:.2f} | {layout - house[0]:+.2f} | {write:.2f} | {pages} | {n} | {same} |")


if __name__ == "__main__":
    main()
