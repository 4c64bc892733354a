"""kramdown syntax → pandoc Markdown, before pandoc (no pandoc call here).

Handled: block and span inline attribute lists (`{: .class #id key="v"}`), attribute list
definitions (`{:name: …}`, removed), the `{:toc}` marker with its list item (removed: every edition
makes its own table of contents), abbreviations (`*[ABBR]: text` → <abbr>), `{::comment}`,
`{::options}` and `{::nomarkdown}` extensions, kramdown's math rule (`$$…$$` in a paragraph is
inline math, a paragraph of its own is display math, blank lines inside included) and its tables
(publisher.jekyll.kramdown_tables). Fenced code blocks are left alone.
`markdown="1"` on HTML blocks is honoured by pandoc's `markdown_attribute` reader extension.
"""
from __future__ import annotations

import html
import re

from .kramdown_tables import to_pipe_tables

_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})")
_IAL_BODY = r"[^{}\n]*"
_BLOCK_IAL = re.compile(r"^ {0,3}\{:(?!:)\s*(" + _IAL_BODY + r")\}\s*$")
_ALD = re.compile(r"^ {0,3}\{:([\w-]+):" + _IAL_BODY + r"\}\s*$")
_TOC_ITEM = re.compile(r"^\s*(?:[*+-]|\d+\.)\s+.*$")
_ABBR_DEF = re.compile(r"^ {0,3}\*\[([^\]\n]+)\]:[ \t]*(.*)$")
_EXT_ONELINE = re.compile(r"\{::(comment|options|nomarkdown)\b[^}]*/\}")
_SPAN_IAL = re.compile(r"\{:(?!:)\s*(" + _IAL_BODY + r")\}")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)\s*$")
_ATTR = re.compile(r"""([.#][\w:-]+)|([\w:-]+)=("[^"]*"|'[^']*'|\S+)""")
_DOLLARS = re.compile(r"\$\$(.+?)\$\$", re.S)
_MATH_OPEN = re.compile(r"^ {0,3}\$\$")


def attributes(ial: str) -> str:
    """kramdown IAL text (`.a #b key="v"`) → pandoc attributes (`.a #b key="v"`); refs dropped."""
    parts = []
    for m in _ATTR.finditer(ial):
        if m.group(1):
            parts.append(m.group(1))
        else:
            value = m.group(3)
            if value[:1] in "\"'":
                value = value[1:-1]
            parts.append(f'{m.group(2)}="{html.escape(value, quote=True)}"')
    return "{" + " ".join(parts) + "}" if parts else ""


def _split_fences(lines: list[str]) -> list[tuple[bool, int, int]]:
    """Runs of lines as (in_code, start, end), fenced code blocks marked in_code."""
    runs, start, i, n = [], 0, 0, len(lines)
    while i < n:
        m = _FENCE.match(lines[i])
        if m:
            if i > start:
                runs.append((False, start, i))
            fence = m.group(2)
            j = i + 1
            while j < n and not re.match(r"^ {0,3}" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$", lines[j]):
                j += 1
            runs.append((True, i, min(j + 1, n)))
            i = start = min(j + 1, n)
        else:
            i += 1
    if start < n:
        runs.append((False, start, n))
    return runs


def _span_attrs(line: str) -> str:
    """Span IALs after links, images, code and emphasis; anything else loses its IAL."""
    def repl(m):
        before = line[:m.start()]
        attrs = attributes(m.group(1))
        if before.endswith((")", "]", "`")) and not before.endswith("\\)"):
            return attrs
        em = re.search(r"(\*\*|__|\*|_)([^*_\n]+?)\1$", before)
        if em:
            return "\x01" + str(len(em.group(0))) + "\x01" + attrs
        return ""

    out = _SPAN_IAL.sub(repl, line)
    # wrap emphasis followed by an IAL in a span: [**x**]{.c}
    while "\x01" in out:
        m = re.search(r"\x01(\d+)\x01", out)
        length = int(m.group(1))
        start = m.start() - length
        out = out[:start] + "[" + out[start:m.start()] + "]" + out[m.end():]
    return out


_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)


def _inline_math(line: str) -> str:
    """`$$x$$` inside a paragraph, outside its code spans (kramdown reads those first)."""
    if "`" not in line:
        return _inline_math_text(line)
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(line):
        out.append(_inline_math_text(line[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_inline_math_text(line[pos:]))
    return "".join(out)


def _inline_math_text(line: str) -> str:
    """kramdown: `$$x$$` inside a paragraph is inline math → pandoc `\\\\(x\\\\)`."""
    def repl(m):
        inner = m.group(1).strip(" \t")
        if not inner.strip() or inner.startswith("\n") or inner.endswith("\n"):
            return m.group(0)  # $$ on lines of their own (e.g. in an HTML block): display math, left as written
        return f"\\\\({inner}\\\\)"  # \\( \\): no rule on spaces or a digit after it (as in kramdown)
    return _DOLLARS.sub(repl, line)


def _math_blocks(lines: list[str]) -> list[str]:
    """kramdown's math block runs from a `$$` that starts a block to the next `$$` followed by the block's
    end, blank lines inside included (MathJax ignores them): those blank lines move after the block, so
    that pandoc and the paragraph rule below see one formula."""
    out = list(lines)
    i = 0
    while i < len(out):
        if not _MATH_OPEN.match(out[i]) or (i and out[i - 1].strip()):
            i += 1
            continue
        text = "\n".join(out[i:])
        start = text.index("$$") + 2
        close = re.compile(r"(?<!\\)\$\$[ \t]*(?:\n[ \t]*\n|\n?$)").search(text, start)
        inner_end = close.start() if close else -1
        if close is None or "$$" in text[start:inner_end]:
            i += 1
            continue
        j = i + text.count("\n", 0, inner_end)  # the line of the closing $$
        block = out[i:j + 1]
        kept = [line for line in block if line.strip()]
        out[i:j + 1] = kept + [""] * (len(block) - len(kept))
        i = j + 1
    return out


def _math(lines: list[str]) -> list[str]:
    """Apply kramdown's math rule paragraph by paragraph (outside code)."""
    lines = _math_blocks(lines)
    out = list(lines)
    i, n = 0, len(lines)
    while i < n:
        if not lines[i].strip():
            i += 1
            continue
        j = i
        while j < n and lines[j].strip():
            j += 1
        para = "\n".join(lines[i:j]).strip()
        alone = para.startswith("$$") and para.endswith("$$") and len(para) > 4 and "$$" not in para[2:-2]
        if not alone and "$$" in para and not lines[i].startswith("    "):
            # the paragraph as a whole: a formula may start on one line and end on the next
            out[i:j] = _inline_math("\n".join(lines[i:j])).split("\n")
        i = j
    return out


def _abbr_pattern(abbrs: dict[str, str]) -> re.Pattern:
    return re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in sorted(abbrs, key=len, reverse=True))
                      + r")(?![\w-])")


def _abbreviate(text: str, abbrs: dict[str, str], pattern: re.Pattern) -> str:
    """Wrap each abbreviation in <abbr title>, outside code spans, links' URLs and HTML tags."""
    if not pattern.search(text):
        return text
    pieces = re.split(r"(`+[^`]*`+|\]\([^)]*\)|<[^>]*>|\{[^}]*\})", text)
    for k in range(0, len(pieces), 2):
        pieces[k] = pattern.sub(lambda m: f'<abbr title="{html.escape(abbrs[m.group(1)], quote=True)}">'
                                          f"{m.group(1)}</abbr>", pieces[k])
    return "".join(pieces)


def _block_start(out: list[str], i: int) -> int:
    """Index of the first line of the block that ends at line I (the paragraph above)."""
    j = i
    while j > 0 and out[j - 1].strip():
        j -= 1
    return j


def to_pandoc(body: str) -> str:
    """Convert kramdown-only syntax in BODY to pandoc Markdown (fenced code is left alone)."""
    if not any(k in body for k in ("{:", "*[", "$$", "|")):
        return body
    body = _EXT_ONELINE.sub("", body)
    # {::comment}…{:/comment} and {::nomarkdown}…{:/nomarkdown}, keeping line count.
    def ext_block(m):
        inner = m.group(2)
        if m.group(1) == "comment":
            return "\n" * m.group(0).count("\n")
        return "\n```{=html}\n" + inner.strip("\n") + "\n```\n" if "\n" in inner else f"`{inner}`{{=html}}"
    body = re.sub(r"\{::(comment|nomarkdown)\b[^}]*\}(.*?)\{:/(?:\1)?\}", ext_block, body, flags=re.S)
    lines = body.split("\n")
    abbrs: dict[str, str] = {}
    out: list[str] = []
    runs = _split_fences(lines)
    for in_code, start, end in runs:
        chunk = lines[start:end]
        if in_code:
            # An IAL right after the closing fence belongs to the fence.
            out.extend(chunk)
            continue
        for line in chunk:
            if _ALD.match(line):
                out.append("")
                continue
            abbr = _ABBR_DEF.match(line)
            if abbr:
                abbrs[abbr.group(1).strip()] = abbr.group(2).strip()
                out.append("")
                continue
            block = _BLOCK_IAL.match(line)
            if block:
                ial = block.group(1).strip()
                prev = out[-1] if out else ""
                if re.fullmatch(r"toc\b.*", ial) or "toc" in ial.split():
                    if prev and _TOC_ITEM.match(prev):
                        out[-1] = ""
                    out.append("")
                    continue
                attrs = attributes(ial)
                if not attrs:
                    out.append("")
                elif not prev.strip():
                    # An IAL before a block: keep it for the next block by emitting a div opener.
                    out.append(f"::: {attrs}")
                    out.append("\x02")  # close after the next block
                elif _FENCE.match(prev) and len(out) >= 2:
                    # after a fenced code block: find its opening fence and add the attributes there
                    k = len(out) - 2
                    while k >= 0 and not _FENCE.match(out[k]):
                        k -= 1
                    if k >= 0:
                        out[k] = _add_fence_attrs(out[k], attrs)
                    out.append("")
                elif _HEADING.match(prev):
                    out[-1] = prev.rstrip().rstrip("#").rstrip() + " " + attrs
                    out.append("")
                elif len(out) >= 2 and _SETEXT.match(prev) and out[-2].strip():
                    level = "#" if prev.strip()[0] == "=" else "##"
                    out[-2] = f"{level} {out[-2].strip()} {attrs}"
                    out[-1] = ""
                    out.append("")
                else:
                    first = _block_start(out, len(out))
                    out.insert(first, f"::: {attrs}")
                    out.append(":::")
                continue
            line = _span_attrs(line) if "{:" in line else line
            out.append(line)
        out[:] = _close_pending(out)
    text = "\n".join(out)
    text = "\n".join(_math_outside_code(text.split("\n")))
    if abbrs:
        text = "\n".join(_abbreviate_outside_code(text.split("\n"), abbrs))
    return text


def _close_pending(out: list[str]) -> list[str]:
    """Replace the \\x02 markers (IAL before a block) by a closing fence after that block."""
    result: list[str] = []
    pending = 0
    i = 0
    while i < len(out):
        line = out[i]
        if line == "\x02":
            pending += 1
            i += 1
            continue
        result.append(line)
        if pending and line.strip() and (i + 1 >= len(out) or not out[i + 1].strip()):
            result.append(":::")
            pending -= 1
        i += 1
    result.extend([":::"] * pending)
    return result


def _add_fence_attrs(fence_line: str, attrs: str) -> str:
    m = re.match(r"^( {0,3})(`{3,}|~{3,})\s*(\{[^}]*\}|[\w+#.-]+)?\s*$", fence_line)
    if not m:
        return fence_line
    indent, fence, info = m.groups()
    inner = attrs[1:-1]
    if info and info.startswith("{"):
        return f"{indent}{fence}{{{info[1:-1]} {inner}}}"
    if info:
        return f"{indent}{fence}{{.{info} {inner}}}"
    return f"{indent}{fence}{attrs}"


def _math_outside_code(lines: list[str]) -> list[str]:
    """kramdown's math rule and its tables (kramdown_tables) outside fenced code."""
    out = []
    for in_code, start, end in _split_fences(lines):
        chunk = lines[start:end]
        out.extend(chunk if in_code else _math(to_pipe_tables(chunk)))
    return out


def _abbreviate_outside_code(lines: list[str], abbrs: dict[str, str]) -> list[str]:
    pattern = _abbr_pattern(abbrs)
    out = []
    for in_code, start, end in _split_fences(lines):
        chunk = lines[start:end]
        if in_code:
            out.extend(chunk)
        else:
            out.extend(_abbreviate(line, abbrs, pattern) if not line.startswith(("    ", ":::")) else line
                       for line in chunk)
    return out


def plain_markdown(body: str) -> str:
    """BODY with kramdown-only markup (extensions, IALs, abbreviations, footnotes) removed, for
    plain-text uses (the excerpt)."""
    if "{:" not in body and "*[" not in body and "[^" not in body:
        return body  # none of them can be there
    body = re.sub(r"\{::(comment|nomarkdown)\b[^}]*\}.*?\{:/(?:\1)?\}", "", body, flags=re.S)
    body = _EXT_ONELINE.sub("", body)
    body = re.sub(r"^\s*(?:[*+-]|\d+\.)\s+.*\n {0,3}\{:\s*toc\s*\}\s*$", "", body, flags=re.M)
    body = re.sub(r"^ {0,3}\{:[^{}\n]*\}\s*$", "", body, flags=re.M)
    body = re.sub(r"^ {0,3}\*\[[^\]\n]+\]:.*$", "", body, flags=re.M)
    # footnotes: a definition (with its indented lines) is not part of the text; nor is its marker
    body = re.sub(r"^ {0,3}\[\^[^\]\n]+\]:.*(?:\n(?: {4}|\t).*)*$", "", body, flags=re.M)
    body = re.sub(r"\[\^[^\]\n]+\]", "", body)
    return _SPAN_IAL.sub("", body)
