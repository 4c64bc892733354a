"""A paper's identifier (front matter `doi:` or `identifier:`) read one way for every edition."""
from __future__ import annotations

import re
import uuid

DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
ISBN_PREFIX = re.compile(r"^(?:urn:)?isbn:", re.I)


def doi(identifier: str) -> str:
    """The bare DOI ('10.x/y') when IDENTIFIER is one ('10.…', 'doi:10.…', 'https://doi.org/10.…'), else ''."""
    m = DOI.match((identifier or "").strip())
    return m.group(1) if m else ""


def isbn(identifier: str) -> str:
    """The ISBN's digits (10 or 13, 'X' upper-cased) when IDENTIFIER is one, else ''."""
    text = ISBN_PREFIX.sub("", (identifier or "").strip())
    digits = re.sub(r"[^0-9Xx]", "", text)
    if re.fullmatch(r"[0-9Xx -]{10,17}", text) and len(digits) in (10, 13):
        return digits.upper()
    return ""


def stable_id(identifier: str, url: str, site_url: str = "") -> str:
    """The id an EPUB and its feed entries carry: 'doi:…', 'urn:isbn:…', the identifier as written,
    or a UUID derived from the paper's URL when it has none."""
    ident = (identifier or "").strip()
    if ident:
        if d := doi(ident):
            return f"doi:{d}"
        if i := isbn(ident):
            return f"urn:isbn:{i}"
        return ident
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, (site_url or "publisher:") + url))
