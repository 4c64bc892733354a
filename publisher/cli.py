"""The `publisher` command: a thin click layer over build() and friends."""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import click

from .build import BuildOptions, build, default_jobs, list_papers
from .config import FORMATS, page_size_problem, pdf_variant_problem
from .events import JsonEvents
from .events import problem as event_problem
from .model import InputError

EXIT_OK, EXIT_PAPERS_FAILED, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM, as a shell reports it


class Tally:
    """Passes progress events on, counting finished papers for the summary after an interruption."""

    def __init__(self, inner):
        self.inner = inner
        self.total: int | None = None
        self.built = self.failed = 0

    def __call__(self, event: str, data: dict) -> None:
        if event == "start":
            self.total = data.get("total")
        elif event in ("paper", "failed"):
            if data["result"].failed:
                self.failed += 1
            else:
                self.built += 1
        self.inner(event, data)

    def interrupted(self, out: Path) -> str:
        """The summary printed when the build is stopped."""
        of = f" of {self.total}" if self.total is not None else ""
        return (f"interrupted: {self.built} paper(s){of} built, {self.failed} failed before the stop. Every file in "
                f"{out} is either the previous edition or a complete new one (the manifest is the previous one); "
                "run the build again to finish.")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _unwritable(exc: OSError, out: Path) -> str:
    where = exc.filename or out
    if where != out:
        from .isolation import final_name

        where = final_name(str(where))
    return (f"{where}: error: cannot write: {exc.strerror} (hint: free some disk space or make {out} writable, "
            "or choose another folder with -o; the previous editions were left as they were)")


def _formats(value: str | None) -> list[str] | None:
    if not value:
        return None
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise click.BadParameter(f"unknown format {bad[0]!r}; choose from {', '.join(FORMATS)}")
    return formats


def _config_files(value: str | None) -> list[Path] | None:
    return [Path(p.strip()) for p in value.split(",") if p.strip()] if value else None


def _shard(ctx, param, value: str | None) -> tuple[int, int] | None:
    """'2/4' → (2, 4)."""
    if not value:
        return None
    try:
        k, n = (int(x) for x in value.split("/"))
    except ValueError:
        raise click.BadParameter("write it as K/N, for example 2/4") from None
    if not 1 <= k <= n:
        raise click.BadParameter(f"K must be between 1 and N ({value})")
    return k, n


class Reporter:
    """Progress: a rich progress bar on a TTY, plain lines otherwise (CI logs)."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.tty = sys.stderr.isatty() and not os.environ.get("CI")
        self.progress = None
        self.task = None

    def err(self, text: str) -> None:
        if self.progress is not None:
            self.progress.console.print(text, markup=False, highlight=False)
        else:
            click.echo(text, err=True)

    def __call__(self, event: str, data: dict) -> None:
        if event == "start" and self.tty and not self.quiet:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(TextColumn("building"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                     transient=True)
            self.progress.start()
            self.task = self.progress.add_task("papers", total=data["total"])
        elif event in ("paper", "failed"):
            r = data["result"]
            for p in r.problems:
                self.err(str(p))
            if not self.quiet:
                if r.failed:
                    self.err(f"FAILED {r.rel_source}")
                elif r.cached:
                    self.err(f"cached {r.slug}/ ({', '.join(e.format for e in r.editions)})")
                else:
                    for e in r.editions:
                        if e.cached:
                            continue
                        extra = f", {e.pages} pages" if e.pages else ""
                        self.err(f"built  {r.slug}/{e.path.name} ({e.size:,} bytes{extra})")
            if self.progress is not None and event == "paper":
                self.progress.advance(self.task)
        elif event == "done":
            if self.progress is not None:
                self.progress.stop()
            report = data["report"]
            ok = len(report.papers) - len(report.failed)
            editions = sum(len(p.editions) for p in report.papers)
            cached = sum(1 for p in report.papers if not p.failed and p.cached)
            line = (f"{ok} paper(s) built ({cached} unchanged, from the cache), {editions} edition(s), "
                    f"{len(report.failed)} failed in {report.seconds:.1f} s → {report.out}")
            if report.removed:
                line += "\nremoved (no longer built): " + ", ".join(report.removed)
            if report.failed:
                line += "\nfailed: " + ", ".join(p.rel_source for p in report.failed)
            incomplete = [f"{p.rel_source} ({', '.join(p.incomplete)})" for p in report.papers if p.incomplete]
            if incomplete:
                line += "\neditions not built: " + ", ".join(incomplete)
            self.err(line)


def _page_size(ctx, param, value: str | None) -> str | None:
    if value and page_size_problem(value):
        raise click.BadParameter(f"{value!r}: use A4, Letter, B5, 6x9, A5 or two CSS lengths such as '170mm 240mm'")
    return value


def _volume(ctx, param, value: str | None) -> str | None:
    """--volume (issue 17): a selection such as 'category=policy,from=2025-01-01'."""
    if value:
        from .volumes import parse_selection

        try:
            parse_selection(value)
        except InputError as exc:
            raise click.BadParameter(f"{exc.problem.message} ({exc.problem.hint})") from None
    return value


def _pdf_variant(ctx, param, value: str | None) -> str | None:
    if value and (why := pdf_variant_problem(value)):
        raise click.BadParameter(f"{why}; use for example pdf/a-3b, pdf/ua-1 or 'pdf/a-3b,pdf/ua-1'")
    return value.lower() if value else value


def _print_versions(ctx, param, value) -> None:
    """--version: publisher's version and those of the tools that shape the editions."""
    if not value or ctx.resilient_parsing:
        return
    from .versions import versions_text

    click.echo(versions_text())
    ctx.exit(0)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_versions,
              help="Show publisher's, pandoc's, WeasyPrint's and ebooklib's versions and exit.")
def cli() -> None:
    """Turn Jekyll papers into PDF, EPUB 3 and HTML editions."""


@cli.command("build")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path), default="content")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default="dist", show_default=True,
              help="Output folder.")
@click.option("--format", "formats", help="Comma-separated editions to build: pdf,epub,html (default: all).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Papers built in parallel (default: CPUs).")
@click.option("--future", is_flag=True, help="Also build posts dated in the future.")
@click.option("--drafts", is_flag=True, help="Also build drafts from _drafts/.")
@click.option("--unpublished", is_flag=True, help="Also build posts with 'published: false'.")
@click.option("--config", "config_files", help="Config files to use instead of _config.yml (comma-separated).")
@click.option("--page-size", callback=_page_size, help="PDF page size: A4, Letter, B5, 6x9, A5 or 'W H' (wins over "
              "a paper's own page_size).")
@click.option("--print", "print_ready", is_flag=True, help="PDF for the press: 3 mm bleed, crop and cross marks, "
              "image resolution check.")
@click.option("--pdf-variant", callback=_pdf_variant, help="PDF/A and/or PDF/UA: e.g. pdf/a-3b, pdf/ua-1 or "
              "'pdf/a-3b,pdf/ua-1'.")
@click.option("-q", "--quiet", is_flag=True, help="Only problems and the summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
@click.option("--self-contained", is_flag=True, help="HTML edition as one file: CSS, images and fonts inlined.")
@click.option("--force", is_flag=True, help="Rebuild every edition, ignoring the cache.")
@click.option("--clean", is_flag=True, help="Empty OUT first (removes files publisher did not write; full rebuild).")
@click.option("--shard", callback=_shard, metavar="K/N", help="Build only part K of N (stable split by slug).")
@click.option("--strict", is_flag=True, help="Warnings are fatal: a paper with a warning fails (exit 1).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable events on stdout, one JSON object per line.")
@click.option("--volume", callback=_volume, metavar="SELECTION", help="Also build a one-off volume of the papers "
              "selected, e.g. 'category=policy,from=2025-01-01' (keys: category, tag, series, from, to).")
@click.option("--volume-title", help="The title of the --volume volume.")
@click.option("--volume-bibliography", type=click.Choice(["per-paper", "volume"]), default=None,
              help="The --volume volume's references: each paper's at its end (per-paper, the default) or one "
              "list at the back (volume).")
def build_cmd(source, out, formats, jobs, future, drafts, unpublished, config_files, page_size, print_ready,
              pdf_variant, quiet, debug, self_contained, force, clean, shard, strict, as_json, volume=None,
              volume_title=None, volume_bibliography=None):
    """Build every paper under SOURCE (default: content/) into OUT.

    Exit status: 0 every paper built, 1 some papers failed (the others were built), 2 usage or
    configuration error."""
    if not source.is_dir():
        raise click.UsageError(f"{source}: no such folder")
    if volume_bibliography and not volume:
        raise click.UsageError("--volume-bibliography applies to the --volume volume; give --volume too (a volume "
                               "of _config.yml takes bibliography: in its declaration)")
    opts = BuildOptions(source=source, out=out, formats=_formats(formats), jobs=jobs or default_jobs(),
                        future=future, drafts=drafts, unpublished=unpublished,
                        config_files=_config_files(config_files), page_size=page_size, debug=debug,
                        self_contained=self_contained, force=force, clean=clean, shard=shard, strict=strict,
                        print_ready=print_ready, pdf_variant=pdf_variant, volume=volume, volume_title=volume_title,
                        volume_bibliography=volume_bibliography)
    reporter = JsonEvents() if as_json else Reporter(quiet)
    if as_json:
        reporter.out = out.resolve()
    tally = Tally(reporter)
    signal.signal(signal.SIGTERM, _interrupt)  # stop as cleanly as on Ctrl-C
    try:
        report = build(opts, tally)
    except InputError as exc:
        if as_json:
            reporter.emit("problem", **event_problem(exc.problem))
            reporter.emit("done", exit_code=EXIT_USAGE)
        else:
            click.echo(str(exc.problem), err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        if getattr(reporter, "progress", None) is not None:
            reporter.progress.stop()
        if as_json:
            reporter.emit("done", exit_code=EXIT_INTERRUPTED)
        click.echo(tally.interrupted(out), err=True)
        sys.exit(EXIT_INTERRUPTED)
    except OSError as exc:
        if debug:
            raise
        click.echo(_unwritable(exc, out), err=True)
        sys.exit(EXIT_USAGE)
    if not as_json:
        for p in report.problems:
            reporter.err(str(p))
    sys.exit(report.exit_code)


@cli.command("list")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path), default="content")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--future", is_flag=True)
@click.option("--drafts", is_flag=True)
@click.option("--unpublished", is_flag=True)
@click.option("--config", "config_files")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="A build's output folder: unchanged posts are read from its cache instead of parsed again.")
def list_cmd(source, as_json, future, drafts, unpublished, config_files, out):
    """List the papers `build` would build, with their metadata."""
    from . import catalog

    if not source.is_dir():
        raise click.UsageError(f"{source}: no such folder")
    opts = BuildOptions(source=source, future=future, drafts=drafts, unpublished=unpublished,
                        config_files=_config_files(config_files))
    try:
        papers, failed, problems = list_papers(opts, out)
    except InputError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(EXIT_USAGE)
    for p in problems + [pr for r in failed for pr in r.problems]:
        click.echo(str(p), err=True)
    for paper in papers:
        if as_json:
            click.echo(json.dumps(catalog.record(paper), ensure_ascii=False, sort_keys=True))
        else:
            click.echo(f"{paper.date:%Y-%m-%d}  {paper.slug:40}  {paper.title}")
    sys.exit(EXIT_PAPERS_FAILED if failed else EXIT_OK)


@cli.command("serve")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path), default="content")
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), default="dist", show_default=True,
              help="Output folder.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("-p", "--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True,
              help="Port (0: any free port).")
@click.option("--fast", is_flag=True, help="HTML edition only (no PDF or EPUB): quick rebuilds while writing.")
@click.option("--format", "formats", help="Comma-separated editions to build (default: all).")
@click.option("--future", is_flag=True, help="Also build posts dated in the future.")
@click.option("--drafts", is_flag=True, help="Also build drafts from _drafts/.")
@click.option("--unpublished", is_flag=True, help="Also build posts with 'published: false'.")
@click.option("--config", "config_files", help="Config files to use instead of _config.yml (comma-separated).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Papers built in parallel at first.")
def serve_cmd(source, out, host, port, fast, formats, future, drafts, unpublished, config_files, jobs):
    """Build SOURCE, serve OUT on HOST:PORT, rebuild on save and reload the page."""
    from .serve import serve

    if not source.is_dir():
        raise click.UsageError(f"{source}: no such folder")
    opts = BuildOptions(source=source, out=out, formats=_formats(formats), jobs=jobs or default_jobs(),
                        future=future, drafts=drafts, unpublished=unpublished,
                        config_files=_config_files(config_files))
    try:
        serve(opts, host=host, port=port, fast=fast, say=lambda text: click.echo(text, err=True))
    except InputError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(EXIT_USAGE)
    except OSError as exc:
        click.echo(f"cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        pass


@cli.command("check")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path), default="dist")
@click.option("--no-epubcheck", is_flag=True, help="Skip EPUBCheck (needs Java).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per checked file on stdout.")
@click.option("--audit", "with_audit", is_flag=True, help="Also run the fidelity audit (`publisher audit`).")
def check_cmd(out, no_epubcheck, as_json, with_audit):
    """Validate every edition in OUT: EPUBCheck, PDF fonts and metadata, HTML and its links.

    Exit status: 0 all passed, 1 some file failed, 2 OUT is not a build output."""
    from .check import check

    if not (out / "manifest.json").is_file():
        click.echo(f"{out}: no manifest.json here; run `publisher build` first", err=True)
        sys.exit(EXIT_USAGE)
    results = check(out, epubcheck=not no_epubcheck)
    for r in results:
        if as_json:
            click.echo(json.dumps({"event": "check", "path": r.path, "kind": r.kind, "ok": r.ok,
                                   "errors": r.errors}, ensure_ascii=False, sort_keys=True))
        else:
            for e in r.errors:
                click.echo(f"{r.path}: error: {e}", err=True)
    bad = [r for r in results if not r.ok]
    if not as_json:
        click.echo(f"{len(results) - len(bad)} of {len(results)} file(s) passed" + (
            "; failed: " + ", ".join(r.path for r in bad) if bad else ""), err=True)
    audited = EXIT_OK
    if with_audit:
        from .audit.report import run_audit

        audited = run_audit(out, None, as_json, lambda text: click.echo(text, err=True), click.echo)
    sys.exit(EXIT_PAPERS_FAILED if bad or audited else EXIT_OK)


@cli.command("audit")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path), default="dist")
@click.option("--source", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The site the editions were built from (default: the one recorded in OUT).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per paper on stdout.")
def audit_cmd(out, source, as_json):
    """Compare the three editions of every paper in OUT with each other and with the source (docs/audit.md).

    Exit status: 0 no finding, 1 some finding, 2 OUT is not a build output."""
    from .audit import NotABuild
    from .audit.report import run_audit

    try:
        sys.exit(run_audit(out, source, as_json, lambda text: click.echo(text, err=True), click.echo))
    except NotABuild as exc:
        click.echo(f"{exc} (hint: run `publisher build` first)", err=True)
        sys.exit(EXIT_USAGE)


@cli.command("merge")
@click.argument("outs", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The merged output folder.")
@click.option("--source", type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="The site (for its _config.yml); default: the one the first shard was built from.")
@click.option("--config", "config_files", help="Config files to use instead of _config.yml (comma-separated).")
def merge_cmd(outs, out, source, config_files):
    """Combine the outputs of `build --shard K/N` (OUTS) into one dist with one catalog, feeds and manifest."""
    from .merge import merge

    try:
        results = merge(list(outs), out, source, _config_files(config_files))
    except InputError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(EXIT_USAGE)
    click.echo(f"merged {len(outs)} folder(s): {len(results)} paper(s) → {out}", err=True)
    sys.exit(EXIT_OK)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="publisher")


if __name__ == "__main__":
    main()
