"""Multilingual sites (publisher/multilingual.py): one `_posts/` per language, posts with the same slug
each get their editions in their own folder, and the language versions link to each other."""
from __future__ import annotations

import json
import re

import pytest

from publisher.build import BuildOptions, build

POSTS = {
    "en/news/_posts/2024-03-01-hello.md": "---\ntitle: Hello\nlang: en\nref: hello\n---\nAn English text.\n",
    "fr/news/_posts/2024-03-01-hello.md": "---\ntitle: Bonjour\nlang: fr\nref: hello\n---\nUn texte en français.\n",
    "fr/news/_posts/2024-03-02-solo.md": "---\ntitle: Seul\nlang: fr_FR\n---\nVoir [la version]({% post_url fr/news/2024-03-01-hello %}).\n",
    "_posts/2024-01-13-same-a.md": "---\ntitle: A\nslug: same\n---\nA.\n",
    "_posts/2024-01-14-same-b.md": "---\ntitle: B\nslug: same\n---\nB.\n",
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("multi")
    root = tmp / "site"
    for rel, text in {"_config.yml": "title: T\nurl: https://example.org\nlang: en\n", **POSTS}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return build(BuildOptions(source=root, out=tmp / "out", jobs=1, formats=["epub", "html"]))


def test_every_post_jekyll_publishes_is_built(built):
    assert not built.failed, [p.problems for p in built.papers]
    slugs = sorted(p.slug for p in built.papers)
    assert slugs == ["hello", "hello-fr", "same", "same-2024-01-14", "solo"]
    for slug in slugs:
        assert (built.out / slug / "index.html").is_file() and (built.out / slug / f"{slug}.epub").is_file()
    assert "Un texte en français" in (built.out / "hello-fr" / "index.html").read_text(encoding="utf-8")
    assert "An English text" in (built.out / "hello" / "index.html").read_text(encoding="utf-8")
    manifest = json.loads((built.out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(p["slug"] for p in manifest["papers"]) == slugs
    catalog = (built.out / "index.html").read_text(encoding="utf-8")
    assert "hello-fr/index.html" in catalog and "hello/index.html" in catalog


def test_language_versions_link_to_each_other(built):
    en = (built.out / "hello" / "index.html").read_text(encoding="utf-8")
    fr = (built.out / "hello-fr" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr"' in fr
    assert '<link rel="alternate" href="../hello-fr/index.html" hreflang="fr"' in en
    assert '<link rel="alternate" href="index.html" hreflang="en"' in en
    assert re.search(r'Also in: <a href="../hello-fr/index.html" hreflang="fr" lang="fr"[^>]*>Français</a>', en)
    assert re.search(r'Also in: <a href="../hello/index.html" hreflang="en" lang="en"[^>]*>English</a>', fr)
    solo = (built.out / "solo" / "index.html").read_text(encoding="utf-8")
    assert "Also in" not in solo and 'hreflang' not in solo
    assert '<html lang="fr-FR"' in solo
    assert 'href="../hello-fr/index.html"' in solo  # post_url leads to the French version's edition


def test_same_url_is_still_refused(tmp_path):
    root = tmp_path / "site"
    for rel in ("_posts/2024-01-01-a.md", "_posts/sub/2024-01-01-a.md"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("---\ntitle: A\n---\nA.\n", encoding="utf-8")
    (root / "_config.yml").write_text("title: T\n", encoding="utf-8")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["html"]))
    (bad,) = report.failed
    assert "already used" in bad.problems[0].message


def test_the_language_versions_pass_the_nu_checker(built):
    import subprocess

    from conftest import VNU_JAR

    pages = [built.out / slug / "index.html" for slug in ("hello", "hello-fr")]
    proc = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, pages)],
                          capture_output=True, text=True, timeout=600)
    messages = json.loads(proc.stdout or proc.stderr)["messages"]
    errors = [m for m in messages if m.get("type") == "error"]
    assert not errors, errors
