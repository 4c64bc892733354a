"""Jekyll's lax Liquid: one faulty tag or output does not cost the post its other Liquid.

Jekyll renders Liquid in lax mode by default (`liquid: error_mode: warn`): markup it cannot parse
(a Hugo shortcode `{{<figure …>}}` left in an HTML comment, an `{% if %}` never closed) is dropped,
and every include and variable around it still works. python-liquid parses strictly, so on an
error liquid.render() asks `remove_markup_at` to blank the markup where the error is, reports it
with its line, and renders again (at most MAX_REPAIRS times per post). `{%- raw -%}` trims nothing (plain_raw_tags).
"""
from __future__ import annotations

import re

MAX_REPAIRS = 25
_RAW_TRIM = re.compile(r"\{%-(\s*(?:end)?raw\s*)-?%\}|\{%(\s*(?:end)?raw\s*)-%\}")


def plain_raw_tags(text: str) -> str:
    """`{%- raw -%}` and `{%- endraw -%}` written as `{% raw %}`, `{% endraw %}`: Jekyll's Liquid does
    not trim the text around a raw block (Minimal Mistakes puts `{%- raw -%}` right after a code
    fence line; trimming glued the fence to the code and the block was lost)."""
    if "raw" not in text:
        return text
    return _RAW_TRIM.sub(lambda m: "{%" + (m.group(1) or m.group(2)) + "%}", text)


def _blank(text: str, start: int, end: int) -> str:
    return text[:start] + "\n" * text.count("\n", start, end) + text[end:]


def remove_markup_at(text: str, at: int, message: str = "") -> tuple[str | None, int]:
    """(TEXT with the `{{ … }}` or `{% … %}` that contains or starts at offset AT blanked, where it
    was). Lines do not move. A block never closed ("expected tag endif") loses its last opening tag.
    (None, -1) when no such markup is found."""
    missing = re.search(r"expected tag end(\w+)", message)
    if missing and (at < 0 or at >= len(text) - 1 or not text.startswith(("{{", "{%"), max(at, 0))):
        openers = list(re.finditer(r"\{%-?\s*" + re.escape(missing.group(1)) + r"\b.*?-?%\}", text, re.S))
        if openers:
            m = openers[-1]
            return _blank(text, m.start(), m.end()), m.start()
    if at < 0 or at > len(text):
        return None, -1
    starts = [i for i in (text.rfind("{{", 0, at + 2), text.rfind("{%", 0, at + 2)) if i >= 0]
    if not starts:
        return None, -1
    start = max(starts)
    end = text.find("}}" if text.startswith("{{", start) else "%}", start + 2)
    end = len(text) if end < 0 else end + 2
    if at > end:
        return None, -1
    return _blank(text, start, end), start
