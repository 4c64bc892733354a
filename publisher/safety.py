"""The trust boundary: path guard, WeasyPrint URL fetcher, network policy, HTML sanitiser."""
from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nh3

from .model import Document, InputError, Problem

# Deeper nesting makes pandoc slow (10 000 levels: about a minute) and WeasyPrint recurse to death
# (about 100 levels of lists), so a post nested deeper than this is refused before pandoc runs.
MAX_NESTING = 40
# The same guard on the HTML pandoc produces (raw HTML can nest too): elements inside elements.
MAX_HTML_DEPTH = 90


class Refused(ValueError):
    """A resource outside what the policy allows."""


def inside(path: Path, roots: list[Path]) -> bool:
    """True when PATH (symlinks resolved) lies under one of ROOTS."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    for root in roots:
        try:
            real.relative_to(root.resolve())
            return True
        except ValueError:
            continue
    return False


def public_host(host: str) -> bool:
    """True when every address HOST resolves to is public (no loopback/private/link-local: no SSRF)."""
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%")[0])
        if (addr.is_private or addr.is_loopback or addr.is_link_local or addr.is_multicast
                or addr.is_reserved or addr.is_unspecified):
            return False
    return bool(infos)


def private_literal(host: str) -> bool:
    """True when HOST is written as an address that is not public (127.0.0.1, 10.x, 169.254.x, ::1) or
    is localhost: known without a DNS look-up."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return False


def check_remote(url: str, network: bool, allowed_hosts: list[str]) -> None:
    """Raise Refused unless URL may be fetched under the network policy."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"scheme {parts.scheme!r} is not allowed")
    if not network:
        raise Refused("network access is off (set publisher.network: true to allow remote resources)")
    host = (parts.hostname or "").lower()
    if allowed_hosts and not any(host == h or host.endswith("." + h) for h in allowed_hosts):
        raise Refused(f"host {host!r} is not in publisher.allowed_hosts")
    if not public_host(host):
        raise Refused(f"host {host!r} is not a public address")


def make_url_fetcher(roots: list[Path], network: bool = False, allowed_hosts: list[str] | None = None,
                     timeout: float = 10, max_bytes: int = 20 * 1024 * 1024, refused: list[str] | None = None):
    """A WeasyPrint URL fetcher that reads only files under ROOTS and public http(s) when allowed."""
    from weasyprint import URLFetcher

    allowed = list(allowed_hosts or [])
    log = refused if refused is not None else []

    class GuardedFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file":
                path = Path(unquote(parts.path))
                if not inside(path, roots):
                    log.append(url)
                    raise Refused(f"file outside the content root refused: {url}")
                return super().fetch(url, headers)
            try:
                check_remote(url, network, allowed)
            except Refused:
                log.append(url)
                raise
            response = super().fetch(url, headers)
            body = response.read(max_bytes + 1)
            if len(body) > max_bytes:
                raise Refused(f"{url} is larger than {max_bytes} bytes")
            from weasyprint.urls import URLFetcherResponse
            return URLFetcherResponse(response.url, body, response.headers, response.status)

    return GuardedFetcher(timeout=timeout, allow_redirects=False)


_ALLOWED_ATTRS = {"*": {"id", "class", "lang", "dir", "title", "role", "hidden", "style", "aria-label",
                        "aria-hidden", "aria-describedby", "epub:type", "data-emoji"}}


_MATH_TAGS = {"math", "mi", "mo", "mn", "ms", "mtext", "mrow", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot",
              "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mspace", "mstyle", "semantics", "mpadded",
              "mphantom", "menclose"}
_MATH_ATTRS = {"mathvariant", "displaystyle", "scriptlevel", "accent", "accentunder", "width", "height", "depth",
               "notation", "linebreak"}
# CSS properties kept in style="" attributes: none of them can load a resource (no url(), no @import).
_STYLE_PROPERTIES = {"text-align", "vertical-align", "width", "height", "min-width", "max-width", "color",
                     "background-color", "font-style", "font-weight", "font-variant", "font-size", "text-decoration",
                     "text-transform", "white-space", "list-style-type", "margin", "margin-left", "margin-right",
                     "padding", "padding-left", "padding-right", "border", "border-collapse", "display"}


def sanitize(fragment: str) -> str:
    """Sanitise an HTML fragment for EPUB/PDF: no scripts, no event handlers, no javascript: URLs."""
    tags = set(nh3.ALLOWED_TAGS) | {"section", "figure", "figcaption", "aside", "nav", "header", "footer",
                                    "math", "mi", "mo", "mn", "ms", "mtext", "mrow", "msup", "msub", "msubsup",
                                    "mfrac", "msqrt", "mroot", "munder", "mover", "munderover", "mtable", "mtr",
                                    "mtd", "mspace", "mstyle", "semantics", "annotation", "mpadded", "mphantom",
                                    "menclose", "span", "div", "sup", "sub", "small", "abbr", "mark", "svg",
                                    "details", "summary", "picture", "source", "video", "audio"}
    attrs = {k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in tags:
        attrs.setdefault(tag, set())
        attrs[tag] |= _ALLOWED_ATTRS["*"]
    attrs["a"] |= {"href", "title"}
    attrs["img"] |= {"src", "alt", "width", "height"}
    attrs["math"] |= {"display", "xmlns"}
    attrs["annotation"] |= {"encoding"}
    attrs["td"] |= {"colspan", "rowspan", "style"}
    attrs["th"] |= {"colspan", "rowspan", "style", "scope"}
    attrs["col"] = {"style", "width", "span"}
    attrs["ol"] |= {"start", "type"}
    attrs["mo"] |= {"stretchy", "fence", "form", "lspace", "rspace", "accent", "largeop", "movablelimits"}
    attrs["mstyle"] |= {"displaystyle", "scriptlevel"}
    attrs["mtable"] |= {"columnalign", "rowspacing"}
    attrs["mtd"] |= {"columnalign"}
    attrs["mfrac"] |= {"linethickness"}
    for tag in _MATH_TAGS:
        attrs[tag] |= _MATH_ATTRS
    return nh3.clean(fragment, tags=tags, attributes=attrs, url_schemes={"http", "https", "mailto", "data"},
                     attribute_filter=_only_image_data, link_rel=None, strip_comments=True,
                     filter_style_properties=_STYLE_PROPERTIES)


def _only_image_data(tag: str, attr: str, value: str) -> str | None:
    """data: URLs only as the source of an image (an inline picture), never as a link or anything else."""
    if value[:5].lower() == "data:" and not (tag in ("img", "source") and attr in ("src", "srcset")
                                              and value[5:11].lower() == "image/"):
        return None
    return value


def apply_html_policy(doc: Document, policy: str) -> Document:
    """The Document the HTML edition shows: as is ('trusted'), or with every fragment sanitised ('untrusted')."""
    if policy != "untrusted":
        return doc
    return replace(doc, body_html=sanitize(doc.body_html), title_html=sanitize(doc.title_html),
                   subtitle_html=sanitize(doc.subtitle_html), summary_html=sanitize(doc.summary_html),
                   bio_html=sanitize(doc.bio_html))


_LIST_OR_QUOTE = re.compile(r"(?:>|[-*+](?=\s)|\d{1,9}[.)](?=\s))[ \t]*")


def markdown_nesting(text: str) -> tuple[int, int]:
    """(deepest nesting of block quotes and list items, 1-based line where it is) in Markdown TEXT.

    An estimate made without parsing: the markers (`>`, `-`, `*`, `+`, `1.`) at the start of a line
    plus one level for every two columns of indentation before them.
    """
    deepest, where = 0, 1
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t")
        if not stripped or stripped[0] not in ">-*+0123456789":
            continue
        markers, pos = 0, 0
        while True:
            m = _LIST_OR_QUOTE.match(stripped, pos)
            if not m or m.end() == pos:
                break
            markers += 1
            pos = m.end()
        if not markers:
            continue
        indent = len(line) - len(stripped) + line[: len(line) - len(stripped)].count("\t") * 3
        depth = markers + indent // 2
        if depth > deepest:
            deepest, where = depth, number
    return deepest, where


def check_markdown_nesting(text: str, file: str, first_line: int = 1) -> None:
    """Raise InputError when TEXT nests block quotes or lists deeper than MAX_NESTING."""
    depth, line = markdown_nesting(text)
    if depth > MAX_NESTING:
        raise InputError(Problem(file, first_line + line - 1,
                                 f"block quotes or lists nested {depth:,} levels deep; the limit is {MAX_NESTING}",
                                 "flatten the nesting (pandoc and the PDF typesetter cannot handle it)"))


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
         "param", "keygen"}


def html_depth(fragment: str) -> int:
    """How deeply elements nest in an HTML FRAGMENT (a tolerant count of open tags)."""
    depth = deepest = 0
    for closing, name, selfclosing in _TAG.findall(fragment):
        name = name.lower()
        if closing:
            depth = max(0, depth - 1)
        elif not selfclosing and name not in _VOID:
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def check_html_depth(fragment: str, file: str) -> None:
    """Raise InputError when the rendered FRAGMENT nests elements deeper than MAX_HTML_DEPTH."""
    depth = html_depth(fragment)
    if depth > MAX_HTML_DEPTH:
        raise InputError(Problem(file, None, f"the HTML nests {depth:,} elements deep; the limit is {MAX_HTML_DEPTH}",
                                 "flatten nested lists, block quotes or raw HTML <div>s"))


# Raw HTML that the sanitiser removes from the EPUB and PDF (and, with html_policy: untrusted, the HTML edition).
# Matched in pandoc's output, where code samples are escaped text and only real markup is left.
_HOSTILE = [
    (r"<script\b", "a <script> element"),
    (r"<(?:applet|frame|frameset)\b", "an <applet> or <frame>"),  # iframe/object/embed become links (body.py)
    (r"<link\b", "a <link> element"),
    (r"<style\b", "a <style> element"),
    (r"<(?:form|input|button|textarea|select)\b", "a form element"),
    (r"<[a-z][^>]*\son[a-z]+\s*=", "an event handler attribute (on...=)"),
    (r"<[a-z][^>]*=\s*[\"']?\s*javascript:", "a javascript: URL"),
    (r"<[a-z][^>]*\burl\s*\(", "a CSS url() in a style attribute"),
    (r"<[a-z][^>]*=\s*[\"']?\s*file:", "a file: URL"),
]
_HOSTILE = [(re.compile(p, re.I), what) for p, what in _HOSTILE]
_SOURCE_HINTS = {"a <script> element": "<script", "a <link> element": "<link", "a <style> element": "<style",
                 "a javascript: URL": "javascript:", "a CSS url() in a style attribute": "url(", "a file: URL": "file:"}


def raw_html_warnings(html: str, markdown: str, file: str, first_line: int = 1,
                      policy: str = "trusted") -> list[Problem]:
    """Warnings for the hostile raw HTML in a rendered fragment HTML that the sanitiser removes (one per kind).

    The line is where the same text first occurs in the post's MARKDOWN (None when it cannot be found)."""
    where = "the EPUB and PDF" + (" and HTML editions" if policy == "untrusted" else " editions")
    problems = []
    lower = markdown.lower()
    for pattern, what in _HOSTILE:
        if not pattern.search(html):
            continue
        needle = _SOURCE_HINTS.get(what)
        at = lower.find(needle) if needle else -1
        line = first_line + markdown.count("\n", 0, at) if at >= 0 else None
        removed_from = "every edition" if what.startswith("an event handler") else where  # editions/raw_html.py
        problems.append(Problem(file, line, f"{what} was removed from {removed_from}",
                                "raw HTML in posts is sanitised; see README, Security", severity="warning"))
    return problems
