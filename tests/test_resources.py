"""Styles, filters and templates are package data (importlib.resources); a site overrides them by name."""
from __future__ import annotations

import subprocess
from importlib import resources as importlib_resources
from pathlib import Path

import pytest

from publisher import resources
from publisher.build import BuildOptions, build
from publisher.model import InputError
from publisher.config import load as load_config

CONFIG = "title: Override site\nurl: https://example.org\ntimezone: UTC\n"
POST = """---
title: A paper with house rules
author: Ida Lund
---

A paragraph that mentions the placeholder word.

## A section

More words.
"""
# A filter that replaces the packaged italic-quotes.lua: it turns one word into another.
FILTER = """-- test override: 'placeholder' becomes 'OVERRIDDEN'
function Str(el)
  if el.text == "placeholder" then return pandoc.Str("OVERRIDDEN") end
end
"""


def run(root: Path, out: Path, formats: list[str]):
    report = build(BuildOptions(source=root, out=out, formats=formats, jobs=1))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    return {r.slug: "cached" if r.cached else "built" for r in report.papers}


def packaged(name: str) -> str:
    return (importlib_resources.files("publisher.styles") / name).read_text(encoding="utf-8")


def test_styles_filters_and_templates_are_package_resources():
    assert resources.STYLES_DIR == Path(str(importlib_resources.files("publisher.styles")))
    for name in ("paper.css", "print.css", "epub.css", "catalog.css"):
        assert resources.style_path(name).is_file(), name
    assert resources.template_path("fragment.pandoc").is_file()
    assert resources.filter_path("headings.lua").is_file()
    assert "parent.parent" not in Path(resources.__file__).read_text(encoding="utf-8")


def test_a_site_stylesheet_overrides_the_html_edition_and_editing_it_rebuilds(tmp_site, tmp_path):
    site = tmp_site({"_posts/2024-05-01-rules.md": POST,
                     "_publisher/styles/paper.css": packaged("paper.css") + "\n.override-one { color: red }\n"},
                    config=CONFIG)
    out = tmp_path / "out"
    assert run(site, out, ["html"]) == {"rules": "built"}
    page = (out / "rules" / "index.html").read_text(encoding="utf-8")
    assert ".override-one" in page
    assert run(site, out, ["html"]) == {"rules": "cached"}
    (site / "_publisher/styles/paper.css").write_text(packaged("paper.css") + "\n.override-two { color: blue }\n",
                                                      encoding="utf-8")
    assert run(site, out, ["html"]) == {"rules": "built"}
    page = (out / "rules" / "index.html").read_text(encoding="utf-8")
    assert ".override-two" in page and ".override-one" not in page
    # without an override the packaged stylesheet is back (and the key changed again)
    (site / "_publisher/styles/paper.css").unlink()
    assert run(site, out, ["html"]) == {"rules": "built"}
    assert ".override-two" not in (out / "rules" / "index.html").read_text(encoding="utf-8")


def test_a_site_print_stylesheet_changes_the_pdf(tmp_site, tmp_path):
    mark = '\nh2::after { content: " OVERRIDEMARK" }\n'
    site = tmp_site({"_posts/2024-05-01-rules.md": POST, "_publisher/styles/print.css": packaged("print.css") + mark},
                    config=CONFIG)
    out = tmp_path / "out"
    run(site, out, ["pdf"])
    text = subprocess.run(["pdftotext", str(out / "rules" / "rules.pdf"), "-"], capture_output=True, text=True,
                          timeout=60).stdout
    assert "OVERRIDEMARK" in text
    (site / "_publisher/styles/print.css").write_text(packaged("print.css"), encoding="utf-8")
    assert run(site, out, ["pdf"]) == {"rules": "built"}
    text = subprocess.run(["pdftotext", str(out / "rules" / "rules.pdf"), "-"], capture_output=True, text=True,
                          timeout=60).stdout
    assert "OVERRIDEMARK" not in text


def test_a_site_filter_and_template_replace_the_packaged_ones(tmp_site, tmp_path):
    template = (resources.TEMPLATES_DIR / "paper.html.j2").read_text(encoding="utf-8")
    assert "</body>" in template
    site = tmp_site({"_posts/2024-05-01-rules.md": POST, "_publisher/filters/italic-quotes.lua": FILTER,
                     "_publisher/templates/paper.html.j2": template.replace("</body>", "<!-- site template -->\n</body>")},
                    config=CONFIG)
    out = tmp_path / "out"
    run(site, out, ["html"])
    page = (out / "rules" / "index.html").read_text(encoding="utf-8")
    assert "mentions the OVERRIDDEN word" in page and "<p>A paragraph that mentions the placeholder" not in page
    assert "<!-- site template -->" in page
    (site / "_publisher/filters/italic-quotes.lua").write_text(FILTER.replace("OVERRIDDEN", "CHANGED"), encoding="utf-8")
    assert run(site, out, ["html"]) == {"rules": "built"}
    assert "CHANGED" in (out / "rules" / "index.html").read_text(encoding="utf-8")


def test_an_override_does_not_leak_into_the_next_build(tmp_site, tmp_path):
    site = tmp_site({"_posts/2024-05-01-rules.md": POST, "_publisher/filters/italic-quotes.lua": FILTER}, config=CONFIG)
    run(site, tmp_path / "out", ["html"])
    assert resources.filter_path("italic-quotes.lua") == resources.FILTERS_DIR / "italic-quotes.lua"


def test_the_styles_option_names_a_folder_of_the_site(tmp_site, tmp_path):
    site = tmp_site({"_posts/2024-05-01-rules.md": POST,
                     "theme/css/paper.css": packaged("paper.css") + "\n.from-config-folder { color: red }\n"},
                    config=CONFIG + "publisher:\n  styles: theme/css\n")
    run(site, tmp_path / "out", ["html"])
    assert ".from-config-folder" in (tmp_path / "out" / "rules" / "index.html").read_text(encoding="utf-8")


def test_the_styles_option_cannot_leave_the_site(tmp_site):
    site = tmp_site({"_posts/2024-05-01-rules.md": POST}, config=CONFIG + "publisher:\n  styles: ../elsewhere\n")
    with pytest.raises(InputError) as err:
        load_config(site)
    assert "styles must be a folder inside the site" in str(err.value.problem)


def test_an_override_that_links_outside_the_site_is_not_read(tmp_site, tmp_path):
    outside = tmp_path / "outside.css"
    outside.write_text(".secret-rule { color: red }\n", encoding="utf-8")
    site = tmp_site({"_posts/2024-05-01-rules.md": POST}, config=CONFIG)
    (site / "_publisher/styles").mkdir(parents=True)
    (site / "_publisher/styles/paper.css").symlink_to(outside)
    run(site, tmp_path / "out", ["html"])
    assert ".secret-rule" not in (tmp_path / "out" / "rules" / "index.html").read_text(encoding="utf-8")
