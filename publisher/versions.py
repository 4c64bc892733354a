"""`publisher --version`: publisher's version and those of the tools that shape the editions."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from . import __version__

# distribution name → how it is shown
LIBRARIES = {"weasyprint": "WeasyPrint", "ebooklib": "ebooklib", "python-liquid": "python-liquid"}


def versions() -> dict[str, str]:
    """{"publisher": ..., "pandoc": ..., "WeasyPrint": ..., "ebooklib": ..., ...} ("missing" when absent)."""
    from .pandoc import pandoc_version

    found = {"publisher": __version__}
    try:
        found["pandoc"] = pandoc_version()
    except (OSError, RuntimeError) as exc:
        found["pandoc"] = f"unavailable ({exc})"
    for dist, shown in LIBRARIES.items():
        try:
            found[shown] = version(dist)
        except PackageNotFoundError:
            found[shown] = "missing"
    return found


def versions_text() -> str:
    """One `name version` line each, publisher first."""
    return "\n".join(f"{name} {value}" for name, value in versions().items())
