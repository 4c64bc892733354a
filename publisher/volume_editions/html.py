"""The volume's page (`OUT/volumes/<slug>/index.html`): its title, editors and description, the
volume's PDF and EPUB, and the contents: each paper with its authors, summary and a link to its
own page and editions."""
from __future__ import annotations

import dataclasses
from pathlib import Path

from .. import __version__
from ..dist import atomic_write
from ..editions.common import display_date, edition_names, templates
from ..editions.html import human_size
from ..resources import read_style
from .member import Member, VolumeInfo, editor_line


def index_html(info: VolumeInfo, members: list[Member], see_also: dict | None = None) -> str:
    """The volume's subject index: every paper's terms, each occurrence linking into its paper's page."""
    from ..subject_index import html_section

    index = [mark for m in members for mark in m.doc.index]
    if not index or "html" not in info.formats:
        return ""
    prefixes = {m.paper.slug: m.prefix for m in members}
    titles = {m.paper.slug: m.doc.title_text or m.paper.title for m in members}

    def href(mark) -> str:
        return f"{info.editions_prefix}{mark.paper}/index.html#{mark.id[len(prefixes[mark.paper]):]}"

    labelled = [dataclasses.replace(mark, section=f"{titles[mark.paper]}: {mark.section}" if mark.section
                                    else titles[mark.paper]) for mark in index]
    return html_section(labelled, href, see_also)


def page(info: VolumeInfo, members: list[Member], sizes: dict[str, int], names: dict[str, str],
         see_also: dict | None = None) -> str:
    """The volume page's HTML. SIZES: the volume's PDF and EPUB sizes (bytes), NAMES their file names."""
    v, paper = info.volume, info.paper
    up = info.editions_prefix
    entries = []
    for m in members:
        own = edition_names(m.paper.slug)
        links = []
        if "html" in info.formats:
            links.append(("Read online", f"{up}{m.paper.slug}/{own['html']}", "text/html"))
        if "pdf" in info.formats:
            links.append(("PDF", f"{up}{m.paper.slug}/{own['pdf']}", "application/pdf"))
        if "epub" in info.formats:
            links.append(("EPUB", f"{up}{m.paper.slug}/{own['epub']}", "application/epub+zip"))
        entries.append({"m": m, "doc": m.doc, "date": display_date(m.paper.date), "links": links,
                        "href": links[0][1] if links else ""})
    editions = [(label, names[f], mime, human_size(sizes[f])) for f, label, mime in
                (("pdf", "PDF", "application/pdf"), ("epub", "EPUB", "application/epub+zip")) if f in sizes]
    css = read_style("paper.css") + "\n" + read_style("catalog.css") + "\n" + read_style("volume.css")
    return templates().get_template("volume.html.j2").render(
        volume=v, paper=paper, entries=entries, editions=editions, editors=editor_line(v),
        date=display_date(paper.date), css=css, version=__version__, lang=paper.lang or "en", up=up,
        index_html=index_html(info, members, see_also), canonical=info.canonical)


def write(info: VolumeInfo, members: list[Member], folder: Path, sizes: dict[str, int],
          names: dict[str, str], see_also: dict | None = None) -> Path:
    """Write `FOLDER/index.html` atomically."""
    return atomic_write(folder / "index.html", page(info, members, sizes, names, see_also))
