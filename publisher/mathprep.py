"""A post's math, made ready for pandoc (after kramdown → pandoc Markdown, before pandoc).

It finds every formula in the Markdown (`$$…$$`, `$…$`, `\\\\(…\\\\)`, `\\\\[…\\\\]`, also inside raw HTML
such as a hidden `<div style="display: none">`; never in code), then:

1. collects the macro definitions of all of them (and the site's, from publisher.mathconfig), and
   removes the formulas that only define macros;
2. expands the macros and modernises legacy TeX in every formula (publisher.texmacros);
3. in a kramdown table row, reads `\\|` inside a formula as the `|` the author escaped for the table;
   `\\\\{`, `\\\\}` and `\\\\|` (doubled for Markdown) as `\\{`, `\\}` and `\\|`; HTML entities as their characters;
4. reads `$…$` as the site does: when the site's MathJax/KaTeX makes `$` an inline delimiter, every
   `$…$` is inline math (spaces inside allowed, as MathJax allows them); when the site configures
   inline delimiters without `$`, a single `$` is text; otherwise pandoc's own rule applies;
5. wraps a bare `\\begin{equation}…\\end{equation}` (and align, gather, multline, eqnarray, with or
   without `*`), which MathJax typesets on the site, in `$$…$$`.

Line numbers are kept: every rewrite keeps the number of lines.
"""
from __future__ import annotations

import html
import re

from . import texmacros
from .texmacros import Macro

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_NO_BLANK = r"(?:(?!\n[ \t]*\n)[\s\S])"
_DISPLAY = re.compile(r"(?<!\\)\$\$(" + _NO_BLANK + r"+?)(?<!\\)\$\$")
_DISPLAY_ANY = re.compile(r"(?<!\\)\$\$([\s\S]+?)(?<!\\)\$\$")
_BRACKETS = re.compile(r"\\\\\[(" + _NO_BLANK + r"+?)\\\\\]|\\\\\((" + _NO_BLANK + r"+?)\\\\\)")
_SINGLE = re.compile(r"(?<!\\)\\\[(" + _NO_BLANK + r"+?)(?<!\\)\\\]|(?<!\\)\\\((" + _NO_BLANK + r"+?)(?<!\\)\\\)")
_PANDOC_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])((?:\\.|[^$\\\n]|\n(?![ \t]*\n))*?(?:\\.|[^\s$\\]))\$(?!\d)")
_MATHJAX_INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?)(?<!\\)\$(?!\$)")
_ENVS = r"(?:equation|align|gather|multline|eqnarray|flalign|alignat)\*?"
_BARE_ENV = re.compile(r"(?<![$\\])(\\begin\{(" + _ENVS + r")\}[\s\S]*?\\end\{\2\})")
_KRAMDOWN_ESCAPE = re.compile(r"\\([\\.*_+`<>()\[\]{}#!:|\"'$=-])")  # kramdown's escapable characters
_DEFINES = re.compile(r"\\(?:newcommand|renewcommand|providecommand|DeclareMathOperator|def|gdef|edef|let)(?![A-Za-z])")


def _mask_code(text: str) -> str:
    """TEXT with the characters of fenced code blocks and code spans replaced by \\x04 (newlines
    kept), so that positions in it are positions in TEXT."""
    def blank(s: str) -> str:
        return re.sub(r"[^\n]", "\x04", s)

    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m:
            fence = m.group(2)
            j = i + 1
            close = re.compile(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
            while j < len(lines) and not close.match(lines[j]):
                j += 1
            out.extend(blank(line) for line in lines[i:j + 1])
            i = j + 1
            continue
        out.append(lines[i])
        i += 1
    return _CODE_SPAN.sub(lambda m: blank(m.group(0)), "\n".join(out))


def _formulas(text: str, dollars: bool | None) -> list[tuple[int, int, int, int, str]]:
    """Formulas in TEXT (code masked): (start, end, inner start, inner end, kind), in order."""
    found: list[tuple[int, int, int, int, str]] = []
    taken: list[tuple[int, int]] = []

    def scan(pattern: re.Pattern, kind, keep=lambda m: True) -> None:
        """Matches of PATTERN left to right; one that starts inside a formula found before resumes after it."""
        pos = 0
        while True:
            m = pattern.search(text, pos)
            if not m:
                return
            inside = next((e for s, e in taken if s <= m.start() < e), None)
            if inside is not None:
                pos = inside
                continue
            if any(m.start() < s < m.end() for s, _e in taken) or not keep(m):
                pos = m.start() + 1
                continue
            g = next(i for i in range(1, (m.lastindex or 1) + 1) if m.group(i) is not None)
            found.append((m.start(), m.end(), m.start(g), m.end(g), kind(m) if callable(kind) else kind))
            taken.append((m.start(), m.end()))
            pos = m.end()

    # MathJax pairs $$ across blank lines: a (hidden) block of definitions may have some
    scan(_DISPLAY_ANY, "display", lambda m: bool(_DEFINES.search(m.group(1))))
    scan(_DISPLAY, "display")
    scan(_BRACKETS, lambda m: "display" if m.group(1) is not None else "inline")
    scan(_BARE_ENV, "bare")  # before the inline forms: a $x$ inside its \text{…} belongs to it
    scan(_SINGLE, "single")  # \( \) in raw HTML, where MathJax reads them (publisher.rawmath converts them)
    if dollars is not False:
        scan(_MATHJAX_INLINE if dollars else _PANDOC_INLINE, "dollar")
    return sorted(found)


def _in_table_row(text: str, pos: int) -> bool:
    line_start = text.rfind("\n", 0, pos) + 1
    return text[line_start:pos].lstrip().startswith("|")


def prepare(body: str, site_macros: dict[str, Macro] | None = None, dollars: bool | None = None) -> str:
    """BODY (pandoc Markdown) with its math made ready for pandoc (see the module's docstring)."""
    if not any(c in body for c in ("$", "\\")):
        return body
    text = _mask_code(body)
    formulas = [f for f in _formulas(text, dollars) if "\x04" not in text[f[0]:f[1]]]
    if not formulas and dollars is not False:
        return body
    found: list[Macro] = []
    for _s, _e, a, b, _k in formulas:
        inner = text[a:b]
        if _DEFINES.search(inner):
            found += texmacros.definitions(inner)[0]
    macros = texmacros.as_dict(found, site_macros)
    out: list[str] = []
    pos = 0
    for start, end, a, b, kind in formulas:
        out.append(_text(body[pos:start], text[pos:start], dollars))
        inner = text[a:b]
        if _DEFINES.search(inner):
            inner = texmacros.definitions(inner)[1]
            if not re.sub(r"\\(require|definecolor)\b(\{[^}]*\})*|\s", "", inner):
                out.append("\n" * text[start:end].count("\n"))  # only definitions: nothing to show
                pos = end
                continue
        lines = inner.count("\n")
        in_table = _in_table_row(text, start)
        if kind == "dollar" and dollars:  # text for kramdown: its backslash escapes are read before MathJax's
            inner = _KRAMDOWN_ESCAPE.sub(r"\1", inner)  # $\\\{x\\\}$ → \{x\}, $a\_1$ → a_1
        elif kind != "single":
            inner = re.sub(r"\\\\([{}|])", r"\\\1", inner)  # \\{, \\| written for Markdown's escaping
            inner = re.sub(r"(?<!\\)\\\*", "*", inner)  # \* escaped for kramdown's emphasis: a star
        if in_table:
            inner = inner.replace("\\|", "|")  # the bar the author escaped for the table
        if "&" in inner and re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", inner):
            inner = html.unescape(inner)  # the browser decodes entities before MathJax reads the formula
        if in_table:
            inner = re.sub(r"(?<!\\)\|", r"\\vert ", inner)  # a bar would end pandoc's table cell
        inner = _keep_lines(texmacros.resolve(inner, macros), lines)
        if kind == "dollar":
            out.append("\\\\(" + inner.strip() + "\\\\)" if dollars else "$" + inner + "$")
        elif kind == "bare":
            out.append("$$" + inner + "$$")
        else:
            out.append(text[start:a] + inner + text[b:end])
        pos = end
    out.append(_text(body[pos:], text[pos:], dollars))
    return "".join(out)


def _keep_lines(tex: str, lines: int) -> str:
    """TEX with LINES newlines (an expansion may add or remove some): joined, or padded at the end,
    and no blank line (which would end the formula for pandoc): an empty line becomes an empty group `{}`
    (not a `%` comment, which would swallow whatever a later stage adds to that line, such as a `\\tag`)."""
    have = tex.count("\n")
    if have > lines:
        parts = tex.split("\n")
        tex = "\n".join(parts[:lines] + [" ".join(parts[lines:])]) if lines else " ".join(parts)
    elif have < lines:
        tex += "\n{}" * (lines - have)
    return re.sub(r"\n[ \t]*(?=\n)", "\n{}", tex)


def _text(chunk: str, masked: str, dollars: bool | None) -> str:
    """Text between formulas (MASKED: the same with code masked): with DOLLARS False, a lone `$`
    outside code is text (escaped for pandoc)."""
    if dollars is not False or "$" not in masked:
        return chunk
    spots = [m.start() for m in re.finditer(r"(?<![\\$])\$(?!\$)", masked)]
    for i in reversed(spots):
        chunk = chunk[:i] + "\\" + chunk[i:]
    return chunk
