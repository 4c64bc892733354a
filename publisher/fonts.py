"""The bundled text faces (fontpkg wheels) and WOFF2 subsets of them, for every edition that embeds one."""
from __future__ import annotations

import io
from pathlib import Path

SERIF, MONO = "Source Serif 4", "Source Code Pro"


def font_files() -> dict[str, Path]:
    """The bundled variable fonts, roman and italic: 'Source Serif 4', 'Source Serif 4-Italic',
    'Source Code Pro' and 'Source Code Pro-Italic'."""
    import fontpkg

    files = {}
    for family, stem in ((SERIF, "SourceSerif4"), (MONO, "SourceCodePro")):
        roman = Path(fontpkg.path(family))
        files[family] = roman
        files[family + "-Italic"] = roman.with_name(roman.name.replace(stem, stem + "-Italic"))
    return files


def woff2_subset(path: Path, text: str, layout_features: list[str]) -> bytes:
    """The font at PATH as WOFF2, cut down to the glyphs TEXT needs (with LAYOUT_FEATURES kept)."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = layout_features
    options.name_IDs = ["*"]
    font = subset.load_font(str(path), options)
    sub = subset.Subsetter(options)
    sub.populate(text=text)
    sub.subset(font)
    out = io.BytesIO()
    subset.save_font(font, out, options)
    return out.getvalue()
