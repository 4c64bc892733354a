"""The whole-site files of OUT: catalog, feeds and manifest (build and merge both end here)."""
from __future__ import annotations

from pathlib import Path

from . import config
from .dist import atomic_json
from .model import PaperResult


def write_site(out: Path, site: config.SiteConfig, built: list[PaperResult], tools: dict) -> None:
    """The whole-site files: catalog, feeds and manifest (build and merge both end here)."""
    from . import catalog, feeds

    catalog.write(out, site, built)
    feeds.write(out, site, built)
    atomic_json(out / "manifest.json", catalog.manifest(site, built, out, tools))
