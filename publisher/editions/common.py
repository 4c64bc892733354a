"""Small helpers every edition uses: names of files, dates and author lines for display."""
from __future__ import annotations

import datetime as dt
import html
from functools import lru_cache

from ..model import Heading, Paper
from ..resources import template_dirs


def edition_names(slug: str) -> dict[str, str]:
    """File names of a paper's editions inside `OUT/<slug>/`."""
    return {"html": "index.html", "epub": f"{slug}.epub", "pdf": f"{slug}.pdf"}


def display_date(when: dt.datetime) -> str:
    """'1 September 2025' (no locale dependency)."""
    return f"{when.day} {when.strftime('%B')} {when.year}"


def w3c_date(when: dt.datetime) -> str:
    """The date part in W3C form (YYYY-MM-DD)."""
    return when.strftime("%Y-%m-%d")


def author_line(paper: Paper) -> str:
    """'A', 'A and B', 'A, B and C'."""
    names = paper.author_names
    if len(names) <= 2:
        return " and ".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def toc_html(headings: list[Heading], max_level: int = 3, href=lambda h: "#" + h.id) -> str:
    """A nested <ol> of links for HEADINGS down to MAX_LEVEL."""
    items = [h for h in headings if h.level <= max_level]
    if not items:
        return ""
    base = min(h.level for h in items)
    out, depth = [], base - 1
    for h in items:
        level = max(h.level, base)
        if level > depth:
            out.append("<ol>" * (level - depth))
        else:
            out.append("</li>")
            if level < depth:
                out.append("</ol></li>" * (depth - level))
        depth = level
        out.append(f'<li><a href="{html.escape(href(h), quote=True)}">{h.html or html.escape(h.text)}</a>')
    out.append("</li>")
    out.append("</ol></li>" * (depth - base))
    out.append("</ol>")
    return "".join(out)


def templates():
    """The Jinja2 environment for styles/templates, the site's template overrides first (autoescaped)."""
    return _templates(tuple(str(d) for d in template_dirs()))


@lru_cache(maxsize=None)
def _templates(folders: tuple[str, ...]):
    import jinja2

    return jinja2.Environment(loader=jinja2.FileSystemLoader(list(folders)),
                              autoescape=jinja2.select_autoescape(["html", "xhtml", "j2"]),
                              trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
