"""The pandoc binary publisher runs (shipped by pypandoc-binary) and its version: read by the
renderer, the cache keys, the manifest and `publisher --version` alike."""
from __future__ import annotations


def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (or pypandoc's choice)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc_version() -> str:
    """The pandoc version string."""
    import pypandoc

    return pypandoc.get_pandoc_version()
