"""The incremental build: cache hits, and the inputs that must invalidate an edition."""
from __future__ import annotations

import json
import shutil

import pytest

from publisher import cache
from publisher.build import BuildOptions, build

CONFIG = "title: Cache test site\nurl: https://example.org\ntimezone: UTC\n"
POST_A = """---
title: First tiny paper
author: Rosa Quint
---

An opening paragraph for the first paper.

{% include note.md %}

### A section

Some words in the section.
"""
POST_B = """---
title: Second tiny paper
author: Rosa Quint
---

The second paper has no include at all.
"""


@pytest.fixture
def site(tmp_site):
    return tmp_site({"_posts/2024-05-01-first.md": POST_A, "_posts/2024-05-02-second.md": POST_B,
                     "_includes/note.md": "A note that comes from an include.\n"}, config=CONFIG)


def html_build(root, out, **kw):
    return build(BuildOptions(source=root, out=out, formats=["html"], jobs=1, **kw))


def status(report) -> dict[str, str]:
    return {r.slug: ("failed" if r.failed else "cached" if r.cached else "built") for r in report.papers}


def test_second_build_is_served_from_the_cache_and_changes_nothing(site, tmp_path):
    out = tmp_path / "out"
    first = html_build(site, out)
    assert status(first) == {"first": "built", "second": "built"}
    page = out / "first" / "index.html"
    before = page.read_bytes(), page.stat().st_mtime_ns, (out / "manifest.json").read_bytes()
    second = html_build(site, out)
    assert status(second) == {"first": "cached", "second": "cached"}
    assert (page.read_bytes(), page.stat().st_mtime_ns) == before[:2]  # not even rewritten
    assert (out / "manifest.json").read_bytes() == before[2]
    assert "A note that comes from an include." in page.read_text(encoding="utf-8")


def test_force_rebuilds_everything(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    assert status(html_build(site, out, force=True)) == {"first": "built", "second": "built"}


def test_changing_a_post_rebuilds_only_that_post(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    post = site / "_posts" / "2024-05-02-second.md"
    post.write_text(POST_B.replace("no include at all", "no include at all, and a new clause"), encoding="utf-8")
    report = html_build(site, out)
    assert status(report) == {"first": "cached", "second": "built"}
    assert "a new clause" in (out / "second" / "index.html").read_text(encoding="utf-8")


def test_changing_an_include_rebuilds_the_post_that_uses_it(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    (site / "_includes" / "note.md").write_text("The include now says something else.\n", encoding="utf-8")
    report = html_build(site, out)
    assert status(report)["first"] == "built"
    assert "says something else" in (out / "first" / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    first = next(p for p in manifest["papers"] if p["slug"] == "first")
    assert [d["path"] for d in first["dependencies"]] == ["_includes/note.md"]


def test_changing_a_config_value_rebuilds_every_post(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    (site / "_config.yml").write_text(CONFIG.replace("Cache test site", "Renamed site"), encoding="utf-8")
    assert status(html_build(site, out)) == {"first": "built", "second": "built"}


def test_changing_a_style_rebuilds_every_post(site, tmp_path, monkeypatch):
    # The key covers every file of styles/. Point it at a copy, so the repository's styles stay untouched.
    styles = tmp_path / "styles"
    shutil.copytree(cache.STYLES_DIR, styles)
    monkeypatch.setattr(cache, "STYLES_DIR", styles)
    out = tmp_path / "out"
    html_build(site, out)
    assert status(html_build(site, out)) == {"first": "cached", "second": "cached"}
    css = styles / "paper.css"
    css.write_text(css.read_text(encoding="utf-8") + "\n/* a changed rule */\n", encoding="utf-8")
    assert status(html_build(site, out)) == {"first": "built", "second": "built"}


def test_an_edited_output_file_is_rebuilt(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    page = out / "second" / "index.html"
    page.write_text("tampered", encoding="utf-8")
    assert status(html_build(site, out))["second"] == "built"
    assert page.read_text(encoding="utf-8") != "tampered"


def test_removing_a_post_removes_its_editions(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    assert (out / "second" / "index.html").is_file()
    (site / "_posts" / "2024-05-02-second.md").unlink()
    report = html_build(site, out)
    assert report.removed == ["second"]
    assert not (out / "second").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in manifest["papers"]] == ["first"]
    assert 'href="second/' not in (out / "index.html").read_text(encoding="utf-8")


def test_clean_empties_out_but_refuses_a_foreign_folder(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    (out / "stray.txt").write_text("left by someone else", encoding="utf-8")
    report = html_build(site, out, clean=True)
    assert status(report) == {"first": "built", "second": "built"}
    assert not (out / "stray.txt").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "precious.txt").write_text("keep me", encoding="utf-8")
    from publisher.model import InputError

    with pytest.raises(InputError):
        html_build(site, foreign, clean=True)
    assert (foreign / "precious.txt").is_file()
    with pytest.raises(InputError):
        html_build(site, site, clean=True)  # never the sources


def test_file_hashes_are_memoized_by_size_and_mtime(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("one", encoding="utf-8")
    hashes = cache.FileHashes()
    first = hashes.sha(f)
    again = cache.FileHashes(hashes.used)
    assert again.sha(f) == first
    f.write_text("two!", encoding="utf-8")
    assert cache.FileHashes(hashes.used).sha(f) != first


def test_a_paper_that_fails_keeps_its_previous_editions_until_it_is_fixed(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    page = out / "second" / "index.html"
    good = page.read_bytes()
    post = site / "_posts" / "2024-05-02-second.md"
    post.write_text(POST_B.replace("title: Second tiny paper", "title: [unclosed"), encoding="utf-8")
    report = html_build(site, out)
    assert status(report) == {"first": "cached", "": "failed"}  # reported, exit status 1 ...
    assert report.removed == []
    assert page.read_bytes() == good  # ... but the last good edition stays published
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in manifest["papers"]] == ["first", "second"]
    assert 'href="second/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    post.write_text(POST_B.replace("The second paper", "The mended second paper"), encoding="utf-8")
    report = html_build(site, out)
    assert status(report) == {"first": "cached", "second": "built"}
    assert "The mended second paper" in page.read_text(encoding="utf-8")


def test_changing_an_image_rebuilds_the_post_that_shows_it(tmp_site, tmp_path):
    root = tmp_site({"_posts/2024-05-01-pic.md": "---\ntitle: Pictures\n---\n\n![A square](/assets/sq.svg)\n",
                     "_posts/2024-05-02-plain.md": POST_B,
                     "assets/sq.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'},
                    config=CONFIG)
    out = tmp_path / "out"
    html_build(root, out)
    (root / "assets" / "sq.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"/>',
                                            encoding="utf-8")
    assert status(html_build(root, out)) == {"pic": "built", "plain": "cached"}
