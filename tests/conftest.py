"""Shared fixtures. Every site under tests/sites/, content/ and the real paper in ../shared/corpus
are built once per session; EPUBCheck runs once, in one JVM, on every EPUB they produce."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from publisher.build import BuildOptions, build
from publisher.validate import epubcheck

ROOT = Path(__file__).resolve().parent.parent
SITES = ROOT / "tests" / "sites"
CORPUS = ROOT.parent / "shared" / "corpus"
REALWORLD = ROOT.parent / "shared" / "realworld"
REALWORLD_SITES = ("iclr-2023", "iclr-2024", "al-folio", "minimal-mistakes")

os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01, fixed for reproducible builds


NO_SHARED = (f"needs the real-world data in {ROOT.parent / 'shared'} (the corpus/ and realworld/ folders "
             "beside the clone), which is absent here")


def need_shared(path: Path) -> Path:
    """PATH (under ../shared), or skip the test with a clear reason when it is absent."""
    if not path.exists():
        pytest.skip(NO_SHARED)
    return path


class Sites(dict):
    """built_sites' mapping: asking for a site that needs ../shared skips the test when it is absent."""

    def __missing__(self, name):
        if name == "corpus":
            pytest.skip(NO_SHARED)
        raise KeyError(name)


def all_sites() -> dict[str, Path]:
    """Name → source folder of every site the suite builds (the corpus only when ../shared is there)."""
    sites = {"content": ROOT / "content"}
    if CORPUS.is_dir():
        sites["corpus"] = CORPUS
    for p in sorted(SITES.iterdir()) if SITES.is_dir() else []:
        if p.is_dir() and not p.name.startswith((".", "_")):
            sites[p.name] = p
    return sites


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return need_shared(CORPUS)


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory) -> dict:
    """Build every site once: name → BuildReport (report.out is the output folder)."""
    reports = Sites()
    for name, src in all_sites().items():
        out = tmp_path_factory.mktemp(f"out-{name}")
        reports[name] = build(BuildOptions(source=src, out=out, jobs=2))
    return reports


@pytest.fixture(scope="session")
def epub_reports(built_sites) -> dict:
    """EPUBCheck reports for every EPUB built by built_sites, keyed by path."""
    paths = sorted(p for r in built_sites.values() for p in r.out.rglob("*.epub"))
    return {r.path: r for r in epubcheck(paths)}


class RealworldBuilds(dict):
    """realworld_builds' mapping: a site is built (all three editions, default options) when first asked for."""

    def __init__(self, tmp_path_factory):
        super().__init__()
        self._tmp = tmp_path_factory

    def __missing__(self, name: str):
        if name not in REALWORLD_SITES:
            raise KeyError(name)
        out = self._tmp.mktemp(f"realworld-{name}")
        self[name] = report = build(BuildOptions(source=REALWORLD / name, out=out, jobs=2))
        return report


@pytest.fixture(scope="session")
def realworld_builds(tmp_path_factory) -> RealworldBuilds:
    """The real academic sites of ../shared/realworld, each built ONCE per session in the HTML, EPUB and PDF
    editions with the default options: name → BuildReport. Skips the test when ../shared is absent."""
    if not REALWORLD.is_dir():
        pytest.skip(f"needs the real-world sites in {REALWORLD} (../shared/realworld beside the clone), "
                    "which is absent here")
    return RealworldBuilds(tmp_path_factory)


@pytest.fixture(scope="session")
def realworld_epub_reports(realworld_builds) -> dict:
    """EPUBCheck reports for every book of every realworld site, from one JVM: path → report."""
    paths = sorted(p for name in REALWORLD_SITES for p in realworld_builds[name].out.glob("*/*.epub"))
    return {r.path: r for r in epubcheck(paths)}


@pytest.fixture(scope="session")
def realworld_vnu_messages(realworld_builds) -> dict[Path, list[dict]]:
    """The Nu HTML Checker's messages for every page of every realworld site, from one JVM: path → messages."""
    pages = [p for name in REALWORLD_SITES for p in realworld_builds[name].out.rglob("*.html")]
    return vnu(sorted(p for p in pages if not any(part.startswith(".") for part in p.parts)))


@pytest.fixture
def tmp_site(tmp_path):
    """A factory for tiny Jekyll sites: tmp_site({'_posts/2024-01-01-a.md': '...'}) → root path."""
    def make(files: dict[str, str | bytes], config: str | None = None) -> Path:
        root = tmp_path / "site"
        root.mkdir(exist_ok=True)
        if config is not None:
            (root / "_config.yml").write_text(config, encoding="utf-8")
        for rel, content in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                p.write_bytes(content)
            else:
                p.write_text(content, encoding="utf-8")
        return root
    return make


# --- markers (issue 16): tests that need a JVM, Chromium, the Nu checker or Ace, and slow ones -------------
# Marked by the fixtures they use (explicit @pytest.mark.java etc. on the tests that call a tool themselves);
# every such test, and every test of the session-wide builds, is also `slow`: `pytest -m "not slow"` is the
# fast loop (see docs/packaging.md).
FIXTURE_MARKS = {"epub_reports": ("java",), "vnu_messages": ("java", "nu"), "browser": ("browser",),
                 "axe_check": ("browser",), "realworld_epub_reports": ("java",),
                 "realworld_vnu_messages": ("java", "nu")}
TOOL_MARKS = ("java", "browser", "nu", "ace")
SLOW_FIXTURES = ("built_sites", "epub_reports", "html_pages", "vnu_messages", "self_contained_out",
                 "realworld_builds")


def pytest_collection_modifyitems(config, items):
    for item in items:
        for fixture, marks in FIXTURE_MARKS.items():
            if fixture in item.fixturenames:
                for mark in marks:
                    item.add_marker(mark)
        if item.get_closest_marker("nu"):
            item.add_marker("java")  # vnu.jar runs on Java
        if any(item.get_closest_marker(m) for m in TOOL_MARKS) or set(SLOW_FIXTURES) & set(item.fixturenames):
            item.add_marker("slow")


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files (read the diff!).")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None


# --- HTML edition, catalog and feeds (issue 7): one Nu HTML Checker JVM, one headless Chromium --------
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def self_contained_out(tmp_path_factory) -> Path:
    """The webmeta fixture site built with --self-contained (HTML edition only)."""
    out = tmp_path_factory.mktemp("out-self-contained")
    report = build(BuildOptions(source=SITES / "webmeta", out=out, formats=["html"], self_contained=True))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    return out


@pytest.fixture(scope="session")
def html_pages(built_sites, self_contained_out) -> list[Path]:
    """Every HTML page the session's builds wrote (papers, catalogs, self-contained pages)."""
    pages = [p for r in built_sites.values() for p in r.out.rglob("*.html")]
    pages += list(self_contained_out.rglob("*.html"))
    return sorted(p for p in pages if not any(part.startswith(".") for part in p.parts))


def vnu(pages: list[Path]) -> dict[Path, list[dict]]:
    """The Nu HTML Checker's messages for every page in PAGES, from ONE JVM run: path → messages."""
    import json
    import subprocess

    assert VNU_JAR.is_file(), "the Nu HTML Checker is missing: run scripts/npm-deps.sh"
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=900)
    data = json.loads(proc.stdout or proc.stderr)
    found: dict[Path, list[dict]] = {p: [] for p in pages}
    for m in data["messages"]:
        path = Path(m.get("url", "").removeprefix("file:"))
        found.setdefault(path, []).append(m)
    return found


@pytest.fixture(scope="session")
def vnu_messages(html_pages) -> dict[Path, list[dict]]:
    """The Nu HTML Checker's messages for every page in html_pages, from ONE JVM run: path → messages."""
    return vnu(html_pages)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's, driven by Playwright) for axe-core checks and screenshots.

    Module-scoped: Playwright's sync API allows one instance per thread, and other test modules start
    their own, so this one is closed at the end of each module that uses it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def axe_check(browser):
    """axe(path, width=1280, scheme='light', fragment='') → the WCAG 2.1 A/AA violations axe-core finds."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(path: Path, width: int = 1280, scheme: str = "light", fragment: str = "") -> list[dict]:
        ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
        try:
            page = ctx.new_page()
            page.goto(path.as_uri() + fragment)
            result = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
            return result.response["violations"]
        finally:
            ctx.close()
    return check
