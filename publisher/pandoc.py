"""The pandoc binary publisher runs (shipped by pypandoc-binary) and its version: read by the
renderer, the cache keys, the manifest and `publisher --version` alike. Every pandoc run goes
through run(), which counts them per purpose in RUNS (this process only): the tests read it to
prove what a build does not run again."""
from __future__ import annotations

import functools
import importlib.util
import os
import re
import subprocess

RUNS: dict[str, int] = {}  # purpose ("render", "raw-math", "bibliography", …) → pandoc runs in this process


@functools.lru_cache(maxsize=1)
def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (or pypandoc's choice). The shipped binary is
    found without importing pypandoc, which runs `pandoc --version` to find it (once per process)."""
    spec = importlib.util.find_spec("pypandoc")
    if spec and spec.origin and not os.environ.get("PYPANDOC_PANDOC"):  # (pypandoc honours that variable first)
        shipped = os.path.join(os.path.dirname(spec.origin), "files", "pandoc.exe" if os.name == "nt" else "pandoc")
        if os.access(shipped, os.X_OK):
            return shipped
    import pypandoc

    return pypandoc.get_pandoc_path()


@functools.lru_cache(maxsize=1)
def pandoc_version() -> str:
    """The pandoc version string (`3.9`): the first dotted number of `pandoc --version`, as pypandoc
    reads it, from one run of the binary (pypandoc first probes every place pandoc might be)."""
    try:
        out = subprocess.run([pandoc_path(), "--version"], capture_output=True, text=True, timeout=60,
                             stdin=subprocess.DEVNULL)
        first = out.stdout.splitlines()[0] if out.returncode == 0 and out.stdout else ""
    except OSError:
        first = ""
    for token in first.split():
        if re.fullmatch(r"\d+(\.\d+)+", token):
            return token
    import pypandoc

    return pypandoc.get_pandoc_version()


def run(args: list[str], purpose: str, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(ARGS, **KWARGS) for a pandoc command line (ARGS[0] is the binary), counted
    under PURPOSE in RUNS."""
    RUNS[purpose] = RUNS.get(purpose, 0) + 1
    return subprocess.run(args, **kwargs)


def runs() -> int:
    """Every pandoc run this process made so far."""
    return sum(RUNS.values())
