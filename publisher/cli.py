"""The `publisher` command: a thin click layer over build() and friends."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import __version__
from .build import BuildOptions, build, default_jobs, list_papers
from .catalog import record
from .config import FORMATS
from .model import InputError

EXIT_OK, EXIT_PAPERS_FAILED, EXIT_USAGE = 0, 1, 2


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
                else:
                    for e in r.editions:
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
            line = f"{ok} paper(s) built, {editions} edition(s), {len(report.failed)} failed in {report.seconds:.1f} s → {report.out}"
            if report.failed:
                line += "\nfailed: " + ", ".join(p.rel_source for p in report.failed)
            self.err(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="publisher")
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
@click.option("--page-size", help="PDF page size: A4, Letter, B5, 6x9, A5 or 'W H'.")
@click.option("-q", "--quiet", is_flag=True, help="Only problems and the summary.")
@click.option("--debug", is_flag=True, help="Show tracebacks for internal errors.")
def build_cmd(source, out, formats, jobs, future, drafts, unpublished, config_files, page_size, quiet, debug):
    """Build every paper under SOURCE (default: content/) into OUT."""
    if not source.is_dir():
        raise click.UsageError(f"{source}: no such folder")
    opts = BuildOptions(source=source, out=out, formats=_formats(formats), jobs=jobs or default_jobs(),
                        future=future, drafts=drafts, unpublished=unpublished,
                        config_files=_config_files(config_files), page_size=page_size, debug=debug)
    reporter = Reporter(quiet)
    try:
        report = build(opts, reporter)
    except InputError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(EXIT_USAGE)
    for p in report.problems:
        reporter.err(str(p))
    sys.exit(EXIT_PAPERS_FAILED if report.failed else EXIT_OK)


@cli.command("list")
@click.argument("source", type=click.Path(file_okay=False, path_type=Path), default="content")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--future", is_flag=True)
@click.option("--drafts", is_flag=True)
@click.option("--unpublished", is_flag=True)
@click.option("--config", "config_files")
def list_cmd(source, as_json, future, drafts, unpublished, config_files):
    """List the papers `build` would build, with their metadata."""
    if not source.is_dir():
        raise click.UsageError(f"{source}: no such folder")
    opts = BuildOptions(source=source, future=future, drafts=drafts, unpublished=unpublished,
                        config_files=_config_files(config_files))
    try:
        papers, failed, problems = list_papers(opts)
    except InputError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(EXIT_USAGE)
    for p in problems + [pr for r in failed for pr in r.problems]:
        click.echo(str(p), err=True)
    for paper in papers:
        if as_json:
            click.echo(json.dumps(record(paper), ensure_ascii=False, sort_keys=True))
        else:
            click.echo(f"{paper.date:%Y-%m-%d}  {paper.slug:40}  {paper.title}")
    sys.exit(EXIT_PAPERS_FAILED if failed else EXIT_OK)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="publisher")


if __name__ == "__main__":
    main()
