"""Jekyll's `markdownify` filter: a string of kramdown Markdown → HTML, as Jekyll converts it.

Themes and posts capture Markdown and convert it where raw HTML follows (`{% capture %}![x](…){% endcapture %}`
then `<figure>{{ x | markdownify }}</figure>`): left as Markdown inside an HTML block, it would show as
text. The string is converted by pandoc with the posts' own reader (after the kramdown adaptations of
kramdown.py), math as MathML; each distinct string once per process.
"""
from __future__ import annotations

import functools
import subprocess

TIMEOUT = 30  # seconds for one string


@functools.lru_cache(maxsize=512)
def markdownify(text: str) -> str:
    """The HTML of TEXT (Markdown), ending with a newline as Jekyll's does; TEXT itself when pandoc fails."""
    if not text.strip():
        return ""
    from ..pandoc import pandoc_path
    from ..render import READER
    from .kramdown import to_pandoc

    try:
        proc = subprocess.run([pandoc_path(), f"--from={READER}", "--to=html5", "--mathml", "--wrap=none",
                               "--sandbox"], input=to_pandoc(text).encode("utf-8"), capture_output=True,
                              timeout=TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return text
    return proc.stdout.decode("utf-8") if proc.returncode == 0 else text
