"""Jekyll's slugs, titles and permalinks."""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

# Jekyll::Utils::SLUGIFY_*_REGEXP
_SLUG_DEFAULT = re.compile(r"[^\w]+", re.U)
_SLUG_PRETTY = re.compile(r"[^\w._~!$&'()+,;=@]+", re.U)
_PLACEHOLDER = re.compile(r":([a-z_]+)")
_SLASHES = re.compile(r"/{2,}")
_SLUG_MODES = {"default": _SLUG_DEFAULT, "latin": _SLUG_DEFAULT, "pretty": _SLUG_PRETTY,
               "ascii": re.compile(r"[^A-Za-z0-9]+"), "raw": re.compile(r"\s+")}

PERMALINK_STYLES = {
    "date": "/:categories/:year/:month/:day/:title:output_ext",
    "pretty": "/:categories/:year/:month/:day/:title/",
    "ordinal": "/:categories/:year/:y_day/:title:output_ext",
    "weekdate": "/:categories/:year/W:week/:short_day/:title:output_ext",
    "none": "/:categories/:title:output_ext",
}


def slugify(text: str, mode: str = "default", cased: bool = False) -> str:
    """Jekyll::Utils.slugify: modes 'default' and 'pretty' (Unicode letters kept), 'ascii', 'latin'
    (accents dropped first, like I18n.transliterate) and 'raw'; any other mode only lower-cases."""
    text = unicodedata.normalize("NFC", str(text))
    if mode not in _SLUG_MODES:
        return text if cased else text.lower()
    if mode == "latin":
        text = "".join(_latin_to_ascii(c) for c in text)
    slug = _SLUG_MODES[mode].sub("-", text.replace("_", "-") if mode in ("default", "latin") else text)
    slug = re.sub(r"^-+|-+$", "", slug)
    return slug if cased else slug.lower()


def _latin_to_ascii(char: str) -> str:
    """I18n.transliterate for one character: a Latin letter loses its accents ('é' → 'e', 'Æ' → 'AE'),
    any other non-ASCII character becomes '?'."""
    if char.isascii():
        return char
    if "LATIN" not in unicodedata.name(char, ""):
        return "?"
    from text_unidecode import unidecode

    return unidecode(char) or "?"


def titleize(slug: str) -> str:
    """Jekyll::Utils.titleize_slug: split on '-', capitalize each word (Ruby's capitalize)."""
    return " ".join(w[:1].upper() + w[1:].lower() for w in slug.split("-"))


def permalink_template(style: str) -> str:
    """Expand a named permalink style to its template."""
    return PERMALINK_STYLES.get(style, style)


def build_url(template: str, placeholders: dict[str, str]) -> str:
    """Jekyll::URL#generate_url: fill placeholders, collapse slashes, escape the path."""
    def fill(match):
        key = match.group(1)
        return placeholders.get(key, match.group(0))

    url = _PLACEHOLDER.sub(lambda m: fill(m) if m.group(1) in placeholders else m.group(0), template)
    url = _SLASHES.sub("/", url)
    if not url.startswith("/"):
        url = "/" + url
    url = url.replace("/./", "/").replace("/../", "/")
    return quote(url, safe="/:@!$&'()*+,;=~-._%")
