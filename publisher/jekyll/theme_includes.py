"""Built-in stand-ins for the figure, gallery and video includes of common themes.

Posts written for al-folio or Minimal Mistakes call includes that live in the theme gem, not in the
site: `{% include figure.liquid path=… caption=… %}`, `{% include figure image_path=… %}`,
`{% include gallery id=… caption=… %}`, `{% include video id=… provider=… %}`. When the site has no
such file in `_includes/`, liquid._render_file asks `builtin(name)` for one of these functions, which
write clean markup: a `<figure>` with its image(s), alt text and caption, or, for a video, a captioned
link to it (the same figure of class "embed" that iframes become in print). A site's own include file
always wins over these.
"""
from __future__ import annotations

import html
import re
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


def _text(value: Any) -> str:
    return "" if value is None or type(value).__name__.endswith("Undefined") else str(value).strip()


def _url(path: str, baseurl: str) -> str:
    """Jekyll's relative_url: a site path gets the baseurl; a full URL stays as it is."""
    if not path or re.match(r"^[a-z][a-z0-9+.-]*:|^//", path, re.I):
        return path
    if baseurl and (path == baseurl or path.startswith(baseurl.rstrip("/") + "/")):
        return path
    return baseurl.rstrip("/") + "/" + path.lstrip("/")


def _plain(markup: str) -> str:
    """A caption's text for an alt attribute: tags and Markdown emphasis removed."""
    text = re.sub(r"<[^>]+>", "", markup)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    return re.sub(r"\s+", " ", re.sub(r"[*_`]+", "", text)).strip()


def _inline_markdown(text: str) -> str:
    """The little Markdown themes allow in a caption (`markdownify`): emphasis, code, links."""
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", text)
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", lambda m: f'<a href="{html.escape(m.group(2), quote=True)}">'
                  f"{m.group(1)}</a>", text)


def _img(src: str, alt: str, css: str = "") -> str:
    cls = f' class="{html.escape(css, quote=True)}"' if css else ""
    return f'<img src="{html.escape(src, quote=True)}" alt="{html.escape(alt, quote=True)}"{cls}>'


def _figure(images: list[str], caption: str, css: str = "") -> str:
    cls = f' class="{html.escape(css, quote=True)}"' if css else ""
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f"<figure{cls}>" + "".join(images) + cap + "</figure>"


def figure(params: dict, page: dict, baseurl: str) -> str:
    """al-folio's figure.liquid/figure.html (`path`, `class`, `alt`, `caption`) and Minimal Mistakes'
    figure (`image_path`, `alt`, `caption`, `class`)."""
    path = _text(params.get("path") or params.get("image_path") or params.get("url"))
    if not path:
        return ""
    caption = _inline_markdown(_text(params.get("caption")))
    alt = _text(params.get("alt")) or _text(params.get("title")) or _plain(caption)
    return _figure([_img(_url(path, baseurl), alt, _text(params.get("class")))], caption)


def gallery(params: dict, page: dict, baseurl: str) -> str:
    """Minimal Mistakes' gallery: the images listed under the front-matter key `id` (default `gallery`)."""
    items = page.get(_text(params.get("id")) or "gallery") or []
    images = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        src = _text(item.get("image_path") or item.get("url"))
        if src:
            images.append(_img(_url(src, baseurl), _text(item.get("alt")) or _text(item.get("title"))))
    if not images:
        return ""
    layout = _text(params.get("layout")) or _text(params.get("class"))
    return _figure(images, _inline_markdown(_text(params.get("caption"))), "gallery" + (f" {layout}" if layout else ""))


_PROVIDERS = {
    "youtube": ("https://www.youtube.com/watch?v={id}", "Video on YouTube"),
    "vimeo": ("https://vimeo.com/{id}", "Video on Vimeo"),
    "google-drive": ("https://drive.google.com/file/d/{id}/view", "Video on Google Drive"),
    "bilibili": ("https://www.bilibili.com/video/{id}", "Video on bilibili"),
}


def _embed_figure(href: str, label: str, kind: str) -> str:
    link = f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>'
    return (f'<figure class="embed"><p class="embed-link">{link}</p>'
            f"<figcaption>{html.escape(kind)}: open the link to watch it online.</figcaption></figure>")


def video(params: dict, page: dict, baseurl: str) -> str:
    """Minimal Mistakes' video (`id`, `provider`) and al-folio's video.liquid (`path`, a file or an embed
    URL): a captioned link to the video."""
    vid, provider = _text(params.get("id")), _text(params.get("provider")).lower()
    if vid and provider in _PROVIDERS:
        pattern, kind = _PROVIDERS[provider]
        href = pattern.format(id=vid)
        return _embed_figure(href, href, kind)
    path = _text(params.get("path") or params.get("src"))
    if not path:
        return ""
    href, kind = _url(path, baseurl), "Video"
    parts = urlsplit(href if not href.startswith("//") else "https:" + href)
    host = (parts.hostname or "").lower()
    m = re.match(r"^/(?:embed|v)/([A-Za-z0-9_-]{6,})", parts.path)
    if host.endswith(("youtube.com", "youtube-nocookie.com")) and m:
        href, kind = f"https://www.youtube.com/watch?v={m.group(1)}", "Video on YouTube"
    elif host.endswith("youtube.com") and parts.path == "/watch":
        href, kind = f"https://www.youtube.com/watch?v={parse_qs(parts.query).get('v', [''])[0]}", "Video on YouTube"
    elif host == "player.vimeo.com" and re.match(r"^/video/\d+", parts.path):
        href, kind = "https://vimeo.com/" + parts.path.split("/")[2], "Video on Vimeo"
    caption = _inline_markdown(_text(params.get("caption")))
    label = _plain(caption) or (href if kind != "Video" else href.rsplit("/", 1)[-1] or href)
    return _embed_figure(href, label, kind)


_BUILTIN: dict[str, Callable[[dict, dict, str], str]] = {
    "figure": figure, "figure.html": figure, "figure.liquid": figure,
    "image.liquid": figure, "image.html": figure,
    "gallery": gallery, "gallery.html": gallery, "gallery.liquid": gallery,
    "video": video, "video.html": video, "video.liquid": video,
}


def builtin(name: str) -> Callable[[dict, dict, str], str] | None:
    """The stand-in for include NAME (a theme's file name), or None."""
    return _BUILTIN.get(name.strip().lower())


def names() -> list[str]:
    """The include names that have a stand-in (for the documentation and messages)."""
    return sorted(_BUILTIN)
