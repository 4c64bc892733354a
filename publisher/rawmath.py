"""Math inside raw HTML blocks (`<p class="framed">… \\(x\\) …</p>`): pandoc leaves the text of an
HTML block alone, so its formulas would reach every edition as TeX source, while the site's MathJax
typesets them. After the pandoc pass, the formulas found in such text (`\\(…\\)`, `\\[…\\]`, `$$…$$`,
a bare `\\begin{align}…\\end{align}` and the other equation environments, also with the backslashes
doubled for Markdown; never a single `$`, which publisher.mathprep has made
`\\\\(…\\\\)` already where the site reads it as math) are converted with one more pandoc call, to
the same MathML as the rest of the post. Text in code, `pre`, `script`, `style` and existing math is
left alone.
"""
from __future__ import annotations

import re
import subprocess

from lxml import html as lxml_html

from .assets import formula_line
from .model import Paper, Problem
from .pandoc import run as pandoc_run
from .resources import FILTERS_DIR

_FORMULA = re.compile(r"\$\$(.+?)\$\$|\\\\?\[(.+?)\\\\?\]|\\\\?\((.+?)\\\\?\)|(\\begin\{((?:equation|align|gather|"
                      r"multline|eqnarray|flalign|alignat)\*?)\}.*?\\end\{\5\})", re.S)
_SKIP = {"code", "pre", "script", "style", "math", "textarea", "kbd", "samp"}
_SEPARATOR = "\n\n<!--@@formula@@-->\n\n"


def _candidates(body_html: str) -> bool:
    """A cheap test: some delimiter outside the math pandoc made."""
    text = re.sub(r"<math\b.*?</math>|<(code|pre)\b.*?</\1>", "", body_html, flags=re.S)
    return bool(_FORMULA.search(text))


def _skipped(el) -> bool:
    """Code, scripts, math, and the math pandoc could not convert (span.math: reported by the build)."""
    return el.tag in _SKIP or (el.tag == "span" and "math" in (el.get("class") or "").split())


def _texts(root):
    """(element, 'text' or 'tail') for every text node outside the skipped elements."""
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        inside = _skipped(el) or any(_skipped(a) for a in el.iterancestors())
        if not inside and el.text:
            yield el, "text"
        parent = el.getparent()
        if el.tail and parent is not None and not (_skipped(parent) or any(_skipped(a) for a in parent.iterancestors())):
            yield el, "tail"


def _pandoc(formulas: list[tuple[str, bool]], pandoc: str, timeout: float) -> list[str | None] | None:
    """The MathML of each formula (None: pandoc could not convert it), from one pandoc call; None when
    the call failed as a whole (exit status, output not in one piece per formula). Raises
    subprocess.TimeoutExpired."""
    source = _SEPARATOR.join((f"$${tex}$$" if display else f"${tex}$") for tex, display in formulas)
    proc = pandoc_run([pandoc, "--from=markdown-citations", "--to=html5", "--mathml", "--wrap=none",
                       "--sandbox", f"--lua-filter={FILTERS_DIR / 'math-environments.lua'}"], "raw-math",
                      input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    chunks = proc.stdout.decode("utf-8").split("<!--@@formula@@-->")
    if proc.returncode != 0 or len(chunks) != len(formulas):
        return None
    made = [re.findall(r"<math\b.*?</math>", chunk, re.S) for chunk in chunks]
    return [m[0] if len(m) == 1 else None for m in made]


def _convert_each(formulas: list[tuple[str, bool]], pandoc: str, timeout: float) -> list[str | None]:
    """The MathML of each formula, or None for each one pandoc refuses: one call for them all, and when
    that call fails as a whole, one call per formula, so that one bad formula costs only itself."""
    try:
        made = _pandoc(formulas, pandoc, timeout)
        if made is None and len(formulas) > 1:
            made = [(_pandoc([f], pandoc, timeout) or [None])[0] for f in formulas]
    except subprocess.TimeoutExpired:  # not once more per formula: each would take as long
        made = None
    return made or [None] * len(formulas)


def convert(body_html: str, paper: Paper, pandoc: str, timeout: float = 60) -> tuple[str, list[Problem]]:
    """BODY_HTML with the formulas in its raw HTML text as MathML; a warning, with the formula's line, for
    each one pandoc refused (it stays TeX; the others are converted all the same)."""
    if not _candidates(body_html):
        return body_html, []
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    spots = []  # (element, which, [pieces]) where a piece is text or (tex, display)
    formulas: list[tuple[str, bool]] = []
    for el, which in list(_texts(root)):
        text = getattr(el, which)
        if not _FORMULA.search(text):
            continue
        pieces: list = []
        pos = 0
        for m in _FORMULA.finditer(text):
            tex = next(g for g in m.groups() if g is not None).strip()
            tex = re.sub(r"\\\\([{}|])", r"\\\1", tex)  # \\{ doubled for Markdown: a brace
            tex = re.sub(r"\n[ \t]*(?=\n)", "", tex)  # a blank line would end pandoc's $$…$$ (TeX ignores it)
            if not tex:
                continue
            pieces.append(text[pos:m.start()])
            pieces.append(len(formulas))
            formulas.append((tex, m.group(3) is None))  # a bare \begin{align}… (group 4) is display math
            pos = m.end()
        pieces.append(text[pos:])
        spots.append((el, which, pieces))
    if not formulas:
        return body_html, []
    made = _convert_each(formulas, pandoc, timeout)
    problems = [Problem(paper.rel_source, formula_line(paper, tex),
                        f"math '{tex[:80]}' in raw HTML could not be converted; its TeX "
                        "source is shown instead in every edition", "check the command names; pandoc supports "
                        "most LaTeX math", severity="warning")
                for (tex, _display), mathml in zip(formulas, made) if mathml is None]
    for el, which, pieces in spots:
        setattr(el, which, "")
        anchor_parent, index = (el, 0) if which == "text" else (el.getparent(), el.getparent().index(el) + 1)
        tail_target = None  # where the next text goes: (element, 'text'|'tail')
        if which == "text":
            tail_target = (el, "text")
        else:
            tail_target = (el, "tail")
        for piece in pieces:
            if isinstance(piece, str):
                target, attr = tail_target
                setattr(target, attr, (getattr(target, attr) or "") + piece)
                continue
            mathml = made[piece]
            tex, display = formulas[piece]
            if mathml is None:
                target, attr = tail_target
                setattr(target, attr, (getattr(target, attr) or "") + (f"\\[{tex}\\]" if display else f"\\({tex}\\)"))
                continue
            node = lxml_html.fragment_fromstring(mathml)
            anchor_parent.insert(index, node)
            index += 1
            tail_target = (node, "tail")
    out = (root.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in root)
    return out, problems
