"""A post's math, made ready for pandoc (after kramdown → pandoc Markdown, before pandoc).

It finds every formula in the Markdown (`$$…$$`, `$…$`, `\\\\(…\\\\)`, `\\\\[…\\\\]`, also inside raw HTML
such as a hidden `<div style="display: none">`; never in code), then:

1. collects the macro definitions of all of them (and the site's, from publisher.mathconfig), and
   removes the formulas that only define macros;
2. expands the macros and modernises legacy TeX in every formula (publisher.texmacros);
3. in a kramdown table row, reads `\\|` inside a formula as the `|` the author escaped for the table;
4. reads `$…$` as the site does: when the site's MathJax/KaTeX makes `$` an inline delimiter, every
   `$…$` is inline math (spaces inside allowed, as MathJax allows them); when the site configures
   inline delimiters without `$`, a single `$` is text; otherwise pandoc's own rule applies;
5. wraps a bare `\\begin{equation}…\\end{equation}` (and align, gather, multline, eqnarray, with or
   without `*`), which MathJax typesets on the site, in `$$…$$`.

Line numbers are kept: every rewrite keeps the number of lines.
"""
from __future__ import annotations

import re

from . import texmacros
from .texmacros import Macro

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_NO_BLANK = r"(?:(?!\n[ \t]*\n)[\s\S])"
_DISPLAY = re.compile(r"(?<!\\)\$\$(" + _NO_BLANK + r"+?)(?<!\\)\$\$")
_BRACKETS = re.compile(r"\\\\\[(" + _NO_BLANK + r"+?)\\\\\]|\\\\\((" + _NO_BLANK + r"+?)\\\\\)")
_PANDOC_INLINE = re.compile(r"(?<![\\$])\$(?![\s$])((?:\\.|[^$\\\n]|\n(?![ \t]*\n))*?(?:\\.|[^\s$\\]))\$(?!\d)")
_MATHJAX_INLINE = re.compile(r"(?<![\\$])\$(?!\$)((?:\\.|[^$\\\n]|\n(?![ \t]*\n))+?)(?<!\\)\$(?!\$)")
_ENVS = r"(?:equation|align|gather|multline|eqnarray|flalign|alignat)\*?"
_BARE_ENV = re.compile(r"(?<![$\\])(\\begin\{(" + _ENVS + r")\}[\s\S]*?\\end\{\2\})")
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

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _DISPLAY.finditer(text):
        found.append((m.start(), m.end(), m.start(1), m.end(1), "display"))
        taken.append((m.start(), m.end()))
    for m in _BRACKETS.finditer(text):
        if free(m.start(), m.end()):
            g = 1 if m.group(1) is not None else 2
            found.append((m.start(), m.end(), m.start(g), m.end(g), "display" if g == 1 else "inline"))
            taken.append((m.start(), m.end()))
    if dollars is not False:
        pattern = _MATHJAX_INLINE if dollars else _PANDOC_INLINE
        pos = 0
        while True:
            m = pattern.search(text, pos)
            if not m:
                break
            if free(m.start(), m.end()):
                found.append((m.start(), m.end(), m.start(1), m.end(1), "dollar"))
                taken.append((m.start(), m.end()))
                pos = m.end()
            else:
                pos = m.start() + 1
    for m in _BARE_ENV.finditer(text):
        if free(m.start(), m.end()):
            found.append((m.start(), m.end(), m.start(1), m.end(1), "bare"))
            taken.append((m.start(), m.end()))
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
        inner = texmacros.resolve(inner, macros)
        if _in_table_row(text, start):
            inner = inner.replace("\\|", "\\vert ")
        inner = _keep_lines(inner, lines)
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
    and no blank line (which would end the formula for pandoc): an empty line becomes a TeX comment."""
    tex = re.sub(r"\n[ \t]*(?=\n)", "\n%", tex)
    have = tex.count("\n")
    if have > lines:
        parts = tex.split("\n")
        tex = "\n".join(parts[:lines] + [" ".join(parts[lines:])]) if lines else " ".join(parts)
    elif have < lines:
        tex += "\n%" * (lines - have)
    return tex


def _text(chunk: str, masked: str, dollars: bool | None) -> str:
    """Text between formulas (MASKED: the same with code masked): with DOLLARS False, a lone `$`
    outside code is text (escaped for pandoc)."""
    if dollars is not False or "$" not in masked:
        return chunk
    spots = [m.start() for m in re.finditer(r"(?<![\\$])\$(?!\$)", masked)]
    for i in reversed(spots):
        chunk = chunk[:i] + "\\" + chunk[i:]
    return chunk
