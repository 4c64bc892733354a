"""A `---` line in a post's body is a rule (or a setext underline) in Jekyll, never metadata.

pandoc's Markdown reader takes a `---` line after a blank line (and not followed by one) for the
start of a YAML metadata block: the text up to the next `---` then becomes metadata (it can even
replace the post's title), or the post fails with "Error parsing YAML metadata". kramdown, Jekyll's
converter, reads the same `---` as a horizontal rule (a `---` under a line of text stays a setext
heading underline, which pandoc reads the same way). Such lines are written as `* * *`, the same
rule in a form pandoc cannot mistake; fenced code blocks are left alone and the line count is kept.
"""
from __future__ import annotations

import re

_DASHES = re.compile(r"^ {0,3}---[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def protect_rules(body: str) -> str:
    """BODY with every `---` line that pandoc would open a YAML metadata block with made `* * *`."""
    if "---" not in body:
        return body
    lines = body.split("\n")
    fence = ""
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence) and not line.strip()[len(m.group(1)):].strip():
                fence = ""
            continue
        if m:
            fence = m.group(1)
            continue
        if _DASHES.match(line) and (i == 0 or not lines[i - 1].strip()):
            lines[i] = "* * *"
    return "\n".join(lines)
