"""The data handed to the volume editions: each member paper with its document, and the volume
itself as a Paper (for the metadata code the paper editions already have)."""
from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

from ..editions.common import author_line
from ..model import Author, Document, Paper
from ..volumes import Volume


@dataclass
class Member:
    """One paper of a volume: its metadata, its rendered document (ids prefixed) and the bodies
    adapted for each medium."""

    number: int  # 1-based position in the volume
    paper: Paper
    doc: Document  # from the one pandoc pass, ids prefixed
    pdf: Document | None = None  # adapted for the PDF (notes, math, images, links)
    epub: Document | None = None  # adapted for the EPUB

    @property
    def prefix(self) -> str:
        return f"p{self.number:02d}-"

    @property
    def authors(self) -> str:
        return author_line(self.paper)


@dataclass
class VolumeInfo:
    """What the volume editions need besides the members."""

    volume: Volume
    paper: Paper  # the volume as a Paper: title, editors (as authors with role edt), date, identifier
    identifier: str
    editions_prefix: str = "../../"  # from the volume's folder to OUT, for links to the papers
    canonical: str = ""  # the volume page's public address (publisher.editions_url or url + baseurl)
    formats: list[str] = field(default_factory=list)
    references: dict = field(default_factory=dict)  # medium → bibliography.Bibliography (`bibliography: volume`)


def identifier(volume: Volume, site_url: str) -> str:
    """The volume's identifier: its ISBN when given, else a UUID from the site and the slug."""
    if volume.isbn:
        digits = "".join(c for c in volume.isbn if c.isdigit() or c in "Xx").upper()
        return f"urn:isbn:{digits}"
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (site_url or "publisher:") + "/volumes/" + volume.slug))


def volume_paper(volume: Volume, members: list[Member], site) -> Paper:
    """The volume as a Paper: the editors as its people (role edt), the newest member's date unless
    one is given, the site's publisher and rights."""
    if volume.date:
        day = dt.date.fromisoformat(volume.date)
        when = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    elif members:
        when = max(m.paper.date for m in members)
    else:
        when = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
    lang = volume.lang or site.lang or (members[0].paper.lang if members else "en")
    tags = list(dict.fromkeys(t for m in members for t in m.paper.tags))
    return Paper(source=site.root / "_config.yml", rel_source=volume.file if volume.file != "--volume" else "_config.yml",
                 slug=volume.slug, title=volume.title, date=when, url=f"/volumes/{volume.slug}/", body="",
                 authors=[Author(name, role="edt") for name in volume.editors], tags=tags,
                 description=volume.description, lang=lang, subtitle=volume.subtitle,
                 publisher=volume.publisher or site.options.publisher, rights=site.options.rights,
                 identifier=identifier(volume, site.url), kind="volume")


def editor_line(volume: Volume) -> str:
    """'Edited by A', 'Edited by A and B' ('' without editors)."""
    names = volume.editors
    if not names:
        return ""
    joined = " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"Edited by {joined}"
