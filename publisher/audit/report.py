"""Printing the audit: `file:line: error: …` lines and a summary on stderr, or one JSON object per paper."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from . import audit


def run_audit(out: Path, source: Path | None, as_json: bool, err: Callable[[str], None],
              emit: Callable[[str], None]) -> int:
    """Audit OUT and report; returns the exit status (0 no finding, 1 findings; warnings about the source
    do not count). Raises NotABuild."""
    results = audit(out, source)
    findings = sum(1 for r in results for p in r.findings if p.severity == "error")
    warnings = sum(1 for r in results for p in r.findings if p.severity != "error")
    for r in results:
        if as_json:
            emit(json.dumps({"event": "audit", **r.as_json()}, ensure_ascii=False, sort_keys=True))
        else:
            for p in r.findings:
                err(str(p))
    if not as_json:
        clean = sum(1 for r in results if not any(p.severity == "error" for p in r.findings))
        err(f"audit: {clean} of {len(results)} paper(s) without a finding, {findings} finding(s)"
            + (f", {warnings} warning(s) about the source" if warnings else ""))
    return 1 if findings else 0
