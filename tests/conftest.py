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

os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01, fixed for reproducible builds


def all_sites() -> dict[str, Path]:
    """Name → source folder of every site the suite builds."""
    sites = {"content": ROOT / "content", "corpus": CORPUS}
    for p in sorted(SITES.iterdir()) if SITES.is_dir() else []:
        if p.is_dir() and not p.name.startswith((".", "_")):
            sites[p.name] = p
    return sites


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    assert CORPUS.is_dir(), f"the real paper is expected in {CORPUS}"
    return CORPUS


@pytest.fixture(scope="session")
def built_sites(tmp_path_factory) -> dict:
    """Build every site once: name → BuildReport (report.out is the output folder)."""
    reports = {}
    for name, src in all_sites().items():
        out = tmp_path_factory.mktemp(f"out-{name}")
        reports[name] = build(BuildOptions(source=src, out=out, jobs=2))
    return reports


@pytest.fixture(scope="session")
def epub_reports(built_sites) -> dict:
    """EPUBCheck reports for every EPUB built by built_sites, keyed by path."""
    paths = sorted(p for r in built_sites.values() for p in r.out.rglob("*.epub"))
    return {r.path: r for r in epubcheck(paths)}


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


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true", help="Rewrite golden files (read the diff!).")


@pytest.fixture
def update_golden(request) -> bool:
    return request.config.getoption("--update-golden")


def have(cmd: str) -> bool:
    return shutil.which(cmd) is not None
