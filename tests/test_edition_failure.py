"""An edition that fails (here: the PDF's typesetter runs out of memory, for real, under a low
`publisher.memory_mb` that pandoc stays within) leaves the paper's other editions built, is reported
as an error, and makes the exit status 1; the EPUB then has no page-list taken from the PDF."""
from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from publisher.build import BuildOptions, build

POST = "---\ntitle: Memory\n---\nSome text with $x^2$ and a second paragraph.\n\nMore text.\n"
CONFIG = "title: T\npublisher:\n  memory_mb: 300\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("edition-failure") / "site"
    (root / "_posts").mkdir(parents=True)
    (root / "_config.yml").write_text(CONFIG, encoding="utf-8")
    (root / "_posts" / "2024-01-01-memory.md").write_text(POST, encoding="utf-8")
    return root


def test_a_failed_pdf_leaves_the_epub_and_html(site, tmp_path):
    from publisher.validate import epubcheck

    report = build(BuildOptions(source=site, out=tmp_path / "out", jobs=1))
    (paper,) = report.papers
    assert paper.incomplete == ["pdf"] and not paper.failed
    assert report.exit_code == 1
    (error,) = [p for p in paper.problems if p.severity == "error"]
    assert error.file == "_posts/2024-01-01-memory.md"
    assert error.message.startswith("the PDF edition was not built: ") and "other editions were built" in error.message
    folder = tmp_path / "out" / "memory"
    assert not (folder / "memory.pdf").exists()
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "Some text with" in page and "memory.pdf" not in page  # no link to a PDF that is not there
    with zipfile.ZipFile(folder / "memory.epub") as z:
        text = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf")))
    assert "Some text with" in text and "page-list" not in text and "pagebreak" not in text
    (result,) = epubcheck([folder / "memory.epub"])
    assert result.ok, result.describe()
    import json
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["papers"][0]["editions"]) == ["epub", "html"]


def test_the_cli_exits_1_and_names_the_file(site, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "build", str(site), "-o", str(tmp_path / "out"),
                           "-j", "1"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout + proc.stderr
    assert "_posts/2024-01-01-memory.md: error: the PDF edition was not built" in out
    assert "Traceback" not in out
    assert "editions not built: _posts/2024-01-01-memory.md (pdf)" in out
    assert (tmp_path / "out" / "memory" / "memory.epub").is_file()


def test_the_next_build_makes_the_missing_pdf_and_the_epub_page_list(site, tmp_path):
    import shutil

    out = tmp_path / "out"
    report = build(BuildOptions(source=site, out=out, jobs=1))
    assert report.papers[0].incomplete == ["pdf"]
    fixed = tmp_path / "fixed"
    shutil.copytree(site, fixed)
    (fixed / "_config.yml").write_text("title: T\n", encoding="utf-8")  # no memory limit now
    report = build(BuildOptions(source=fixed, out=out, jobs=1))
    (paper,) = report.papers
    assert not paper.incomplete and report.exit_code == 0
    assert (out / "memory" / "memory.pdf").is_file()
    with zipfile.ZipFile(out / "memory" / "memory.epub") as z:
        text = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith((".xhtml", ".opf")))
    assert "page-list" in text
