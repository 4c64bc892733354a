"""The pandoc binary publisher runs (shipped by pypandoc-binary) and its version: read by the
renderer, the cache keys, the manifest and `publisher --version` alike. Every pandoc run goes
through run(), which counts them per purpose in RUNS (this process only): the tests read it to
prove what a build does not run again."""
from __future__ import annotations

import subprocess

RUNS: dict[str, int] = {}  # purpose ("render", "raw-math", "bibliography", …) → pandoc runs in this process


def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (or pypandoc's choice)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc_version() -> str:
    """The pandoc version string."""
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
