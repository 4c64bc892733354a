"""Images a paper uses: found in the rendered body, resolved to bytes once, shared by every edition.

Local images are read relative to the post, absolute site paths (`/assets/…`, `{{ site.baseurl }}/…`)
against the site root, never outside it. Remote images are fetched only when `publisher.network` is
on, through the network policy of publisher.safety, with a time and size limit and an on-disk cache.
Anything that cannot be read becomes a warning (file:line, what and why); the editions then show the
alt text in a placeholder and the build goes on.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree
from lxml import html as lxml_html

from .model import Asset, Document, Paper, Problem
from .safety import Refused, check_remote, inside

MAX_LOCAL_BYTES = 50 * 1024 * 1024
MAX_REMOTE_BYTES = 20 * 1024 * 1024
FETCH_TIMEOUT = 15  # seconds per remote image
MAX_REDIRECTS = 3
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp",
              "image/svg+xml": "svg"}
# Liquid that Jekyll would have expanded in a URL (kept literally when Liquid was not run).
_LIQUID_PREFIX = re.compile(r"^\{\{\s*(?:site\.baseurl|site\.url\s*\|\s*append:\s*site\.baseurl)\s*\}\}")
_LIQUID_FILTER = re.compile(r"^\{\{\s*['\"]([^'\"]+)['\"]\s*\|\s*(?:relative_url|absolute_url)\s*\}\}$")


def media_type(data: bytes) -> str:
    """The image type from the bytes themselves (the name of a file can lie); '' when unknown."""
    head = data[:512]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith(b"<svg") or (text.startswith(b"<?xml") or text.startswith(b"<!--")) and b"<svg" in data[:4096].lower():
        return "image/svg+xml"
    return ""


def _to_png(data: bytes) -> bytes | None:
    """Convert an image in another format Pillow reads (BMP, TIFF …) to PNG; None if it cannot."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            out = io.BytesIO()
            img.save(out, format="PNG")
            return out.getvalue()
    except Exception:  # noqa: BLE001 - any decoding failure means "not an image we can use"
        return None


def clean_svg(data: bytes) -> bytes:
    """SVG without scripts, event handlers or references to outside resources."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError:
        return b""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).localname in ("script", "foreignObject"):
            el.getparent().remove(el)
            continue
        for name in list(el.attrib):
            local = etree.QName(name).localname.lower()
            value = el.get(name, "").strip().lower()
            if local.startswith("on") or (local == "href" and not value.startswith(("#", "data:"))):
                del el.attrib[name]
    return etree.tostring(root, encoding="utf-8", xml_declaration=True)


def source_line(paper: Paper, *needles: str) -> int | None:
    """The line of the post where the first of NEEDLES occurs (for messages), or None.

    When Liquid or kramdown rewrote the body (an include expanded to many lines), the post's own file
    is searched first: an image behind `{% include figure.html path=… %}` is named on the include's line."""
    lines = paper.body.split("\n")
    if paper.line_map:
        found = _line_in_file(paper, needles)
        if found is not None:
            return found
    for needle in needles:
        needle = (needle or "").strip()
        if not needle:
            continue
        for i, line in enumerate(lines):
            if needle in line:
                if paper.line_map and i < len(paper.line_map):
                    return paper.line_map[i]  # Liquid (an include) and kramdown moved lines: the source's line
                return paper.body_line + i
    return None


def formula_line(paper: Paper, tex: str) -> int | None:
    """The line of the post where the formula TEX starts: its longest run of first words found (a
    message may have joined its lines; macros may have changed its end), at least 6 characters."""
    words = tex.split()
    needles = [" ".join(words[:k]) for k in range(len(words), 0, -1)]
    return source_line(paper, *(n for n in needles if len(n) >= 6))


def _line_in_file(paper: Paper, needles) -> int | None:
    """The line of the post's source file (after the front matter) where the first of NEEDLES occurs."""
    try:
        text = paper.source.read_text(encoding="utf-8-sig", errors="replace")
    except OSError:
        return None
    lines = text.replace("\r\n", "\n").split("\n")
    for needle in needles:
        needle = (needle or "").strip()
        if needle:
            for i in range(max(paper.body_line - 1, 0), len(lines)):
                if needle in lines[i]:
                    return i + 1
    return None


def _site_path(ref: str, baseurl: str) -> str | None:
    """The path under the site root for an absolute site reference, with Liquid and baseurl removed."""
    m = _LIQUID_FILTER.match(ref)
    if m:
        ref = m.group(1)
    ref = _LIQUID_PREFIX.sub("", ref)
    if not ref.startswith("/"):
        return None
    if baseurl and (ref == baseurl or ref.startswith(baseurl + "/")):
        ref = ref[len(baseurl):]
    return ref.lstrip("/")


def _candidates(ref: str, paper: Paper, root: Path, baseurl: str) -> list[Path]:
    """Where a local reference may point, most likely first."""
    path = unquote(urlsplit(ref).path) if not ref.startswith("{{") else unquote(ref)
    site = _site_path(path, baseurl)
    if site is not None:
        found = [root / site]
        if baseurl and path.startswith("/"):
            found.append(root / path.lstrip("/"))  # a site that keeps files under the baseurl folder
        return found
    return [paper.source.parent / path, root / path]  # relative to the post, then to the site


def _name(stem: str, data: bytes, mtype: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", stem).strip("-")[:40] or "image"
    return f"images/{stem}-{hashlib.sha256(data).hexdigest()[:10]}.{EXTENSIONS[mtype]}"


def _finish(asset: Asset, data: bytes, stem: str) -> Asset:
    """Check the bytes are a usable image, convert exotic formats, name the file."""
    mtype = media_type(data)
    if not mtype:
        converted = _to_png(data)
        if converted is None:
            asset.error = "is not an image publisher can use (PNG, JPEG, GIF, WebP or SVG)"
            return asset
        data, mtype = converted, "image/png"
    if mtype == "image/svg+xml":
        data = clean_svg(data)
        if not data:
            asset.error = "is not a well-formed SVG file"
            return asset
    asset.data, asset.media_type, asset.name = data, mtype, _name(stem, data, mtype)
    return asset


class RemoteCache:
    """Remote images on disk, keyed by URL: fetched once, reused by later builds."""

    def __init__(self, folder: Path | None):
        self.folder = folder

    def _paths(self, url: str) -> tuple[Path, Path] | None:
        if self.folder is None:
            return None
        key = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.folder / key, self.folder / f"{key}.json"

    def get(self, url: str) -> bytes | None:
        paths = self._paths(url)
        if paths and paths[0].is_file() and paths[1].is_file():
            return paths[0].read_bytes()
        return None

    def put(self, url: str, data: bytes) -> None:
        paths = self._paths(url)
        if not paths:
            return
        from .dist import atomic_write

        try:
            paths[0].parent.mkdir(parents=True, exist_ok=True)
            atomic_write(paths[0], data)
            atomic_write(paths[1], json.dumps({"url": url, "bytes": len(data)}))
        except OSError:
            pass  # a cache that cannot be written is only slower


def fetch(url: str, network: bool, allowed_hosts: list[str], timeout: float = FETCH_TIMEOUT,
          max_bytes: int = MAX_REMOTE_BYTES) -> bytes:
    """The bytes at URL under the network policy (each redirect checked again); raises Refused or OSError."""
    import urllib.error  # (urllib.request and http.client: imported when a build fetches, not by every build)
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: D102 - urllib API
            return None  # each redirect goes through check_remote() in the loop below

    opener = urllib.request.build_opener(NoRedirect)
    for _ in range(MAX_REDIRECTS + 1):
        check_remote(url, network, allowed_hosts)
        request = urllib.request.Request(url, headers={"User-Agent": "publisher (image fetch)"})
        try:
            with opener.open(request, timeout=timeout) as response:
                data = response.read(max_bytes + 1)
        except urllib.error.HTTPError as exc:
            if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
                url = urljoin(url, exc.headers["Location"])
                continue
            raise OSError(f"HTTP {exc.code}") from None
        if len(data) > max_bytes:
            raise Refused(f"larger than {max_bytes // (1024 * 1024)} MB")
        return data
    raise OSError("too many redirects")


class Resolver:
    """Resolves image references of one paper against its site and the network policy."""

    def __init__(self, paper: Paper, root: Path, baseurl: str = "", network: bool = False,
                 allowed_hosts: list[str] | None = None, cache_dir: Path | None = None, site_url: str = ""):
        self.paper, self.root, self.baseurl = paper, root.resolve(), baseurl.rstrip("/")
        self.site_url = site_url.rstrip("/")  # the site's own address: an image under it is a site file
        self.network, self.allowed_hosts = network, list(allowed_hosts or [])
        self.cache = RemoteCache(cache_dir)

    def resolve(self, src: str, alt: str = "") -> Asset:
        """One image reference → an Asset (with bytes, or with the reason it has none)."""
        asset = Asset(src=src, alt=alt)
        ref = src.strip()
        if ref.startswith("//"):
            ref = "https:" + ref
        scheme = urlsplit(ref).scheme.lower() if not ref.startswith("{{") else ""
        if scheme == "data":
            return self._data_uri(asset, ref)
        own = self.site_url and ref.lower().startswith(self.site_url.lower() + "/")
        if scheme in ("http", "https") and own:  # `{{ site.url }}{{ site.baseurl }}/assets/x.png`
            return self._local(asset, ref[len(self.site_url):])
        if scheme in ("http", "https"):
            return self._remote(asset, ref)
        if scheme:
            asset.error = f"uses the '{scheme}:' scheme, which is not allowed"
            return asset
        return self._local(asset, ref)

    def _data_uri(self, asset: Asset, ref: str) -> Asset:
        head, _, payload = ref.partition(",")
        try:
            data = base64.b64decode(payload) if head.endswith(";base64") else unquote(payload).encode("utf-8")
        except ValueError:
            asset.error = "is a data: URL that cannot be decoded"
            return asset
        return _finish(asset, data, "inline")

    def _local(self, asset: Asset, ref: str) -> Asset:
        tried = _candidates(ref, self.paper, self.root, self.baseurl)
        for path in tried:
            if not inside(path, [self.root]):
                asset.error = "points outside the site folder and was refused"
                continue
            if path.is_file():
                if path.stat().st_size > MAX_LOCAL_BYTES:
                    asset.error = f"is larger than {MAX_LOCAL_BYTES // (1024 * 1024)} MB"
                    return asset
                asset.error = ""
                asset.path = path.resolve()
                return _finish(asset, path.read_bytes(), path.stem)
        if not asset.error:
            asset.error = "was not found" + (f" (looked for {_rel(tried[0], self.root)})" if tried else "")
        return asset

    def _remote(self, asset: Asset, url: str) -> Asset:
        asset.remote = True
        stem = Path(urlsplit(url).path).stem or "remote"
        cached = self.cache.get(url) if self.network else None
        if cached is not None:
            return _finish(asset, cached, stem)
        try:
            data = fetch(url, self.network, self.allowed_hosts)
        except Refused as exc:
            asset.error = f"was not fetched: {exc}"
            return asset
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "reason", None) or exc
            asset.error = f"could not be fetched ({reason})"
            return asset
        asset = _finish(asset, data, stem)
        if asset.ok:
            self.cache.put(url, data)
        return asset


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return path.name


def image_refs(fragment: str) -> list[tuple[str, str]]:
    """(src, alt) of every <img> in an HTML fragment, in order, without repeats."""
    if "<img" not in fragment:
        return []
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    seen: dict[str, str] = {}
    for img in root.iter("img"):
        src = (img.get("src") or "").strip()
        if src and src not in seen:
            seen[src] = img.get("alt") or ""
    return list(seen.items())


def attach(paper: Paper, doc: Document, root: Path, baseurl: str = "", network: bool = False,
           allowed_hosts: list[str] | None = None, cache_dir: Path | None = None, site_url: str = "") -> None:
    """Resolve every image of DOC (and the front-matter image) into doc.assets / doc.cover.

    Images that cannot be used add a warning to doc.warnings; the build goes on."""
    resolver = Resolver(paper, root, baseurl, network, allowed_hosts, cache_dir, site_url)
    for fragment in (doc.body_html, doc.summary_html, doc.bio_html):
        for src, alt in image_refs(fragment):
            if src in doc.assets:
                continue
            asset = resolver.resolve(src, alt)
            asset.line = source_line(paper, src, unquote(src), Path(unquote(urlsplit(src).path)).name)
            doc.assets[src] = asset
            if not asset.ok:
                shown = src if len(src) < 120 else src[:117] + "…"
                hint = ("allow remote images with publisher: {network: true}" if "network access is off" in asset.error
                        else "check the path: relative to the post, or /… from the site root")
                shows = "a link to it" if asset.remote else "its alt text"
                doc.warnings.append(Problem(paper.rel_source, asset.line, f"image '{shown}' {asset.error}; "
                                            f"the PDF and EPUB show {shows} instead", hint, severity="warning"))
    if paper.image:
        cover = resolver.resolve(paper.image if "://" in paper.image or paper.image.startswith(("/", "{{"))
                                 else "/" + paper.image, f"Cover image of {paper.title}")
        if cover.ok:
            doc.cover = cover
        elif "network access is off" not in cover.error:
            doc.warnings.append(Problem(paper.rel_source, None, f"front-matter image '{paper.image}' {cover.error}; "
                                        "a generated cover is used", severity="warning"))


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+(?:\s[^)\"']*?)?)>?(?:\s+[\"'][^)]*)?\)|<img\b[^>]*?\ssrc\s*=\s*[\"']([^\"']+)",
                       re.I)


def local_dependencies(paper: Paper, root: Path, baseurl: str = "") -> list[Path]:
    """Local image files the post's Markdown refers to (found before pandoc runs), for build caches:
    an edition must be rebuilt when one of them changes."""
    found: list[Path] = []
    if not paper.image and not _MD_IMAGE.search(paper.body):
        return found  # most posts of an archive: no image, and no path to resolve (a no-op build asks for each)
    root = root.resolve()
    for m in _MD_IMAGE.finditer(paper.body):
        ref = (m.group(1) or m.group(2) or "").strip()
        if not ref or re.match(r"^([a-z][a-z0-9+.-]*:|//)", ref, re.I):
            continue
        for path in _candidates(ref, paper, root, baseurl.rstrip("/")):
            if inside(path, [root]) and path.is_file():
                if path.resolve() not in found:
                    found.append(path.resolve())
                break
    if paper.image and "://" not in paper.image:
        ref = paper.image if paper.image.startswith(("/", "{{")) else "/" + paper.image
        for path in _candidates(ref, paper, root, baseurl.rstrip("/")):
            if inside(path, [root]) and path.is_file() and path.resolve() not in found:
                found.append(path.resolve())
                break
    return found
