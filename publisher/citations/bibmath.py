"""TeX math in a bibliography entry ("Fast {$\\epsilon$}-free inference"), as text.

pandoc writes the math of a .bib entry into CSL-JSON as `$\\epsilon$`, and citeproc reads that back as
plain text: the reference list showed the TeX source (and a title-casing style made it `$\\Epsilon$`).
Each formula is turned into its text with one pandoc call for the whole file (the plain writer sets
simple TeX in Unicode: `ϵ`, `O(n²)`), kept from case changes (`<span class="nocase">`). A formula
pandoc can set only as TeX is left as it was.
"""
from __future__ import annotations

import html
import re
import subprocess

from ..pandoc import run as pandoc_run

_MATH = re.compile(r"(?<!\\)\$([^$]+?)(?<!\\)\$")
_SEPARATOR = "@@publisher-math@@"


def _texts(formulas: list[str], pandoc: str, timeout: float) -> dict[str, str]:
    """Each formula of FORMULAS → its plain text, for those pandoc sets without TeX."""
    source = f"\n\n{_SEPARATOR}\n\n".join(f"${tex}$" for tex in formulas)
    try:
        proc = pandoc_run([pandoc, "--from=markdown", "--to=plain", "--wrap=none", "--sandbox"], "bib-math",
                          input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {}
    chunks = [c.strip() for c in proc.stdout.decode("utf-8").split(_SEPARATOR)]
    if proc.returncode != 0 or len(chunks) != len(formulas):
        return {}
    return {tex: text for tex, text in zip(formulas, chunks) if text and not re.search(r"[$\\]", text)}


def math_as_text(items: list[dict], pandoc: str, timeout: float = 60) -> None:
    """Replace, in the string fields of the CSL-JSON ITEMS, every `$…$` pandoc can set as text."""
    fields = [(item, key) for item in items for key, value in item.items()
              if isinstance(value, str) and not key.startswith("_") and key != "id" and "$" in value]
    formulas = sorted({m.group(1) for item, key in fields for m in _MATH.finditer(item[key])})
    if not formulas:
        return
    texts = _texts(formulas, pandoc, timeout)
    for item, key in fields:
        item[key] = _MATH.sub(lambda m: f'<span class="nocase">{html.escape(texts[m.group(1)], quote=False)}</span>'
                              if m.group(1) in texts else m.group(0), item[key])
