"""The HTML edition: one standalone, styled, responsive page per paper (`OUT/<slug>/index.html`)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..dist import atomic_write
from ..model import Document, Paper
from ..resources import read_style
from .common import author_line, display_date, templates, toc_html


@dataclass
class EditionLink:
    href: str
    label: str
    type: str
    size: str = ""


@dataclass
class PageExtras:
    """What the page links to and announces; filled by the build from the other editions."""

    editions: list[EditionLink] = field(default_factory=list)
    cite_links: list[EditionLink] = field(default_factory=list)
    canonical: str = ""
    head_meta: list[tuple[tuple[str, str], str]] = field(default_factory=list)
    head_links: list[dict] = field(default_factory=list)
    json_ld: dict | None = None


def human_size(n: int) -> str:
    """'1.2 MB', '340 kB'."""
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    return f"{max(1, round(n / 1000))} kB"


def render_page(paper: Paper, doc: Document, extras: PageExtras | None = None) -> str:
    """The page's HTML text."""
    extras = extras or PageExtras()
    json_ld = json.dumps(extras.json_ld, ensure_ascii=False, sort_keys=True).replace("</", "<\\/") \
        if extras.json_ld else ""
    return templates().get_template("paper.html.j2").render(
        paper=paper, doc=doc, version=__version__, css=read_style("paper.css"),
        description=paper.description or paper.excerpt, authors=author_line(paper),
        date=display_date(paper.date), toc=toc_html(doc.headings, max_level=3),
        editions=extras.editions, cite_links=extras.cite_links, canonical=extras.canonical,
        head_meta=extras.head_meta, head_links=extras.head_links, json_ld=json_ld,
    )


def write(paper: Paper, doc: Document, out_dir: Path, extras: PageExtras | None = None) -> Path:
    """Write `OUT_DIR/index.html` atomically and return its path."""
    return atomic_write(out_dir / "index.html", render_page(paper, doc, extras))
