"""`--json`: machine-readable build events, one JSON object per line, for CI logs.

Every line has an "event" field:
  start    {"total": papers selected, "cached": papers served from the cache}
  paper    {"slug", "source", "status": "built" | "cached" | "failed", "seconds", "peak_rss_mb",
            "editions": [{"format", "path", "size", "sha256", "cached"}], "problems": [...]}
  problem  {"file", "line", "severity", "message", "hint"} (site-level problems)
  removed  {"slug"} (a paper no longer built; its folder was removed)
  done     {"built", "cached", "failed", "editions", "seconds", "out", "exit_code"}
Paths of editions are relative to OUT.
"""
from __future__ import annotations

import json
import sys
from typing import IO

from .model import PaperResult, Problem


def problem(p: Problem) -> dict:
    """A Problem as a JSON-ready mapping."""
    return {"file": p.file, "line": p.line, "col": p.col, "severity": p.severity, "message": p.message,
            "hint": p.hint}


def paper(r: PaperResult, out=None) -> dict:
    """A paper's result as a JSON-ready mapping."""
    status = "failed" if r.failed else "cached" if r.cached else "built"

    def rel(path):
        try:
            return path.relative_to(out).as_posix() if out else str(path)
        except ValueError:
            return str(path)

    return {"slug": r.slug, "source": r.rel_source, "status": status, "seconds": round(r.seconds, 3),
            "peak_rss_mb": round(r.peak_rss / 2**20, 1),
            "editions": [{"format": e.format, "path": rel(e.path), "size": e.size, "sha256": e.sha256,
                          "cached": e.cached, **({"pages": e.pages} if e.pages else {})} for e in r.editions],
            "problems": [problem(p) for p in r.problems]}


class JsonEvents:
    """A build progress callback that writes one JSON object per line to STREAM (stdout)."""

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream or sys.stdout
        self.out = None

    def emit(self, event: str, **fields) -> None:
        self.stream.write(json.dumps({"event": event, **fields}, ensure_ascii=False, sort_keys=True) + "\n")
        self.stream.flush()

    def __call__(self, event: str, data: dict) -> None:
        if event == "start":
            self.emit("start", total=data["total"], cached=data.get("cached", 0))
        elif event in ("paper", "failed"):
            self.emit("paper", **paper(data["result"], self.out))
        elif event == "done":
            report = data["report"]
            for p in report.problems:
                self.emit("problem", **problem(p))
            for slug in report.removed:
                self.emit("removed", slug=slug)
            ok = [r for r in report.papers if not r.failed]
            self.emit("done", built=sum(1 for r in ok if not r.cached), cached=sum(1 for r in ok if r.cached),
                      failed=len(report.failed), editions=sum(len(r.editions) for r in ok),
                      seconds=round(report.seconds, 3), out=str(report.out),
                      exit_code=report.exit_code)
