"""Release features: manifest, byte-identical rebuilds, shard + merge, `check`."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pikepdf
import pytest

from publisher.build import BuildOptions, build, in_shard
from publisher.check import check, check_html
from publisher.merge import merge

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "title: Release test site\nurl: https://papers.example.net\ntimezone: Europe/Paris\nlang: en\n"


def post(title: str, words: str, day: int) -> str:
    return f"""---
title: {title}
author: Ilse Varga
date: 2023-06-0{day} 10:15:00 +0200
tags: [harbours]
---

{words} This opening paragraph is the summary.

### Background

{words} A paragraph with a footnote.[^1]

### Findings

- one finding
- another finding

[^1]: The note text.
"""


def make_site(root: Path, n: int) -> Path:
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    for i in range(n):
        (root / "_posts" / f"2023-06-0{i + 1}-paper-{i + 1}.md").write_text(
            post(f"Harbour paper number {i + 1}", f"Text of paper {i + 1}.", i + 1), encoding="utf-8")
    return root


def tree(out: Path) -> dict[str, bytes]:
    """Every published file of OUT (not the private .publisher record) → bytes."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and ".publisher" not in p.relative_to(out).parts}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """A two-paper site built twice from scratch with SOURCE_DATE_EPOCH, and once without it."""
    base = tmp_path_factory.mktemp("release")
    site = make_site(base / "site", 2)
    a = build(BuildOptions(source=site, out=base / "a", jobs=2))
    b = build(BuildOptions(source=site, out=base / "b", jobs=1))
    saved = os.environ.pop("SOURCE_DATE_EPOCH", None)
    try:
        c = build(BuildOptions(source=site, out=base / "c", jobs=1, formats=["pdf"]))
    finally:
        if saved is not None:
            os.environ["SOURCE_DATE_EPOCH"] = saved
    for r in (a, b, c):
        assert not r.failed, [str(p) for x in r.failed for p in x.problems]
    return {"site": site, "a": a.out, "b": b.out, "c": c.out, "base": base}


def test_manifest_lists_every_edition_with_hashes_sources_and_tools(release):
    out = release["a"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in manifest["papers"]] == ["paper-1", "paper-2"]  # stable order
    for tool in ("publisher", "pandoc", "weasyprint", "ebooklib"):
        assert manifest["tools"][tool], tool
    for paper in manifest["papers"]:
        src = release["site"] / paper["source"]
        assert paper["source"].startswith("_posts/")
        assert paper["source_sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
        assert sorted(paper["editions"]) == ["epub", "html", "pdf"]
        for fmt, ed in paper["editions"].items():
            path = out / ed["path"]
            assert path.is_file()
            assert ed["size"] == path.stat().st_size
            assert ed["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
            assert ed["source"] == paper["source"] and ed["source_sha256"] == paper["source_sha256"]
            assert ed["tools"]["pandoc"] and ed["tools"]["publisher"]
        assert "weasyprint" in paper["editions"]["pdf"]["tools"]
        assert "ebooklib" in paper["editions"]["epub"]["tools"]
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert str(out) not in text and str(release["site"]) not in text  # no absolute paths
    assert "seconds" not in text  # no timings


def test_two_clean_builds_are_byte_identical(release):
    a, b = tree(release["a"]), tree(release["b"])
    assert sorted(a) == sorted(b)
    different = [name for name in a if a[name] != b[name]]
    assert not different
    assert any(name.endswith(".pdf") for name in a) and any(name.endswith(".epub") for name in a)


def test_without_source_date_epoch_dates_come_from_the_post(release):
    pdf_path = release["c"] / "paper-1" / "paper-1.pdf"
    with pikepdf.open(pdf_path) as pdf:
        created, modified = str(pdf.docinfo["/CreationDate"]), str(pdf.docinfo["/ModDate"])
    # paper-1's date: 2023-06-01 10:15 +02:00 (never the wall clock)
    assert created.startswith("D:20230601") and modified.startswith("D:20230601"), (created, modified)


def test_no_op_rebuild_runs_neither_pandoc_nor_weasyprint(release, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(release["a"], out)
    build(BuildOptions(source=release["site"], out=out, jobs=2))  # up to date even if the code just changed
    script = f"""
import sys
from pathlib import Path
import publisher.render as render
def refuse(*a, **k):
    raise SystemExit("pandoc was run")
render.render = refuse
from publisher.build import BuildOptions, build
report = build(BuildOptions(source=Path({str(release['site'])!r}), out=Path({str(out)!r}), jobs=2))
assert not report.failed, report.failed
assert all(r.cached for r in report.papers), [(r.slug, [e.cached for e in r.editions]) for r in report.papers]
assert "weasyprint" not in sys.modules, "WeasyPrint was imported"
print("ok", len(report.papers))
"""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok 2"


def test_shards_merged_equal_a_single_build(tmp_path):
    site = make_site(tmp_path / "site", 5)
    first = site / "_posts" / "2023-06-01-paper-1.md"  # links to papers in other shards, both ways
    first.write_text(first.read_text(encoding="utf-8") + "\n\nSee [two]({% post_url 2023-06-02-paper-2 %}), "
                     "[three]({% post_url 2023-06-03-paper-3 %}) and [five](../05/paper-5.html).\n", encoding="utf-8")
    slugs = [f"paper-{i}" for i in range(1, 6)]
    parts = [[s for s in slugs if in_shard(s, (k, 3))] for k in (1, 2, 3)]
    assert sorted(sum(parts, [])) == slugs  # every paper in exactly one shard
    single = build(BuildOptions(source=site, out=tmp_path / "single", formats=["html"], jobs=1)).out
    page = (single / "paper-1" / "index.html").read_text(encoding="utf-8")
    assert all(f'href="../paper-{i}/index.html"' in page for i in (2, 3, 5)), page
    shards = []
    for k in (1, 2, 3):
        report = build(BuildOptions(source=site, out=tmp_path / f"shard{k}", formats=["html"], jobs=1, shard=(k, 3)))
        assert sorted(r.slug for r in report.papers) == parts[k - 1]
        shards.append(report.out)
    merged = tmp_path / "merged"
    results = merge(shards, merged)
    assert sorted(r.slug for r in results) == slugs
    assert tree(merged) == tree(single)
    # the merged folder is a normal build output: an incremental build on it has nothing to do
    again = build(BuildOptions(source=site, out=merged, formats=["html"], jobs=1))
    assert all(r.cached for r in again.papers) and len(again.papers) == 5


@pytest.mark.java
def test_check_passes_on_a_fresh_build(release):
    results = check(release["a"])
    assert results and all(r.ok for r in results), [(r.path, r.errors) for r in results if not r.ok]
    assert {r.kind for r in results} == {"pdf", "epub", "html"}


def _rehash(out: Path, rel: str) -> None:
    """Update the manifest for a changed file, so only the validators can notice what is wrong."""
    path = out / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for paper in manifest["papers"]:
        for ed in paper["editions"].values():
            if ed["path"] == rel:
                data = (out / rel).read_bytes()
                ed["size"], ed["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.java
def test_check_fails_on_a_corrupted_epub_and_pdf(release, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(release["a"], out)
    epub = out / "paper-1" / "paper-1.epub"
    with zipfile.ZipFile(epub) as z:
        items = {n: z.read(n) for n in z.namelist()}
    opf = next(n for n in items if n.endswith(".opf"))
    items[opf] = items[opf].replace(b"<dc:title", b"<dc:tittle", 1)
    with zipfile.ZipFile(epub, "w") as z:  # also breaks the rule that `mimetype` comes first, stored
        for name, data in sorted(items.items()):
            z.writestr(name, data)
    pdf = out / "paper-2" / "paper-2.pdf"
    pdf.write_bytes(pdf.read_bytes()[:2000])
    _rehash(out, "paper-1/paper-1.epub")
    _rehash(out, "paper-2/paper-2.pdf")
    bad = {r.path: r.errors for r in check(out) if not r.ok}
    assert set(bad) == {"paper-1/paper-1.epub", "paper-2/paper-2.pdf"}, bad
    assert any("PDF" in e for e in bad["paper-2/paper-2.pdf"])
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "check", str(out), "--no-epubcheck"],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 1 and "paper-2/paper-2.pdf" in proc.stderr


def test_check_notices_a_changed_file_and_a_missing_sibling(release, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(release["a"], out)
    (out / "paper-1" / "paper-1.pdf").unlink()
    page = out / "paper-2" / "index.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</main>", "<div></main>", 1), encoding="utf-8")
    bad = {r.path: r.errors for r in check(out, epubcheck=False) if not r.ok}
    assert "paper-1/paper-1.pdf" in bad  # missing
    assert any("paper-1.pdf" in e for e in bad["paper-1/index.html"])  # its page links to it
    assert any("differs" in e for e in bad["paper-2/index.html"])
    assert any("<div> is not closed" in e for e in bad["paper-2/index.html"])


def test_html_check_accepts_optional_end_tags_and_flags_strays(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<!DOCTYPE html><html><body><ul><li>a<li>b</ul><p>x<p>y</body></html>", encoding="utf-8")
    assert check_html(page, tmp_path) == []
    page.write_text("<!DOCTYPE html><html><body></span><a href='#nowhere'>x</a></body></html>", encoding="utf-8")
    errors = check_html(page, tmp_path)
    assert any("</span> closes nothing" in e for e in errors) and any("#nowhere" in e for e in errors)
