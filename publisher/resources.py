"""Where the project's filters, styles and templates live, and a site's overrides of them.

They ship inside the package as `publisher.styles` (with `templates/`) and `publisher.filters`
(pyproject maps them onto the top-level folders `styles/` and `filters/`) and are found with
importlib.resources, so an installed wheel works like a checkout.

A site overrides any of them by name: `SITE/_publisher/styles/print.css`,
`SITE/_publisher/filters/headings.lua`, `SITE/_publisher/templates/paper.html.j2` replace the
packaged file of that name (`publisher: styles:` in `_config.yml` names another folder of the site
for the stylesheets). `build()` calls `use_site()` once, before it forks its workers, so every
process of the build sees the same overrides; `override_files()` feeds them to the cache key.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from importlib import resources as _res
from pathlib import Path

OVERRIDES_DIR = "_publisher"


def _real_dir(package: str) -> Path:
    """A real folder holding PACKAGE's files (extracted to a temporary folder when zipped)."""
    root = _res.files(package)
    if isinstance(root, Path) and root.is_dir():
        return root
    tmp = Path(tempfile.mkdtemp(prefix="publisher-res-"))
    atexit.register(shutil.rmtree, tmp, True)

    def copy(node, dest: Path) -> None:
        for child in node.iterdir():
            if child.is_dir():
                (dest / child.name).mkdir()
                copy(child, dest / child.name)
            else:
                (dest / child.name).write_bytes(child.read_bytes())

    copy(root, tmp)
    return tmp


FILTERS_DIR = _real_dir("publisher.filters")
STYLES_DIR = _real_dir("publisher.styles")
TEMPLATES_DIR = STYLES_DIR / "templates"
TOOLS_DIR = _real_dir("publisher") / "tools"  # EpubCheckBatch.java and its compiled class

# The override folders of the site being built: {"styles": Path, "filters": Path, "templates": Path}
_overrides: dict[str, Path] = {}
_site_root: list[Path] = []  # the site root, resolved: an override never reads outside it


def override_dirs(root: Path, styles: str = "") -> dict[str, Path]:
    """The override folders of the site at ROOT (STYLES: the `publisher: styles:` folder, if any)."""
    base = root / OVERRIDES_DIR
    return {"styles": root / styles if styles else base / "styles", "filters": base / "filters",
            "templates": base / "templates"}


def use_site(root: Path | None, styles: str = "") -> None:
    """Make the overrides of the site at ROOT the active ones (None: the packaged files only)."""
    _overrides.clear()
    _site_root.clear()
    if root is not None:
        _overrides.update(override_dirs(Path(root), styles))
        _site_root.append(Path(root).resolve())


def _find(kind: str, name: str, packaged: Path) -> Path:
    folder = _overrides.get(kind)
    if folder is not None:
        candidate = folder / name
        if candidate.is_file() and candidate.resolve().is_relative_to(_site_root[0]):
            return candidate
    return packaged / name


def style_path(name: str) -> Path:
    """The stylesheet NAME: the site's override, else the packaged one."""
    return _find("styles", name, STYLES_DIR)


def filter_path(name: str) -> Path:
    """The house filter NAME (a real file, for pandoc): the site's override, else the packaged one."""
    return _find("filters", name, FILTERS_DIR)


def template_path(name: str) -> Path:
    """The template NAME (a real file, for pandoc): the site's override, else the packaged one."""
    return _find("templates", name, TEMPLATES_DIR)


def template_dirs() -> list[Path]:
    """Folders to look templates up in, the site's override folder first."""
    folder = _overrides.get("templates")
    return ([folder] if folder is not None and folder.is_dir() else []) + [TEMPLATES_DIR]


def read_style(name: str) -> str:
    """The text of a stylesheet (the site's override of it, else the packaged one)."""
    return style_path(name).read_text(encoding="utf-8")


def override_folders() -> dict[str, Path]:
    """The active override folders, by kind (for the cache key)."""
    return dict(_overrides)
