"""Jekyll's rules: a RawPost and the site config become one normalized Paper."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from ..config import SiteConfig
from ..model import InputError, Paper, Problem, RawPost
from . import dates, defaults, lines, names, people, taxonomy

# Liquid, the excerpt and kramdown conversion are imported where a post's body is converted: a build
# whose posts all come from the cache never loads them.

DATE_FILENAME_RE = re.compile(r"^(\d{2,4})-(\d{1,2})-(\d{1,2})-(.*)$")


def defaults_for(site: SiteConfig, rel: str, kind: str) -> dict[str, Any]:
    """Front-matter defaults (`defaults:` with scope path/type) that apply to REL, with Jekyll's precedence."""
    return defaults.defaults_for(site.defaults, rel, kind, site.root)


def _text(meta: dict, key: str, file: str, warnings: list[Problem]) -> str:
    value = meta.get(key)
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        warnings.append(Problem(file, None, f"'{key}' should be text, not a {type(value).__name__}; ignored",
                                f"write {key}: \"...\"", severity="warning"))
        return ""
    return str(value).strip()


def _output_ext(site: SiteConfig, path) -> str:
    """`.html` for the extensions Jekyll converts as Markdown (`markdown_ext`), else the file's own."""
    ext = path.suffix
    return ".html" if ext.lower().lstrip(".") in site.markdown_ext else ext


# Jekyll's date placeholders in a permalink and their strftime codes, formatted in one call
_DATE_PLACEHOLDERS = ("year", "month", "day", "short_year", "hour", "minute", "second", "y_day", "short_month",
                      "long_month", "short_day", "long_day", "week")
_DATE_FORMATS = "\x1f".join(("%Y", "%m", "%d", "%y", "%H", "%M", "%S", "%j", "%b", "%B", "%a", "%A", "%V"))


def normalize(raw: RawPost, site: SiteConfig, data: dict[str, Any] | None = None,
              index: liquid.SiteIndex | None = None, convert_body: bool = True) -> Paper:
    """Apply Jekyll 4's rules to one post: its metadata, then (unless CONVERT_BODY is false) its
    body through Liquid and kramdown, with INDEX (by default the site's, made once per SiteConfig)."""
    data = data or {}
    src = raw.source
    file = src.rel
    warnings: list[Problem] = []
    meta = defaults.merge_front_matter(defaults_for(site, src.rel, src.kind), raw.meta)
    zone = dates.site_zone(site.timezone)

    stem = src.path.name.rsplit(".", 1)[0]
    match = DATE_FILENAME_RE.match(stem)
    file_date = None
    name_slug = stem
    if match:
        y, mo, d, name_slug = match.groups()
        try:
            file_date = dates.localize(dt.datetime(int(y), int(mo), int(d)), zone)
        except ValueError:
            raise InputError(Problem(file, None, f"the file name's date {y}-{mo}-{d} is not a real date",
                                     "rename the file as YYYY-MM-DD-slug.md")) from None
    name_slug = re.sub(r"\.+$", "", name_slug)  # Jekyll: slugs do not end with a period

    when = None
    if "date" in meta and meta["date"] is not None:
        when = dates.parse_date(meta["date"], zone)
        if when is None:
            raise InputError(Problem(file, _line_of(raw, "date"), f"cannot read date {meta['date']!r}",
                                     "write it as YYYY-MM-DD HH:MM:SS +HHMM"))
    if when is None:
        when = file_date
    if when is None and src.kind == "draft":
        when = dt.datetime.fromtimestamp(int(src.path.stat().st_mtime), dt.timezone.utc)
    if when is None:
        raise InputError(Problem(file, None, "the post has no date",
                                 "name it YYYY-MM-DD-slug.md or add a 'date:' key"))
    when = dates.in_zone(when, zone)

    slug_data = meta.get("slug")
    slug_src = str(slug_data) if slug_data not in (None, "") else name_slug
    slug = names.slugify(slug_src) or names.slugify(stem) or "paper"
    title = _text(meta, "title", file, warnings) or names.titleize(name_slug)

    categories = taxonomy.categories(meta, src.dir_categories)
    tags = taxonomy.tags(meta)

    collection, collection_files = authors_collection(site)
    data_authors = data.get("authors") if isinstance(data.get("authors"), dict) else {}
    data_authors = {**collection, **data_authors}
    authors = people.authors(meta, data_authors, split=site.options.split_authors)
    if not authors and site.author:
        authors = people.authors({"author": site.author}, data_authors, split=site.options.split_authors)
    ids = meta.get("authors", meta.get("author"))
    used_ids = [i.strip() for i in (ids if isinstance(ids, list) else [ids, site.author])
                if isinstance(i, str) and i.strip() in data_authors]

    separator = meta.get("excerpt_separator")
    separator = site.excerpt_separator if separator is None else str(separator)

    image = meta.get("image")
    if isinstance(image, dict):
        image = image.get("path") or image.get("url") or ""
    image = str(image or "").strip()

    permalink = meta.get("permalink") or names.permalink_template(site.permalink)
    placeholders = {
        **dict(zip(_DATE_PLACEHOLDERS, when.strftime(_DATE_FORMATS).split("\x1f"))),
        "i_month": str(when.month), "i_day": str(when.day),
        "title": names.slugify(slug_src, mode="pretty", cased=True),
        "slug": slug,
        "categories": "/".join(dict.fromkeys(c.lower() for c in categories)),
        "slugified_categories": "/".join(dict.fromkeys(names.slugify(c) for c in categories)),
        "output_ext": _output_ext(site, src.path),
        "path": src.rel.rsplit(".", 1)[0].replace("_posts", "", 1),  # Document#cleaned_relative_path
        "name": stem,
        "collection": "posts",
    }
    url = names.build_url(str(permalink), placeholders)

    lang = _language(raw, meta, site, warnings)
    paper = Paper(
        source=src.path, rel_source=src.rel, slug=slug, title=title, date=when, url=url,
        body=raw.body, body_line=raw.body_line, authors=authors, categories=categories, tags=tags,
        excerpt="", excerpt_separator=separator,
        description=people.plain(_text(meta, "description", file, warnings)),
        lang=lang, image=image, subtitle=_text(meta, "subtitle", file, warnings),
        series=_text(meta, "series", file, warnings) or site.options.series,
        publisher=_text(meta, "publisher", file, warnings) or site.options.publisher or site.title,
        rights=_text(meta, "rights", file, warnings) or _text(meta, "license", file, warnings) or site.options.rights,
        identifier=_text(meta, "doi", file, warnings) or _text(meta, "identifier", file, warnings)
        or _text(meta, "isbn", file, warnings),
        kind=src.kind, source_sha256=raw.sha256, meta=meta, warnings=warnings,
    )
    for key in used_ids:
        if key in (data.get("authors") or {}):
            _depend_on_data(paper, site, "authors")
        elif key in collection_files and collection_files[key] not in paper.dependencies:
            paper.dependencies.append(collection_files[key])
    if convert_body:
        convert(paper, site, lambda: index or shared_index(site, data, needs_posts(raw.body)))
    return paper


_AUTHORS_CACHE: dict[int, tuple[SiteConfig, dict, dict]] = {}


def authors_collection(site: SiteConfig) -> tuple[dict[str, dict], dict[str, str]]:
    """The `_authors/` collection: id (`short_name`, else the file name) → front matter, and
    id → file (a dependency). Read once per SiteConfig."""
    hit = _AUTHORS_CACHE.get(id(site))
    if hit and hit[0] is site:
        return hit[1], hit[2]
    people_by_id: dict[str, dict] = {}
    files: dict[str, str] = {}
    folder = site.root / "_authors"
    if folder.is_dir():
        from .. import frontmatter

        for path in sorted(folder.glob("*.*")):
            rel = path.relative_to(site.root).as_posix()
            try:
                parts = frontmatter.split(frontmatter.decode(path.read_bytes(), rel), rel)
            except (InputError, OSError):
                continue
            if parts and isinstance(parts[0], dict):
                key = str(parts[0].get("short_name") or path.stem)
                people_by_id[key] = parts[0]
                files[key] = rel
    if len(_AUTHORS_CACHE) > 16:
        _AUTHORS_CACHE.clear()
    _AUTHORS_CACHE[id(site)] = (site, people_by_id, files)
    return people_by_id, files


def _depend_on_data(paper: Paper, site: SiteConfig, name: str) -> None:
    """Record `_data/NAME.*` (the file the value came from) in the paper's dependencies."""
    for path in sorted((site.root / "_data").glob(f"{name}.*")):
        rel = path.relative_to(site.root).as_posix()
        if rel not in paper.dependencies:
            paper.dependencies.append(rel)


_POSTS_USE = re.compile(r"\{%-?\s*(post_url|link)\b|site\.(posts|categories|tags|related_posts)")
_INDEX_CACHE: dict[tuple[int, bool], tuple[SiteConfig, liquid.SiteIndex]] = {}


def has_liquid(text: str) -> bool:
    """Whether TEXT has any Liquid markup at all (most posts do not: python-liquid is then neither
    imported nor run)."""
    return "{%" in text or "{{" in text


def needs_posts(body: str) -> bool:
    """Whether BODY's Liquid refers to other posts (post_url, link, site.posts...)."""
    return has_liquid(body) and bool(_POSTS_USE.search(body))


def shared_index(site: SiteConfig, data: dict[str, Any], with_posts: bool) -> liquid.SiteIndex:
    """The site index, made once per SiteConfig; with every post's metadata only when WITH_POSTS."""
    key = (id(site), with_posts)
    hit = _INDEX_CACHE.get(key)
    if hit and hit[0] is site:
        return hit[1]
    papers: list[Paper] = []
    if with_posts:
        from .. import discover, frontmatter

        sources, _ = discover.discover(site.root, drafts=False)
        for src in sources:
            try:
                raw, _ = frontmatter.read_post(src, site.options.max_post_bytes)
                if raw is not None:
                    papers.append(normalize(raw, site, data, convert_body=False))
            except InputError:
                continue
    index = site_index(site, data, papers)
    if len(_INDEX_CACHE) > 16:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = (site, index)
    return index


def site_index(site: SiteConfig, data: dict[str, Any], papers: list[Paper]) -> liquid.SiteIndex:
    """The `site.*` variables and the URL of each of PAPERS, for Liquid (post_url, link)."""
    from . import liquid

    posts = [page_variables(p) for p in papers]
    variables = {**site.raw, "title": site.title, "url": site.url, "baseurl": site.baseurl,
                 "time": dates.now(), "data": data, "posts": posts,
                 "categories": {}, "tags": {}}
    for p, vars_ in zip(papers, posts):
        for c in p.categories:
            variables["categories"].setdefault(c, []).append(vars_)
        for t in p.tags:
            variables["tags"].setdefault(t, []).append(vars_)
    index = liquid.SiteIndex(site.root, variables, absolute_base=site.url + site.baseurl)
    for p in papers:
        index.path_urls[p.rel_source] = p.url
        index.sources[p.url] = p.rel_source
        stem = p.source.name.rsplit(".", 1)[0]
        index.post_urls.setdefault(stem, p.url)
        # Jekyll also accepts `cat/2020-01-01-name` for cat/_posts/ and _posts/cat/.
        folder = "/".join(part for part in p.rel_source.split("/")[:-1] if part != "_posts")
        if folder:
            index.post_urls.setdefault(f"{folder}/{stem}", p.url)
    return index


def page_variables(paper: Paper) -> dict[str, Any]:
    """`page.*` for Liquid: the front matter plus what Jekyll computes."""
    return {**paper.meta, "title": paper.title, "date": paper.date, "url": paper.url, "slug": paper.meta.get("slug")
            or paper.slug, "categories": paper.categories, "tags": paper.tags, "path": paper.rel_source,
            "id": paper.url.rsplit(".", 1)[0] if paper.url.endswith(".html") else paper.url.rstrip("/"),
            "description": paper.description, "lang": paper.lang}


_ENV_CACHE: dict[tuple[str, str], Any] = {}


def convert(paper: Paper, site: SiteConfig, index: Callable[[], liquid.SiteIndex]) -> None:
    """Liquid, then kramdown → pandoc Markdown, on PAPER's body; sets body, excerpt, dependencies.
    INDEX gives the site index, made only for a body with Liquid markup (as is python-liquid's import)."""
    from . import excerpt, kramdown, thematic_breaks
    from ..citations import distill, resolve

    body, liquid_dependencies = paper.body, []
    if has_liquid(body):
        from . import liquid

        key = (site.url, site.baseurl)
        env = _ENV_CACHE.get(key) or _ENV_CACHE.setdefault(key, liquid.make_environment(site.url, site.baseurl))
        state = liquid.RenderState(paper.rel_source, paper.body_line, paper.source.parent, index())
        body = liquid.render(paper.body, page_variables(paper), state, env)
        paper.warnings.extend(state.problems)
        liquid_dependencies = state.dependencies
    if distill.has_elements(body):  # distill's <d-cite>, <d-footnote>, … (issue 14)
        body, found = distill.convert(body, paper.rel_source, paper.body_line, is_html_post(paper))
        paper.warnings.extend(found)
    paper.dependencies = liquid_dependencies + [d for d in paper.dependencies if d not in liquid_dependencies]
    for name in dict.fromkeys(re.findall(r"site\.data\.([\w-]+)|site\.data\[['\"]([\w-]+)", paper.body)):
        _depend_on_data(paper, site, "".join(name))
    if "excerpt" in paper.meta and paper.meta["excerpt"] is not None:
        paper.excerpt = excerpt.strip_html(str(paper.meta["excerpt"]))
    else:
        head = excerpt.excerpt_markdown(body, paper.excerpt_separator)
        paper.excerpt = excerpt.to_plain(kramdown.plain_markdown(head))
    if is_html_post(paper):  # Jekyll runs Liquid on an HTML post but converts no Markdown
        converted = body
    else:
        converted = thematic_breaks.protect_rules(kramdown.to_pandoc(body))
        converted = _prepare_math(paper, site, converted)
    if converted != paper.body:
        source_map = lines.identity(paper.body, paper.body_line)
        paper.line_map = lines.follow(body, converted, lines.follow(paper.body, body, source_map))
    paper.body = converted
    resolve.prepare(paper, site)  # citations: bibliography, keys, style (issue 14)


def is_html_post(paper: Paper) -> bool:
    """A post written in HTML (`_posts/*.html`): read by pandoc as HTML, not Markdown."""
    return paper.source.suffix.lower() in (".html", ".htm")


def _language(raw: RawPost, meta: dict, site: SiteConfig, warnings: list[Problem]) -> str:
    """The post's language as a BCP 47 tag (`zh_cn` → `zh-CN`), from its front matter (`lang` or
    `language`), its defaults or the site; a code that cannot be normalised is reported with the
    file and line it was written on, and the language is then `und`."""
    from ..langtag import UNDETERMINED, normalise

    key = "lang" if meta.get("lang") else "language"
    code = str(meta.get("lang") or meta.get("language") or site.raw.get("lang") or site.lang or "en").strip()
    tag = normalise(code)
    if tag:
        return tag
    if key in raw.meta:
        file, line = raw.source.rel, _line_of(raw, key)
    elif meta.get(key):
        file, line = "_config.yml", None  # from the site's front-matter defaults
    else:
        file, line = "_config.yml", _config_line(site, "lang")
    warnings.append(Problem(file, line, f"language code {code!r} is not a BCP 47 language tag; the paper's "
                            f"language is set to '{UNDETERMINED}'", "write a code such as en, en-GB, pt-BR or "
                            "zh-CN", severity="warning"))
    return UNDETERMINED


def _config_line(site: SiteConfig, key: str) -> int | None:
    """The line of a top-level KEY in the site's last config file."""
    for path in reversed(site.files):
        try:
            for i, line in enumerate(path.read_text(encoding="utf-8", errors="replace").split("\n"), start=1):
                if re.match(rf"{re.escape(key)}\s*:", line):
                    return i
        except OSError:
            continue
    return None


def _prepare_math(paper: Paper, site: SiteConfig, body: str) -> str:
    """Macros, legacy TeX and the site's `$` delimiter (publisher.mathprep); the site files that
    configure math become dependencies of a post that has math."""
    if "$" not in body and "\\" not in body:
        return body
    from .. import mathconfig, mathprep

    math = mathconfig.for_site(site)
    paper.dependencies += [f for f in math.files if f not in paper.dependencies]
    return mathprep.prepare(body, math.macros, math.dollars)


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
