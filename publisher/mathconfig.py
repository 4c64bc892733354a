"""What a site's MathJax or KaTeX set-up tells about its math: the inline `$…$` delimiter and macros.

Read (trusted site files, never executed): `_config.yml` (any `macros:` mapping and `inlineMath:`
list), and the scripts in `_includes/`, `_layouts/` and `assets/js/` (`.html`, `.liquid`, `.js`):

- MathJax 2 and 3: `inlineMath: [['$','$'], ['\\\\(','\\\\)']]` (`tex2jax`, `tex`), `Macros: {…}` (MathJax 2
  `TeX.Macros`) and `macros: {…}` (MathJax 3 `tex.macros`), where a macro is `"body"` or `["body", n]`;
- KaTeX auto-render: `delimiters: [{left: "$", right: "$", display: false}, …]` and `macros: {"\\\\RR": "…"}`.

`enable_math: true` in `_config.yml` is al-folio's switch for its MathJax set-up, which reads `$…$`
as inline math (the theme's scripts are often not in the site's folder).

`dollars` is True when one of them makes `$…$` inline math, False when the site configures inline
delimiters without `$`, and None when nothing says (pandoc's own `$…$` rule then applies).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .texmacros import Macro

FOLDERS = ("_includes", "_layouts", "assets/js")
SUFFIXES = (".html", ".liquid", ".js", ".htm")
MAX_FILES = 400
MAX_BYTES = 512 * 1024

_INLINE = re.compile(r"""["']?inlineMath["']?\s*:\s*\[""")
_DOLLAR_PAIR = re.compile(r"""\[\s*(["'])\$\1\s*,\s*(["'])\$\2\s*\]""")
_DELIMITERS = re.compile(r"""["']?delimiters["']?\s*:\s*\[""")
_KATEX_DOLLAR = re.compile(r"""left\s*["']?\s*:\s*(["'])\$\1\s*,\s*["']?right["']?\s*:\s*(["'])\$\2\s*,"""
                           r"""\s*["']?display["']?\s*:\s*false""")
_MACROS = re.compile(r"""["']?[Mm]acros["']?\s*:\s*\{""")
_STRING = r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'"""
_ENTRY = re.compile(r"""\s*(""" + _STRING + r"""|[\w$]+)\s*:\s*(""" + _STRING + r"""|\[\s*(?:""" + _STRING
                    + r""")\s*,\s*\d+\s*(?:,\s*(?:""" + _STRING + r"""))?\s*\])\s*,?""", re.S)


@dataclass
class MathConfig:
    """The site's math set-up: inline dollars (True, False or None: not said), macros, files read."""

    dollars: bool | None = None
    macros: dict[str, Macro] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # site-relative files that said something


def _js_string(text: str) -> str:
    if text[0] == "'":
        text = '"' + text[1:-1].replace('\\"', '"').replace('"', '\\"') + '"'
        text = text.replace("\\'", "'")
    try:
        return json.loads(text)
    except ValueError:
        return text[1:-1]


def _bracketed(text: str, start: int, open_: str, close: str) -> str:
    """The text from START (just after an opening bracket) to its closing bracket."""
    depth = 1
    i = start
    quote = ""
    while i < len(text) and i - start < 20000:
        c = text[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if c == quote:
                quote = ""
        elif c in "\"'":
            quote = c
        elif c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return text[start:i]
        i += 1
    return text[start:i]


def parse_macros(text: str) -> dict[str, Macro]:
    """Macros from a JavaScript object literal's inside: `RR: "\\\\mathbb{R}"`, `"\\\\norm": ["\\\\|#1\\\\|", 1]`."""
    found: dict[str, Macro] = {}
    for m in _ENTRY.finditer(text):
        key, value = m.group(1), m.group(2)
        name = _js_string(key) if key[0] in "\"'" else key
        name = name.lstrip("\\")
        if not re.fullmatch(r"[A-Za-z]+", name):
            continue
        if value.startswith("["):
            parts = re.findall(_STRING + r"|\d+", value[1:-1])
            body, nargs = _js_string(parts[0]), int(parts[1]) if len(parts) > 1 else 0
            default = _js_string(parts[2]) if len(parts) > 2 else None
            found[name] = Macro(name, nargs, body, default)
        else:
            found[name] = Macro(name, max((int(n) for n in re.findall(r"#(\d)", _js_string(value))), default=0),
                                _js_string(value))
    return found


def read_text(text: str) -> tuple[bool | None, dict[str, Macro]]:
    """(dollars, macros) said by one file's text."""
    dollars: bool | None = None
    for m in _INLINE.finditer(text):
        inner = _bracketed(text, m.end(), "[", "]")
        dollars = bool(_DOLLAR_PAIR.search(inner)) or bool(dollars)
    for m in _DELIMITERS.finditer(text):
        inner = _bracketed(text, m.end(), "[", "]")
        if "left" in inner:
            dollars = bool(_KATEX_DOLLAR.search(inner)) or bool(dollars)
    macros: dict[str, Macro] = {}
    for m in _MACROS.finditer(text):
        macros.update(parse_macros(_bracketed(text, m.end(), "{", "}")))
    return dollars, macros


def _from_config(raw, config: MathConfig) -> None:
    """`macros:` mappings and `inlineMath:` lists anywhere in _config.yml."""
    if isinstance(raw, dict):
        for key, value in raw.items():
            if key in ("macros", "Macros") and isinstance(value, dict):
                for name, body in value.items():
                    name = str(name).lstrip("\\")
                    if isinstance(body, str):
                        config.macros[name] = Macro(name, max((int(n) for n in re.findall(r"#(\d)", body)),
                                                              default=0), body)
                    elif isinstance(body, list) and body and isinstance(body[0], str):
                        nargs = body[1] if len(body) > 1 and isinstance(body[1], int) else 0
                        config.macros[name] = Macro(name, nargs, body[0], body[2] if len(body) > 2 else None)
            elif key == "inlineMath" and isinstance(value, list):
                config.dollars = any(isinstance(p, list) and p[:2] == ["$", "$"] for p in value)
            else:
                _from_config(value, config)
    elif isinstance(raw, list):
        for item in raw:
            _from_config(item, config)


def load(root: Path, raw_config: dict | None = None) -> MathConfig:
    """The math set-up of the site at ROOT (its config mapping RAW_CONFIG, and its includes, layouts, scripts)."""
    config = MathConfig()
    if raw_config:
        before = (config.dollars, len(config.macros))
        _from_config(raw_config, config)
        if config.dollars is None and raw_config.get("enable_math") is True:
            config.dollars = True  # al-folio (and the ICLR blogs built on it): MathJax with $…$ inline
        if (config.dollars, len(config.macros)) != before:
            config.files.append("_config.yml")
    files: list[Path] = []
    for folder in FOLDERS:
        base = root / folder
        if base.is_dir() and not base.is_symlink():
            files += sorted(p for p in base.rglob("*") if p.suffix in SUFFIXES and p.is_file() and not p.is_symlink())
    for path in files[:MAX_FILES]:
        try:
            if path.stat().st_size > MAX_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if "math" not in text.lower() and "katex" not in text.lower():
            continue
        dollars, macros = read_text(text)
        if dollars is not None or macros:
            config.files.append(path.relative_to(root).as_posix())
        if dollars is not None:
            config.dollars = dollars or bool(config.dollars)
        config.macros.update(macros)
    return config


_CACHE: dict[int, tuple[object, MathConfig]] = {}


def for_site(site) -> MathConfig:
    """The MathConfig of SITE (a SiteConfig), read once per SiteConfig."""
    hit = _CACHE.get(id(site))
    if hit and hit[0] is site:
        return hit[1]
    config = load(site.root, site.raw)
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[id(site)] = (site, config)
    return config
