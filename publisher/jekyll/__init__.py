"""Jekyll's rules: a RawPost and the site config become one normalized Paper."""
from __future__ import annotations

import fnmatch
import re
from typing import Any

from ..config import SiteConfig
from ..model import InputError, Paper, Problem, RawPost
from . import dates, excerpt, names, people

DATE_FILENAME_RE = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.*)$")


def defaults_for(site: SiteConfig, rel: str, kind: str) -> dict[str, Any]:
    """Front-matter defaults (`defaults:` with scope path/type) that apply to REL, later ones winning."""
    merged: dict[str, Any] = {}
    type_names = {"post": "posts", "draft": "drafts"}
    for entry in site.defaults:
        if not isinstance(entry, dict):
            continue
        scope = entry.get("scope") or {}
        values = entry.get("values") or {}
        if not isinstance(scope, dict) or not isinstance(values, dict):
            continue
        stype = scope.get("type")
        if stype and stype not in (type_names.get(kind), "posts" if kind == "draft" else None):
            continue
        spath = str(scope.get("path") or "").strip("/")
        if spath:
            if any(c in spath for c in "*?["):
                if not fnmatch.fnmatch(rel, spath) and not fnmatch.fnmatch(rel, spath + "/*"):
                    continue
            elif not (rel == spath or rel.startswith(spath + "/")):
                continue
        merged.update(values)
    return merged


def _words(value) -> list[str]:
    """Jekyll's categories/tags: strings split on whitespace, lists flattened, nulls dropped."""
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        out: list[str] = []
        for v in value:
            if v is not None and str(v).strip():
                out.append(str(v).strip())
        return out
    return [w for w in str(value).split() if w]


def _text(meta: dict, key: str, file: str, warnings: list[Problem]) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        warnings.append(Problem(file, None, f"'{key}' should be text, not a {type(value).__name__}; ignored",
                                f"write {key}: \"...\"", severity="warning"))
        return ""
    return str(value).strip()


def normalize(raw: RawPost, site: SiteConfig, data: dict[str, Any] | None = None) -> Paper:
    """Apply Jekyll 4's rules to one post."""
    data = data or {}
    src = raw.source
    file = src.rel
    warnings: list[Problem] = []
    meta = {**defaults_for(site, src.rel, src.kind), **raw.meta}
    zone = dates.site_zone(site.timezone)

    stem = src.path.name.rsplit(".", 1)[0]
    match = DATE_FILENAME_RE.match(stem)
    file_date = None
    name_slug = stem
    if match:
        y, mo, d, name_slug = match.groups()
        try:
            import datetime as dt
            file_date = dates.localize(dt.datetime(int(y), int(mo), int(d)), zone)
        except ValueError:
            raise InputError(Problem(file, None, f"the file name's date {y}-{mo}-{d} is not a real date",
                                     "rename the file as YYYY-MM-DD-slug.md")) from None

    when = None
    if "date" in meta and meta["date"] is not None:
        when = dates.parse_date(meta["date"], zone)
        if when is None:
            raise InputError(Problem(file, _line_of(raw, "date"), f"cannot read date {meta['date']!r}",
                                     "write it as YYYY-MM-DD HH:MM:SS +HHMM"))
    if when is None:
        when = file_date
    if when is None and src.kind == "draft":
        import datetime as dt
        when = dt.datetime.fromtimestamp(int(src.path.stat().st_mtime), dt.timezone.utc).astimezone(zone)
    if when is None:
        raise InputError(Problem(file, None, "the post has no date",
                                 "name it YYYY-MM-DD-slug.md or add a 'date:' key"))
    when = dates.in_zone(when, zone)

    slug_src = str(meta.get("slug") or name_slug)
    slug = names.slugify(slug_src) or names.slugify(stem) or "paper"
    title = _text(meta, "title", file, warnings) or names.titleize(name_slug)

    categories = _words(meta.get("categories", meta.get("category")))
    if not categories and "categories" not in meta and "category" not in meta:
        categories = []
    categories = list(dict.fromkeys(src.dir_categories + categories))
    tags = list(dict.fromkeys(_words(meta.get("tags", meta.get("tag")))))

    data_authors = data.get("authors") if isinstance(data.get("authors"), dict) else {}
    authors = people.authors(meta, data_authors)
    if not authors and site.author:
        authors = people.authors({"author": site.author}, data_authors)

    separator = str(meta.get("excerpt_separator") or site.excerpt_separator)
    if "excerpt" in meta and meta["excerpt"] is not None:
        excerpt_text = excerpt.to_plain(str(meta["excerpt"]))
    else:
        excerpt_text = excerpt.to_plain(excerpt.excerpt_markdown(raw.body, separator))

    image = meta.get("image")
    if isinstance(image, dict):
        image = image.get("path") or image.get("url") or ""
    image = str(image or "").strip()

    permalink = meta.get("permalink") or names.permalink_template(site.permalink)
    placeholders = {
        "year": when.strftime("%Y"), "month": when.strftime("%m"), "day": when.strftime("%d"),
        "i_month": str(when.month), "i_day": str(when.day), "short_year": when.strftime("%y"),
        "hour": when.strftime("%H"), "minute": when.strftime("%M"), "second": when.strftime("%S"),
        "y_day": when.strftime("%j"), "short_month": when.strftime("%b"), "long_month": when.strftime("%B"),
        "short_day": when.strftime("%a"), "long_day": when.strftime("%A"), "week": when.strftime("%V"),
        "title": names.slugify(slug_src, mode="pretty", cased=True),
        "slug": slug,
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "output_ext": ".html",
        "path": src.rel.rsplit(".", 1)[0],
        "name": stem,
    }
    url = names.build_url(str(permalink), placeholders)

    lang = str(meta.get("lang") or meta.get("language") or site.lang or "en")
    return Paper(
        source=src.path, rel_source=src.rel, slug=slug, title=title, date=when, url=url,
        body=raw.body, body_line=raw.body_line, authors=authors, categories=categories, tags=tags,
        excerpt=excerpt_text, excerpt_separator=separator,
        description=people.plain(_text(meta, "description", file, warnings)),
        lang=lang, image=image, subtitle=_text(meta, "subtitle", file, warnings),
        series=_text(meta, "series", file, warnings) or site.options.series,
        publisher=_text(meta, "publisher", file, warnings) or site.options.publisher or site.title,
        rights=_text(meta, "rights", file, warnings) or _text(meta, "license", file, warnings) or site.options.rights,
        identifier=_text(meta, "doi", file, warnings) or _text(meta, "identifier", file, warnings)
        or _text(meta, "isbn", file, warnings),
        kind=src.kind, source_sha256=raw.sha256, meta=meta, warnings=warnings,
    )


def _line_of(raw: RawPost, key: str) -> int | None:
    """Best-effort line of KEY in the front matter (for messages)."""
    try:
        text = raw.source.path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for i, line in enumerate(text.split("\n")[: raw.body_line], start=1):
        if re.match(rf"\s*{re.escape(key)}\s*:", line):
            return i
    return None


def is_selected(paper: Paper, site: SiteConfig, future: bool, unpublished: bool) -> tuple[bool, str]:
    """Jekyll's publishing rules: published: false, future dates."""
    published = paper.meta.get("published", True)
    if published is False and not (unpublished or site.unpublished):
        return False, "published: false"
    if not (future or site.future) and paper.date > dates.now():
        return False, "dated in the future"
    return True, ""
