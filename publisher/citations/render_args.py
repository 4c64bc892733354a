"""What the one pandoc pass needs for a paper's citations: the reader extension, the bibliography
(the paper's listed entries as a temporary CSL-JSON file), the style and the citations filter."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from ..model import Paper


def bibliography_file(paper: Paper) -> Path:
    """PAPER's reference entries written to a temporary CSL-JSON file (the caller removes it)."""
    items = [{k: v for k, v in item.items() if not k.startswith("_")} for item in paper.references]
    fd, name = tempfile.mkstemp(prefix="publisher-refs-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(items, f, ensure_ascii=False, sort_keys=True)
    return Path(name)


def with_citations(args: list[str], paper: Paper, bibliography: Path, citations_filter: Path) -> list[str]:
    """ARGS (a pandoc command line) with citations read, the bibliography and style given, and
    citations.lua placed after bio.lua (a closing biography stays the last block) and before
    italic-quotes.lua and headings.lua (which then also shift the list's heading)."""
    out = [a.replace("markdown-citations", "markdown+citations", 1) if a.startswith("--from=") else a for a in args]
    first = next((i for i, a in enumerate(out) if a.endswith("italic-quotes.lua")), len(out))
    extra = [f"--bibliography={bibliography}"]
    if paper.citations.get("csl"):
        extra.append(f"--csl={paper.citations['csl']}")
    extra.append(f"--lua-filter={citations_filter}")
    return out[:first] + extra + out[first:]
