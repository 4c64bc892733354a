"""The trust boundary: path guard, WeasyPrint URL fetcher, network policy, HTML sanitiser."""
from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nh3


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
    return nh3.clean(fragment, tags=tags, attributes=attrs, url_schemes={"http", "https", "mailto"},
                     link_rel=None, strip_comments=True)
