"""Site configuration: Jekyll's `_config.yml` plus publisher's own `publisher:` section, validated."""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from .frontmatter import decode, load_yaml
from .model import InputError, Problem

PAGE_SIZES = {"A4": "210mm 297mm", "Letter": "8.5in 11in", "B5": "176mm 250mm", "6x9": "6in 9in",
              "A5": "148mm 210mm"}
FORMATS = ("html", "epub", "pdf")
# WeasyPrint's archival and accessible PDF variants (PDF/X is left out: it is not reproducible).
PDF_VARIANTS = ("pdf/a-1b", "pdf/a-2b", "pdf/a-3b", "pdf/a-2u", "pdf/a-3u", "pdf/a-4u", "pdf/a-1a", "pdf/a-2a",
                "pdf/a-3a", "pdf/a-4e", "pdf/a-4f", "pdf/ua-1", "pdf/ua-2")
CSS_LENGTH = r"\s*[0-9]*\.?[0-9]+\s*(mm|cm|in|pt|pc|px|q)\s*"


def page_size_problem(value: str) -> str:
    """Why VALUE is not a page size ('' when it is one): a named size or two CSS lengths."""
    import re

    if value in PAGE_SIZES:
        return ""
    parts = str(value).split()
    if len(parts) == 2 and all(re.fullmatch(CSS_LENGTH, p, re.I) for p in parts):
        return ""
    return f"unknown page size {value!r}"


def pdf_variant_problem(value: str) -> str:
    """Why VALUE is not a `pdf_variant` ('' when it is): one PDF/A and/or one PDF/UA, comma-separated."""
    parts = [p.strip().lower() for p in str(value).split(",") if p.strip()]
    bad = [p for p in parts if p not in PDF_VARIANTS]
    if bad:
        return f"unknown PDF variant {bad[0]!r}"
    if sum(p.startswith("pdf/a") for p in parts) > 1 or sum(p.startswith("pdf/ua") for p in parts) > 1:
        return "at most one PDF/A and one PDF/UA variant"
    return ""


@dataclass
class PublisherOptions:
    """The `publisher:` section of `_config.yml`. Every key is optional."""

    formats: list[str] = field(default_factory=lambda: list(FORMATS))
    italic_quotes: bool = True  # a paragraph that is one italic span becomes a block quotation
    split_authors: bool = False  # "A and B" / "A, B & C" in an author string name several authors
    page_size: str = "A4"  # A4, Letter, B5, 6x9, A5 or "WIDTH HEIGHT" in CSS units
    print: bool = False  # PDF for the press: bleed, crop and cross marks, image resolution check
    bleed: str = "3mm"  # with print: how far backgrounds and the cover run past the trim
    marks: str = "crop cross"  # with print: printer's marks ("crop", "cross", "crop cross" or "none")
    pdf_variant: str = ""  # "pdf/a-3b", "pdf/ua-1", or one of each: "pdf/a-3b,pdf/ua-1"
    pdf_tags: bool = False  # tagged PDF (implied by PDF/UA)
    min_dpi: int = 300  # with print: warn about images below this resolution at their printed size
    filters: list[str] = field(default_factory=list)  # user filters (.lua or panflute .py), trusted code
    network: bool = False  # allow fetching remote images
    allowed_hosts: list[str] = field(default_factory=list)  # when network is on; empty = any public host
    timeout: int = 120  # seconds per external step (pandoc, WeasyPrint)
    max_post_bytes: int = 8 * 1024 * 1024
    memory_mb: int = 2048  # memory (address space) allowed to each external step (pandoc, WeasyPrint)
    publisher: str = ""  # the publishing organisation, for EPUB/PDF metadata
    rights: str = ""  # licence statement
    series: str = ""  # default series name
    html_policy: str = "trusted"  # "trusted" keeps raw HTML in the HTML edition; "untrusted" sanitises it too
    notes: str = "footnotes"  # PDF notes: footnotes (page foot), endnotes (at the end), section-endnotes
    sidenotes: bool = False  # HTML: also show each note in the margin on wide screens
    epub_embed_fonts: bool = False  # embed Source Serif 4 in the EPUB (readers may still use their own font)
    editions_url: str = ""  # public URL of the OUT folder (feeds, sitemap, citation_pdf_url); default url + baseurl
    # packaging (issue 16): a folder of the site whose stylesheets replace the packaged ones of the same name
    # (default _publisher/styles; see publisher.resources and docs/packaging.md)
    styles: str = ""
    # Cross-references (issue 18, docs/crossrefs.md); a post's front matter `publisher:` may override them.
    list_of_figures: bool = False  # a list of the numbered figures at the end of each paper
    list_of_tables: bool = False  # a list of the numbered tables at the end of each paper
    # volumes (issue 17): many papers as one book, see docs/volumes.md and publisher/volumes.py
    volumes: list = field(default_factory=list)  # volumes.Volume for each entry of `publisher: volumes:`
    index_see_also: dict = field(default_factory=dict)  # subject index: {term: [see-also terms]}
    # Citations (issue 14, docs/citations.md): the citation style, the site's default bibliography
    # (else jekyll-scholar's scholar: source/bibliography), and the title of the reference list.
    csl: str = ""  # a shipped style (author-date, numeric) or a .csl file in the site; default author-date
    bibliography: str = ""  # a bibliography file in the site, for posts that name none
    references_title: str = "References"
    # archive scale (docs/scale.md): catalog and OPDS pages, the Atom feed's length, OPDS search
    papers_per_page: int = 200  # papers on each catalog page (index.html, catalog/…) and each OPDS page
    feed_limit: int = 50  # the Atom feed carries the latest N papers
    search_url: str = ""  # OpenSearch template with {searchTerms}; default: a web search of the editions' address


@dataclass
class SiteConfig:
    """Everything the pipeline needs to know about the site being built."""

    root: Path
    title: str = ""
    url: str = ""
    baseurl: str = ""
    author: Any = None
    lang: str = "en"
    timezone: str | None = None
    excerpt_separator: str = "\n\n"
    permalink: str = "date"
    future: bool = False
    show_drafts: bool = False
    unpublished: bool = False
    defaults: list[dict[str, Any]] = field(default_factory=list)
    markdown_ext: list[str] = field(default_factory=lambda: ["markdown", "mkdown", "mkdn", "mkd", "md"])
    raw: dict[str, Any] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    options: PublisherOptions = field(default_factory=PublisherOptions)


def _key_lines(text: str) -> dict[tuple[str, ...], int]:
    """Line numbers (1-based) of mapping keys, by path, for error messages."""
    lines: dict[tuple[str, ...], int] = {}

    def walk(node, path):
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode):
                    lines[path + (k.value,)] = k.start_mark.line + 1
                    walk(v, path + (k.value,))

    try:
        walk(yaml.compose(text, Loader=yaml.SafeLoader), ())
    except yaml.YAMLError:
        pass
    return lines


def _check_options(data: Any, file: str, lines: dict) -> PublisherOptions:
    """Validate the `publisher:` mapping against PublisherOptions."""
    opts = PublisherOptions()
    if data is None:
        return opts
    if not isinstance(data, dict):
        raise InputError(Problem(file, lines.get(("publisher",)), "'publisher' must be a mapping of options"))
    known = {f.name: f for f in fields(PublisherOptions)}
    for key, value in data.items():
        line = lines.get(("publisher", str(key)))
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else "known options: " + ", ".join(known)
            raise InputError(Problem(file, line, f"unknown publisher option '{key}'", hint))
        if key == "volumes":  # volumes (issue 17): a list of mappings, checked by publisher/volumes.py
            from .volumes import parse_config

            opts.volumes = parse_config(value, file, line)
            continue
        if key == "index_see_also":  # subject index (issue 17): term → a term or a list of terms
            if not isinstance(value, dict) or not all(isinstance(k, str) and (isinstance(v, str) or isinstance(v, list)
                                                      and all(isinstance(x, str) for x in v)) for k, v in value.items()):
                raise InputError(Problem(file, line, "publisher option 'index_see_also' must map terms to terms",
                                         "write e.g. {GD: gradient descent, optimisation: [Adam, momentum]}"))
            opts.index_see_also = {k: [v] if isinstance(v, str) else list(v) for k, v in value.items()}
            continue
        default = getattr(opts, key)
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, int):
            ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
        elif isinstance(default, list):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, str)
        if not ok:
            raise InputError(Problem(file, line, f"publisher option '{key}' must be {type(default).__name__}"
                                     + (" > 0" if isinstance(default, int) and not isinstance(default, bool) else ""),
                                     f"got {value!r}"))
        setattr(opts, key, value)
    bad = [f for f in opts.formats if f not in FORMATS]
    if bad:
        raise InputError(Problem(file, lines.get(("publisher", "formats")), f"unknown format {bad[0]!r}",
                                 "formats are html, epub and pdf"))
    if opts.html_policy not in ("trusted", "untrusted"):
        raise InputError(Problem(file, lines.get(("publisher", "html_policy")),
                                 f"html_policy must be 'trusted' or 'untrusted', not {opts.html_policy!r}"))
    if opts.notes not in ("footnotes", "endnotes", "section-endnotes"):
        raise InputError(Problem(file, lines.get(("publisher", "notes")), f"unknown notes style {opts.notes!r}",
                                 "use footnotes, endnotes or section-endnotes"))
    if page_size_problem(opts.page_size):
        raise InputError(Problem(file, lines.get(("publisher", "page_size")), f"unknown page size {opts.page_size!r}",
                                 "use A4, Letter, B5, 6x9, A5 or two CSS lengths such as '170mm 240mm'"))
    if why := pdf_variant_problem(opts.pdf_variant):
        raise InputError(Problem(file, lines.get(("publisher", "pdf_variant")), why,
                                 "use for example pdf/a-3b, pdf/ua-1 or 'pdf/a-3b,pdf/ua-1'"))
    if not re.fullmatch(CSS_LENGTH, opts.bleed, re.I) or not set(opts.marks.split()) <= {"crop", "cross", "none"}:
        key = "bleed" if not re.fullmatch(CSS_LENGTH, opts.bleed, re.I) else "marks"
        raise InputError(Problem(file, lines.get(("publisher", key)), f"bad {key} {getattr(opts, key)!r}",
                                 "bleed is a length such as 3mm; marks is crop, cross, 'crop cross' or none"))
    if opts.styles and (Path(opts.styles).is_absolute() or ".." in Path(opts.styles).parts):
        raise InputError(Problem(file, lines.get(("publisher", "styles")), f"styles must be a folder inside the site, not {opts.styles!r}",
                                 "for example styles: _publisher/styles"))
    return opts


def _bcp47(code: str) -> str:
    from .langtag import normalise

    return normalise(code) or "und"


def load(root: Path, config_files: list[Path] | None = None) -> SiteConfig:
    """Read `_config.yml` (or the given files, merged left to right like Jekyll) under ROOT."""
    root = root.resolve()
    site = SiteConfig(root=root)
    if config_files is None:
        config_files = [p for p in (root / "_config.yml", root / "_config.yaml") if p.is_file()][:1]
    merged: dict[str, Any] = {}
    all_lines: dict = {}
    for path in config_files:
        file = str(path)
        try:
            text = decode(path.read_bytes(), file)
        except OSError as exc:
            raise InputError(Problem(file, None, f"cannot read config: {exc.strerror}")) from None
        data, _ = load_yaml(text, file)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise InputError(Problem(file, 1, "the config must be a mapping of keys to values"))
        lines = _key_lines(text)
        all_lines.update({k: (file, v) for k, v in lines.items()})
        for key, value in data.items():
            if key == "publisher" and isinstance(value, dict) and isinstance(merged.get("publisher"), dict):
                merged["publisher"] = {**merged["publisher"], **value}
            else:
                merged[str(key)] = value
        site.files.append(path)
    site.raw = merged
    first = str(config_files[-1]) if config_files else str(root / "_config.yml")

    def check(key, types, default):
        value = merged.get(key, default)
        if value is None:
            return default
        if not isinstance(value, types):
            file, line = all_lines.get((key,), (first, None))
            raise InputError(Problem(file, line, f"'{key}' has the wrong type ({type(value).__name__})"))
        return value

    site.title = str(check("title", (str, int, float), ""))
    site.url = str(check("url", str, "")).rstrip("/")
    site.baseurl = str(check("baseurl", str, "")).rstrip("/")
    site.author = merged.get("author")
    site.lang = str(check("lang", str, "en")) or "en"
    site.lang = _bcp47(site.lang)  # zh_cn → zh-CN (papers report a code that cannot be normalised)
    site.timezone = check("timezone", str, None)
    site.excerpt_separator = str(check("excerpt_separator", str, "\n\n"))
    site.permalink = str(check("permalink", str, "date"))
    site.future = bool(check("future", bool, False))
    site.show_drafts = bool(check("show_drafts", bool, False))
    site.unpublished = bool(check("unpublished", bool, False))
    site.defaults = list(check("defaults", list, []))
    site.markdown_ext = [e.strip().lstrip(".").lower() for e in
                         str(check("markdown_ext", str, "markdown,mkdown,mkdn,mkd,md")).split(",") if e.strip()]
    if site.timezone:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(site.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            file, line = all_lines.get(("timezone",), (first, None))
            raise InputError(Problem(file, line, f"unknown timezone {site.timezone!r}",
                                     "use an IANA name such as Europe/London")) from None
    pub_lines = {k: v[1] for k, v in all_lines.items()}
    pub_file = all_lines.get(("publisher",), (first, None))[0]
    site.options = _check_options(merged.get("publisher"), pub_file, pub_lines)
    return site
