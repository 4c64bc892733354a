"""Language codes as Jekyll sites write them (`zh_cn`, `pt_BR`, `en-us`, `EN`) → BCP 47 (`zh-CN`,
`pt-BR`, `en-US`, `en`), with the `langcodes` library (IANA registry data). A code that cannot be
made a valid tag is reported by the caller, and the paper's language is then `und` (undetermined).
"""
from __future__ import annotations

import re
from functools import lru_cache

UNDETERMINED = "und"


@lru_cache(maxsize=256)
def normalise(code: str) -> str | None:
    """CODE as a valid BCP 47 tag, or None when it cannot be one ('' gives None)."""
    import langcodes

    text = str(code or "").strip().replace("_", "-")
    if not text or not re.fullmatch(r"[A-Za-z0-9-]{1,64}", text):
        return None
    try:
        tag = langcodes.standardize_tag(text)
    except (ValueError, langcodes.tag_parser.LanguageTagError):
        return None
    return tag if langcodes.tag_is_valid(tag) else None
