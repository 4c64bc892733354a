"""`publisher list` agrees with Jekyll 4.3 on the fixture sites (golden files made by real Jekyll with
tests/jekyll/regenerate.py): selection, title, date (same instant and offset), slug, categories,
tags, excerpt text and url."""
from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from publisher.build import BuildOptions, list_papers
from publisher.catalog import record
from publisher.cli import cli

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "jekyll" / "golden"
DRAFT_MTIME = 1_600_000_000  # the same as tests/jekyll/regenerate.py
MACHINE_TZ = "Europe/London"  # the same as tests/jekyll/regenerate.py (for sites without `timezone:`)
FLAGS = {"default": {}, "all": {"future": True, "drafts": True, "unpublished": True}}

# Where publisher knowingly differs from Jekyll (documented in docs/jekyll.md).
KNOWN = {
    # Jekyll does not find the "\n\n" separator in a CRLF file, so its excerpt is the whole post;
    # publisher reads CRLF as LF and takes the first paragraph.
    ("_posts/2021-09-02-crlf.md", "excerpt"),
}


def _site(name: str) -> Path:
    for base in (HERE / "jekyll" / "sites", HERE / "sites"):
        if (base / name).is_dir():
            return base / name
    raise AssertionError(name)


def _cases():
    return sorted(p.name for p in GOLDEN.glob("*.json"))


def _copy(site: Path, tmp_path: Path) -> Path:
    root = tmp_path / site.name
    shutil.copytree(site, root)
    for p in root.rglob("_drafts/*"):
        os.utime(p, (DRAFT_MTIME, DRAFT_MTIME))
    return root


@pytest.fixture
def machine_zone(monkeypatch):
    """Run with the machine zone Jekyll ran in, then restore the process's zone."""
    monkeypatch.setenv("TZ", MACHINE_TZ)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _text(value: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(value)).strip()


def test_every_fixture_site_has_golden_files():
    names = {p.name.split(".")[0] for p in GOLDEN.glob("*.json")}
    expected = {p.name for p in (HERE / "jekyll" / "sites").iterdir() if p.is_dir()}
    expected |= {p.name for p in (HERE / "sites").glob("jekyll-*") if p.is_dir()}
    assert expected <= names


@pytest.mark.parametrize("golden", _cases())
def test_list_agrees_with_jekyll(golden, tmp_path, machine_zone):
    name, variant, _ = golden.split(".")
    expected = {p["source"]: p for p in json.loads((GOLDEN / golden).read_text(encoding="utf-8"))}
    root = _copy(_site(name), tmp_path)
    papers, failed, _problems = list_papers(BuildOptions(source=root, **FLAGS[variant]))
    assert failed == []
    got = {p.rel_source: p for p in papers}
    assert sorted(got) == sorted(expected), "selection differs from Jekyll's"
    for source, want in expected.items():
        paper = got[source]
        rec = record(paper)
        checks = {
            "title": (rec["title"], want["title"]),
            "date": (dt.datetime.fromisoformat(rec["date"]), dt.datetime.fromisoformat(want["date"])),
            "offset": (rec["date"][-6:], want["date"][-6:]),
            "slug": (rec["slug"], want["slug"]),
            "categories": (rec["categories"], list(dict.fromkeys(want["categories"]))),
            "tags": (rec["tags"], want["tags"]),
            "excerpt": (_text(rec["excerpt"]), _text(want["excerpt"])),
            "url": (rec["url"], want["url"]),
            "kind": (rec["kind"], "draft" if want["draft"] else "post"),
        }
        for field, (mine, jekylls) in checks.items():
            if (source, field) in KNOWN:
                assert mine != jekylls, f"{source} {field}: no longer differs, remove it from KNOWN"
                continue
            assert mine == jekylls, f"{source}: {field}"


def test_cli_list_json_matches_golden(tmp_path):
    root = _copy(_site("metadata"), tmp_path)
    result = CliRunner().invoke(cli, ["list", str(root), "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    golden = json.loads((GOLDEN / "metadata.default.json").read_text(encoding="utf-8"))
    assert {r["source"]: r["url"] for r in lines} == {g["source"]: g["url"] for g in golden}
    # the two date-less file names are reported, not silently dropped
    assert "undated-with-date-key.md: warning: the file name does not start with a date" in result.stderr


def test_site_zone_is_used_for_the_url_date_parts(tmp_path):
    # 01:00 UTC on 2 August is still 1 August in New York: Jekyll's URL says /08/01/.
    root = _copy(_site("metadata"), tmp_path)
    papers, _, _ = list_papers(BuildOptions(source=root))
    paper = next(p for p in papers if p.slug == "crosses-day")
    assert paper.date == dt.datetime(2020, 8, 2, 1, tzinfo=dt.timezone.utc)
    assert "/2020/08/01/" in paper.url
