"""distill's `<d-*>` elements → their ordinary pandoc Markdown equivalents (before pandoc).

| element | becomes |
|---|---|
| `<d-cite key="a,b"></d-cite>` | the citation `[@a; @b]` |
| `<d-footnote>…</d-footnote>` | an inline note `^[…]` (in a post written in HTML: pandoc's own note markup, which its HTML reader reads as a note) |
| `<d-math>x</d-math>`, `<d-math block>x</d-math>` | inline math `\\(x\\)`, display math `\\[x\\]` |
| `<d-code language="js">x</d-code>`, with `block` | inline code `` `x`{.js} ``, a fenced code block |
| `<d-article>`, `<d-byline>` | their content (the byline is made from the front matter) |
| `<d-appendix>` | a `{.appendix}` div |
| `<d-bibliography src="x.bib">` | the bibliography file x.bib is read for the post |

Any other `<d-…>` element (d-title, d-toc, d-front-matter, d-hover-box, d-figure, …) is dropped with
its content and a warning naming it. Fenced code blocks, code spans and HTML comments are left alone.
"""
from __future__ import annotations

import html
import re

from ..model import Problem
from . import markers

_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_ATTR = re.compile(r"""([\w:-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_OPEN = re.compile(r"<(d-[a-z][a-z0-9-]*)((?:\s+[^<>]*?)?)(/?)>", re.I)


def _attrs(text: str) -> dict[str, str]:
    found = {}
    for m in _ATTR.finditer(text or ""):
        value = m.group(2) or ""
        if value[:1] in "\"'":
            value = value[1:-1]
        found[m.group(1).lower()] = html.unescape(value)
    return found


def _mask_code(text: str) -> str:
    """TEXT with fenced code blocks and code spans blanked (same length), for finding elements."""
    from ..jekyll.kramdown import _split_fences

    lines = text.split("\n")
    out = []
    for in_code, start, end in _split_fences(lines):
        chunk = lines[start:end]
        out.extend(re.sub(r"[^\n]", " ", ln) if in_code else ln for ln in chunk)
    masked = "\n".join(out)
    masked = _CODE_SPAN.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), masked)
    return re.sub(r"<!--.*?-->", lambda m: re.sub(r"[^\n]", " ", m.group(0)), masked, flags=re.S)  # comments too


def has_elements(text: str) -> bool:
    """Whether TEXT may hold a distill element (a cheap test before the conversion)."""
    return "<d-" in text or "<D-" in text


def convert(text: str, file: str, first_line: int, html_post: bool = False) -> tuple[str, list[Problem]]:
    """TEXT with every distill element outside code replaced; problems name the element and its line.

    HTML_POST: TEXT is a post written in HTML, where `^[…]` is not a note: a d-footnote becomes a note
    reference, and the notes a section at the end, in the markup pandoc writes and its HTML reader reads."""
    problems: list[Problem] = []
    if not has_elements(text):
        return text, problems
    notes: list[str] | None = [] if html_post else None
    for _ in range(8):  # elements inside elements (a d-cite in a d-footnote): innermost first
        masked = _mask_code(text)
        edits = []
        for m in _OPEN.finditer(masked):
            name = m.group(1).lower()
            close = re.compile(rf"</{name}\s*>", re.I)
            inner_start = m.end()
            if m.group(3) == "/":
                end = inner_start
                inner = ""
            else:
                c = close.search(masked, inner_start)
                nested = _OPEN.search(masked, inner_start, c.start() if c else len(masked))
                same = re.compile(rf"<{name}[\s>/]", re.I).search(masked, inner_start, c.start() if c else len(masked))
                if c is None or same is not None or (name == "d-cite" and "\n\n" in masked[inner_start:c.start()]):
                    end, inner = inner_start, ""  # not closed (before the next one opens): the element alone
                elif nested is not None and name in ("d-footnote", "d-article", "d-appendix", "d-byline"):
                    continue  # convert the inner elements first
                else:
                    end, inner = c.end(), text[inner_start:c.start()]
            line = masked.count("\n", 0, m.start()) + first_line
            new = _replace(name, _attrs(m.group(2)), inner, file, line, problems)
            if notes is not None and name == "d-footnote" and new:
                new = _html_note(notes, new[2:-1])
            if name == "d-cite" and new.startswith("[") and text[end:end + 1] in ("(", "["):
                new += "\\"  # `[@a](text)` would be read as a link: escape the bracket that follows
            edits.append((m.start(), end, new))
        if not edits:
            break
        for start, end, new in reversed(edits):
            text = text[:start] + new + text[end:]
        if not _OPEN.search(_mask_code(text)):
            break
    if notes:
        items = "".join(f'<li id="{_NOTE_ID}{n}">{note}</li>' for n, note in enumerate(notes, start=1))
        text += f'\n\n<section class="footnotes" role="doc-endnotes"><ol>{items}</ol></section>\n'
    return text, problems


_NOTE_ID = "publisher-dnote-"


def _html_note(notes: list[str], note: str) -> str:
    """A reference to NOTE, added to NOTES (a post written in HTML)."""
    notes.append(note)
    n = len(notes)
    return f'<a href="#{_NOTE_ID}{n}" class="footnote-ref" role="doc-noteref"><sup>{n}</sup></a>'


def _replace(name: str, attrs: dict[str, str], inner: str, file: str, line: int, problems: list[Problem]) -> str:
    keep_lines = "\n" * inner.count("\n")
    if name == "d-cite":
        keys = [k.strip() for k in re.split(r"[,\s]+", attrs.get("key", "")) if k.strip()]
        if not keys:
            problems.append(Problem(file, line, "<d-cite> without a key; removed",
                                    'write <d-cite key="key1,key2"></d-cite>', severity="warning"))
            return keep_lines
        return markers.citation(keys) + keep_lines
    if name == "d-footnote":
        note = re.sub(r"\n[ \t]*\n+", "\n", inner.strip())
        return "^[" + note + "]" if note else ""
    if name == "d-math":
        tex = html.unescape(inner.strip())
        return f"\\\\[{tex}\\\\]" if "block" in attrs else f"\\\\({tex}\\\\)"
    if name == "d-code":
        code = html.unescape(inner).strip("\n")
        lang = re.sub(r"[^\w+#.-]", "", attrs.get("language", ""))
        if "block" in attrs or "\n" in code:
            longest = max((len(x) for x in re.findall(r"`+", code)), default=0)
            fence = "`" * max(3, longest + 1)
            return f"\n\n{fence}{' {.' + lang + '}' if lang else ''}\n{code}\n{fence}\n\n"
        ticks = "`" * (max((len(x) for x in re.findall(r"`+", code)), default=0) + 1)
        pad = " " if code.startswith("`") or code.endswith("`") else ""
        return f"{ticks}{pad}{code}{pad}{ticks}" + ("{." + lang + "}" if lang else "")
    if name in ("d-article", "d-byline"):
        return inner
    if name == "d-appendix":
        return "\n\n::: {.appendix}\n\n" + inner + "\n\n:::\n\n"
    if name == "d-bibliography":
        src = attrs.get("src", "").strip()
        return markers.mark("file", src) if src else ""
    problems.append(Problem(file, line, f"distill element <{name}> has no equivalent outside distill; "
                            "removed with its content", "remove it, or write its content as Markdown",
                            severity="warning"))
    return keep_lines
