"""Where the project's filters, styles and templates live."""
from __future__ import annotations

from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
FILTERS_DIR = PROJECT_DIR / "filters"
STYLES_DIR = PROJECT_DIR / "styles"
TEMPLATES_DIR = STYLES_DIR / "templates"


def read_style(name: str) -> str:
    """The text of a stylesheet in styles/."""
    return (STYLES_DIR / name).read_text(encoding="utf-8")
