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

from . import crossref, hidden, pandoc, safety, subject_index
from .isolation import memory_limiter
from .model import Document, Heading, InputError, Paper, Problem
from .pandoc import pandoc_path, pandoc_version  # noqa: F401  (importable from here, as before)
from .resources import filter_path, template_path

# kramdown-flavoured Markdown: no citations (`@handle` is text), MathJax-style \\( \\), emoji shortcodes,
# and Markdown inside an HTML block only with markdown="1" (kramdown's rule; the attribute is dropped).
READER = "markdown-citations+tex_math_double_backslash+emoji+markdown_attribute-native_divs"
# Posts written in HTML (`_posts/*.html`): Jekyll converts no Markdown there, MathJax still reads $$…$$.
HTML_READER = "html+tex_math_dollars+tex_math_double_backslash+raw_html-native_divs"
HOUSE_FILTERS = ["excerpt.lua", "bio.lua", "italic-quotes.lua", "headings.lua", "index.lua"]  # index: issue 17
# After the house filters and the cross-reference filters (which number equations and take their
# \label and \tag): equation environments and the remaining \tag for texmath.
LAST_FILTERS = ["math-environments.lua"]
_MARK = re.compile(r"<!--@@([a-z-]+)@@-->\n")
HIGHLIGHT_STYLE = "pygments"


def filter_args(user_filters: list[Path], house: list[str] | None = None) -> list[str]:
    """Command-line arguments for the house filters (HOUSE_FILTERS + LAST_FILTERS unless HOUSE) followed by
    the user's filters."""
    args = [f"--lua-filter={filter_path(name)}" for name in (HOUSE_FILTERS + LAST_FILTERS if house is None else house)]
    for f in user_filters:
        args.append(f"--lua-filter={f}" if f.suffix == ".lua" else f"--filter={f}")
    return args


def _citation_metadata(paper: Paper) -> dict:
    """Metadata for citeproc (issue 14): the reference list shows exactly paper.references."""
    if not getattr(paper, "citations", {}).get("on"):
        return {}
    meta = {"link-citations": True, "link-bibliography": True,
            "references-title": paper.citations.get("title") or "References"}
    if paper.references:
        meta["nocite"] = "@*"
    return meta


def _metadata_block(paper: Paper) -> str:
    meta = {"title": paper.title, "lang": paper.lang, **_citation_metadata(paper)}
    if paper.subtitle:
        meta["subtitle"] = paper.subtitle
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True, sort_keys=True, width=10**6) + "---\n\n"


def _temp_yaml(meta: dict) -> Path:
    """META written to a temporary YAML file (the caller removes it)."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix="publisher-meta-", suffix=".yaml")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        yaml.safe_dump(meta, f, allow_unicode=True, sort_keys=True)
    return Path(name)


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


def _without_links(el):
    """EL, or a copy without note calls, ids and links (their text stays): heading text for a contents link."""
    if el.find(".//a") is None and el.find(".//*[@id]") is None:
        return el
    el = copy.deepcopy(el)
    for a in el.xpath(".//a[contains(concat(' ', normalize-space(@class), ' '), ' footnote-ref ')]"):
        a.drop_tree()
    for a in el.findall(".//a"):
        a.drop_tag()
    for node in el.iter():
        if isinstance(node.tag, str) and node is not el:
            node.attrib.pop("id", None)
    return el


def _plain(el) -> str:
    return re.sub(r"\s+", " ", _without_tex(el).text_content()).strip()


def headings(body_html: str) -> list[Heading]:
    """The headings (h2–h6) with their ids, in document order."""
    if not body_html.strip():
        return []
    root = lxml_html.fragment_fromstring(body_html, create_parent="div")
    found = []
    previous = 1
    for el in root.iter("h2", "h3", "h4", "h5", "h6"):
        level = previous = min(int(el.tag[1]), previous + 1)  # no skipped levels, as the editions (anchors.py)
        ident = el.get("id") or (el.getparent().get("id") if el.getparent() is not None else "") or ""
        if not ident:
            continue
        shown = _without_tex(el)  # a heading's math: its MathML, without the TeX annotation (contents, PDF)
        shown = _without_links(shown)  # the contents links to the heading: no links, note calls or ids inside
        inner = (shown.text or "") + "".join(lxml_html.tostring(c, encoding="unicode") for c in shown)
        found.append(Heading(level, ident, _plain(el), inner.strip()))
    return found


def render(paper: Paper, user_filters: list[Path] | None = None, italic_quotes: bool = True,
           timeout: float = 120, resource_path: Path | None = None, memory_mb: int | None = None,
           list_of_figures: bool = False, list_of_tables: bool = False) -> Document:
    """Run pandoc once on PAPER with the house and user filters; return the shared HTML fragments.

    pandoc gets TIMEOUT seconds and MEMORY_MB of memory; a post nested too deeply is refused first."""
    safety.check_markdown_nesting(paper.body, paper.rel_source, paper.body_line)
    html_post = paper.source.suffix.lower() in (".html", ".htm")
    head = "" if html_post else _metadata_block(paper)
    offset = head.count("\n")
    args = [pandoc_path(), f"--from={HTML_READER if html_post else READER}", "--to=html5", "--sandbox", "--section-divs",
            "--mathml", "--wrap=none", f"--template={template_path('fragment.pandoc')}", "--standalone",
            f"--syntax-highlighting={HIGHLIGHT_STYLE}",
            f"--resource-path={resource_path or paper.source.parent}"]
    if html_post:  # the HTML reader has no YAML block: the same metadata as plain values
        args += [f"--metadata=title:{paper.title}", f"--metadata=lang:{paper.lang}"]
        args += [f"--metadata=subtitle:{paper.subtitle}"] if paper.subtitle else []
    sep = paper.excerpt_separator
    if sep.strip() and sep in paper.body:
        args.append(f"--metadata=excerpt-separator:{sep.strip()}")
    if not italic_quotes:
        args.append("--metadata=italic-quotes:false")
    args += crossref.pandoc_args(paper, list_of_figures, list_of_tables)
    args += filter_args(user_filters or [], HOUSE_FILTERS + crossref.filters(paper, list_of_figures, list_of_tables)
                        + LAST_FILTERS)
    bibliography = meta_file = None
    if getattr(paper, "citations", {}).get("on"):  # issue 14: citations.lua runs citeproc first, before the house filters
        from .citations import render_args

        bibliography = render_args.bibliography_file(paper)
        args = render_args.with_citations(args, paper, bibliography, filter_path("citations.lua"))
        if html_post:  # no YAML block in HTML: citeproc's metadata (nocite read as Markdown) from a file
            meta_file = _temp_yaml(_citation_metadata(paper))
            args.append(f"--metadata-file={meta_file}")
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    try:
        proc = pandoc.run(args, "render", input=(head + paper.body).encode("utf-8"), capture_output=True,
                          timeout=timeout, env=env, cwd=str(paper.source.parent), preexec_fn=memory_limiter(memory_mb))
    except subprocess.TimeoutExpired:
        raise InputError(Problem(paper.rel_source, None, f"pandoc took longer than {timeout:g} s and was stopped",
                                 "simplify the post or raise publisher.timeout")) from None
    finally:
        for temporary in (bibliography, meta_file):
            if temporary is not None:
                temporary.unlink(missing_ok=True)
    stderr, xref_warnings = crossref.warnings(proc.stderr.decode("utf-8", "replace"), paper)
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
    body = hidden.drop_hidden(body)  # what the site never shows (style="display: none"): in no edition
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
        warnings=_warnings(stderr, offset, paper) + xref_warnings + raw_math_warnings,
        index=subject_index.marks(body) if "index-term" in body else [],  # issue 17
    )
