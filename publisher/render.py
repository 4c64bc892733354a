"""The one pandoc pass per paper: Markdown → HTML fragments shared by every edition."""
from __future__ import annotations

import copy
import html
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import yaml
from lxml import html as lxml_html

from . import safety
from .isolation import memory_limiter
from .model import Document, Heading, InputError, Paper, Problem
from .resources import FILTERS_DIR, TEMPLATES_DIR

# kramdown-flavoured Markdown: no citations (`@handle` is text), MathJax-style \\( \\), emoji shortcodes,
# and Markdown inside an HTML block only with markdown="1" (kramdown's rule; the attribute is dropped).
READER = "markdown-citations+tex_math_double_backslash+emoji+markdown_attribute-native_divs"
HOUSE_FILTERS = ["excerpt.lua", "bio.lua", "italic-quotes.lua", "headings.lua",
                 "math-environments.lua"]  # last: equation environments and \\tag for texmath
_MARK = re.compile(r"<!--@@([a-z-]+)@@-->\n")
HIGHLIGHT_STYLE = "pygments"


def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (or pypandoc's choice)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc_version() -> str:
    """The pandoc version string."""
    import pypandoc

    return pypandoc.get_pandoc_version()


def filter_args(user_filters: list[Path]) -> list[str]:
    """Command-line arguments for the house filters followed by the user's filters."""
    args = [f"--lua-filter={FILTERS_DIR / name}" for name in HOUSE_FILTERS]
    for f in user_filters:
        args.append(f"--lua-filter={f}" if f.suffix == ".lua" else f"--filter={f}")
    return args


def _metadata_block(paper: Paper) -> str:
    meta = {"title": paper.title, "lang": paper.lang}
    if paper.subtitle:
        meta["subtitle"] = paper.subtitle
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=True, width=10**6) + "---\n\n"


def _source_line(pandoc_line: int, offset: int, paper: Paper) -> int:
    index = pandoc_line - offset - 1
    if paper.line_map and 0 <= index < len(paper.line_map):
        return paper.line_map[index]  # Liquid and kramdown moved lines: map back to the source file
    return max(1, pandoc_line - offset) + paper.body_line - 1


def _warnings(stderr: str, offset: int, paper: Paper) -> list[Problem]:
    problems = []
    for chunk in re.split(r"\n(?=\[WARNING\]|\[ERROR\])", stderr.strip()):
        chunk = chunk.strip()
        if not chunk:
            continue
        text = re.sub(r"^\[(WARNING|ERROR)\]\s*", "", chunk)
        text = re.sub(r"\s+", " ", text)
        m = re.search(r"line (\d+)", text)
        line = _source_line(int(m.group(1)), offset, paper) if m else None
        if m:
            text = re.sub(r"\s*at line \d+, column \d+", "", text)
        problems.append(Problem(paper.rel_source, line, f"pandoc: {text}", severity="warning"))
    return problems


def _without_tex(el):
    """EL, or a copy without the TeX annotations of its math."""
    if el.find(".//annotation") is None:
        return el
    el = copy.deepcopy(el)
    for a in el.findall(".//annotation"):
        a.drop_tree()
    return el


def _plain(el) -> str:
    return re.sub(r"\s+", " ", _without_tex(el).text_content()).strip()


def headings(body_html: str) -> list[Heading]:
    """The headings (h2–h6) with their ids, in document order."""
    if not body_html.strip():
        return []
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    found = []
    for el in root.iter("h2", "h3", "h4", "h5", "h6"):
        ident = el.get("id") or (el.getparent().get("id") if el.getparent() is not None else "") or ""
        if not ident:
            continue
        shown = _without_tex(el)  # a heading's math: its MathML, without the TeX annotation (contents, PDF)
        inner = (shown.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in shown)
        found.append(Heading(int(el.tag[1]), ident, _plain(el), inner.strip()))
    return found


def render(paper: Paper, user_filters: list[Path] | None = None, italic_quotes: bool = True,
           timeout: float = 120, resource_path: Path | None = None, memory_mb: int | None = None) -> Document:
    """Run pandoc once on PAPER with the house and user filters; return the shared HTML fragments.

    pandoc gets TIMEOUT seconds and MEMORY_MB of memory; a post nested too deeply is refused first."""
    safety.check_markdown_nesting(paper.body, paper.rel_source, paper.body_line)
    head = _metadata_block(paper)
    offset = head.count("\n")
    args = [pandoc_path(), f"--from={READER}", "--to=html5", "--sandbox", "--section-divs", "--mathml",
            "--wrap=none", f"--template={TEMPLATES_DIR / 'fragment.pandoc'}", "--standalone",
            f"--syntax-highlighting={HIGHLIGHT_STYLE}",
            f"--resource-path={resource_path or paper.source.parent}"]
    sep = paper.excerpt_separator
    if sep.strip() and sep in paper.body:
        args.append(f"--metadata=excerpt-separator:{sep.strip()}")
    if not italic_quotes:
        args.append("--metadata=italic-quotes:false")
    args += filter_args(user_filters or [])
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    try:
        proc = subprocess.run(args, input=(head + paper.body).encode("utf-8"), capture_output=True,
                              timeout=timeout, env=env, cwd=str(paper.source.parent),
                              preexec_fn=memory_limiter(memory_mb))
    except subprocess.TimeoutExpired:
        raise InputError(Problem(paper.rel_source, None, f"pandoc took longer than {timeout:g} s and was stopped",
                                 "simplify the post or raise publisher.timeout")) from None
    stderr = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0 and "out of memory" in stderr:
        raise InputError(Problem(paper.rel_source, None, f"pandoc ran out of memory (limit {memory_mb} MB)",
                                 "simplify the post, or raise publisher.memory_mb"))
    if proc.returncode < 0:
        limit = f"; it may have run out of memory (limit {memory_mb} MB)" if memory_mb else ""
        raise InputError(Problem(paper.rel_source, None, f"pandoc crashed ({signal.Signals(-proc.returncode).name}){limit}",
                                 "simplify the post, or raise publisher.memory_mb"))
    if proc.returncode != 0:
        problems = _warnings(stderr, offset, paper)
        msg = problems[-1].message if problems else stderr.strip()[:500]
        line = problems[-1].line if problems else None
        raise InputError(Problem(paper.rel_source, line, f"pandoc failed (exit {proc.returncode}): {msg}",
                                 "check the Markdown near that line"))
    out = proc.stdout.decode("utf-8")
    parts = dict(zip(_MARK.findall(out), _MARK.split(out)[2::2]))
    body = parts.get("body", "").strip()
    safety.check_html_depth(body, paper.rel_source)
    from . import rawmath  # formulas in raw HTML blocks, which pandoc leaves as text

    body, raw_math_warnings = rawmath.convert(body, paper, pandoc_path(), timeout)
    return Document(
        body_html=body,
        title_html=parts.get("title", "").strip(),
        title_text=html.unescape(parts.get("pagetitle", "").strip()),
        subtitle_html=parts.get("subtitle", "").strip(),
        summary_html=parts.get("summary", "").strip(),
        bio_html=parts.get("bio", "").strip(),
        highlight_css=parts.get("highlighting-css", "").strip(),
        headings=headings(body),
        has_math="<math" in body or "<math" in parts.get("summary", ""),
        warnings=_warnings(stderr, offset, paper) + raw_math_warnings,
    )
