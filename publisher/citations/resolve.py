"""The citations stage (after Liquid and kramdown, before pandoc): which bibliography a post uses,
which keys it cites, and which of them are missing.

Bibliography lookup, first found wins:
1. the post's `bibliography:` front matter (a name or a list), and files named by `<d-bibliography src>`
   or `{% cite … --file x %}`; a name is looked for beside the post, in `assets/bibliography/`,
   `_bibliography/`, the site's `scholar: source:` folder, and as a path from the site root;
2. a `references:` list in the front matter (CSL YAML);
3. the site's default: `publisher: bibliography:`, else jekyll-scholar's `scholar: source:` + `bibliography:`.
A file outside the site root is refused. The bibliography and style files become the paper's
dependencies, so the cache rebuilds the paper when they change.
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

from ..model import Paper, Problem
from ..resources import STYLES_DIR
from . import bibfiles, htmlblocks, markers

SHIPPED_STYLES = {"author-date": "author-date.csl", "numeric": "numeric.csl"}
CSL_DIR = STYLES_DIR / "csl"
_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_CITE = re.compile(r"(?<![\w@])(-?)@(\{[^{}\n]*\}|[^\W](?:[^\W]|[:.#$%&\-+?<>~/](?=[^\W]))*)")
_REFS_DIV = re.compile(r"^:::+\s*\{#refs\}\s*$", re.M)
_REFS_PAIR = re.compile(r"^:::+[ \t]*\{#refs\}[ \t]*\n:::+[ \t]*$", re.M)
# BibTeX entry types that a `--query @type` selects, by CSL type
_QUERY_TYPES = {"article": {"article-journal", "article", "article-magazine", "article-newspaper"},
                "book": {"book"}, "inproceedings": {"paper-conference"}, "conference": {"paper-conference"},
                "incollection": {"chapter"}, "misc": {"document", "webpage", "article", "post"},
                "phdthesis": {"thesis"}, "mastersthesis": {"thesis"}, "techreport": {"report"}}


def _mask(body: str) -> str:
    from ..citations.distill import _mask_code

    masked = _mask_code(body)
    return _COMMENT.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), masked)


def citations(body: str, masked: str | None = None) -> list[tuple[str, int, bool, int]]:
    """Every citation key in BODY (pandoc Markdown) as (key, 0-based line, bracketed, offset), in order.
    Code, comments and link texts (`[@x](url)`) are not citations."""
    masked = masked if masked is not None else _mask(body)
    found = []
    for m in _CITE.finditer(masked):
        key = m.group(2)
        key = key[1:-1].strip() if key.startswith("{") else key
        open_at = max(masked.rfind("[", 0, m.start()), -1)
        close_before = masked.rfind("]", 0, m.start())
        close_at = masked.find("]", m.end())
        open_after = masked.find("[", m.end())
        bracketed = open_at > close_before and masked[open_at - 1:open_at] != "^" and close_at != -1 and (open_after == -1 or open_after > close_at) \
            and "\n\n" not in masked[open_at:close_at]
        if bracketed and masked[close_at + 1:close_at + 2] in ("(", "["):
            continue  # a link text, not a citation
        if not bracketed and m.group(1):
            continue
        found.append((key, masked.count("\n", 0, m.start()), bracketed, m.start()))
    return found


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def _candidates(name: str, paper: Paper, site) -> list[Path]:
    root = site.root
    name = name.strip()
    scholar = site.raw.get("scholar") if isinstance(site.raw.get("scholar"), dict) else {}
    source = str(scholar.get("source") or "").strip().strip("/")
    bases = [paper.source.parent, root / "assets" / "bibliography", root / "_bibliography"]
    if source:
        bases.append(root / source)
    found = []
    if name.startswith("/"):
        found.append(root / name.lstrip("/"))
    for base in bases:
        found.append(base / name)
    found.append(root / name)
    with_suffix = []
    for p in found:
        with_suffix.append(p)
        if not p.suffix:
            with_suffix.append(p.with_suffix(".bib"))
    return with_suffix


def find_file(name: str, paper: Paper, site, line: int | None) -> tuple[Path | None, Problem | None]:
    """The bibliography file NAME names for PAPER, or why there is none."""
    if not name.strip():
        return None, None
    for path in _candidates(name, paper, site):
        if not _inside(path, site.root):
            return None, Problem(paper.rel_source, line, f"bibliography '{name}' is outside the site; refused",
                                 "keep bibliography files inside the site, e.g. in assets/bibliography/")
        if path.is_file():
            return path, None
    return None, Problem(paper.rel_source, line, f"bibliography file '{name}' not found",
                         "put it in assets/bibliography/ or _bibliography/, or next to the post",
                         severity="warning")


def _front_line(paper: Paper, key: str) -> int | None:
    try:
        text = paper.source.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for i, line in enumerate(text.split("\n")[: max(paper.body_line - 1, 1)], start=1):
        if re.match(rf"\s*{re.escape(key)}\s*:", line):
            return i
    return None


def default_bibliography(site) -> str:
    """The site's default bibliography name: publisher.bibliography, else scholar: source + bibliography."""
    if site.options.bibliography:
        return site.options.bibliography
    scholar = site.raw.get("scholar") if isinstance(site.raw.get("scholar"), dict) else {}
    name = str(scholar.get("bibliography") or "").strip()
    if not name:
        return ""
    source = str(scholar.get("source") or "").strip().strip("/")
    return "/" + (f"{source}/{name}" if source else name)


def style_file(paper: Paper, site) -> tuple[Path | None, Problem | None]:
    """The CSL style: `csl:` in the front matter, else `publisher: csl:`, else the shipped author-date."""
    value = paper.meta.get("csl")
    where, line = paper.rel_source, _front_line(paper, "csl")
    if not isinstance(value, str) or not value.strip():
        value, where, line = site.options.csl, "_config.yml", None
    value = (value or "author-date").strip()
    if value in SHIPPED_STYLES:
        return CSL_DIR / SHIPPED_STYLES[value], None
    path = (site.root / value.lstrip("/")) if not value.startswith(".") else (paper.source.parent / value)
    if not _inside(path, site.root):
        return CSL_DIR / SHIPPED_STYLES["author-date"], Problem(
            where, line, f"citation style '{value}' is outside the site; refused (author-date is used)",
            "keep .csl files inside the site")
    if not path.is_file():
        return CSL_DIR / SHIPPED_STYLES["author-date"], Problem(
            where, line, f"citation style '{value}' not found; author-date is used",
            "name a shipped style (" + ", ".join(SHIPPED_STYLES) + ") or a .csl file in the site", severity="warning")
    return path, None


def prepare(paper: Paper, site) -> None:
    """Resolve PAPER's citations: set paper.references (the entries its reference list shows),
    paper.citations (style, title, reader switch), its dependencies and its warnings."""
    from ..pandoc import pandoc_path

    body, marks = markers.take(paper.body)
    cited = []
    if "@" in body:  # no '@', no citation: the masking (a fifth of `publisher list`) is skipped
        body = htmlblocks.join_adjacent(body, _mask(body))
        masked = _mask(body)
        cited = citations(body, masked)
    if cited and "<" in body:
        everywhere = paper.source.suffix.lower() in (".html", ".htm")  # a post written in HTML: all of it is HTML
        body = htmlblocks.protect(body, masked, [at for _, _, bracketed, at in cited if bracketed], everywhere)
    divs = list(_REFS_PAIR.finditer(body))
    for m in reversed(divs[1:]):  # one reference list per paper: the first place asked for
        body = body[:m.start()] + "\n" * m.group(0).count("\n") + body[m.end():]
    paper.body = body
    nocite = [v for k, v in marks if k == "nocite"]
    explicit = [v for k, v in marks if k == "file"]
    if not cited and not nocite and not _REFS_DIV.search(body):
        return
    front = paper.meta.get("bibliography")
    if not any(b for _, _, b, _ in cited) and not nocite and not explicit and not _REFS_DIV.search(body) \
            and not front and not isinstance(paper.meta.get("references"), list):
        return  # only bare @words, and no bibliography named: kramdown's text, as Jekyll shows it
    problems: list[Problem] = []
    names: list[tuple[str, int | None]] = []
    line = _front_line(paper, "bibliography")
    for name in (front if isinstance(front, list) else [front]):
        if isinstance(name, str) and name.strip():
            names.append((name, line))
    names += [(n, None) for n in explicit]
    files: list[Path] = []
    for name, at in dict.fromkeys(names):
        path, problem = find_file(name, paper, site, at)
        if problem:
            problems.append(problem)
        if path and path not in files:
            files.append(path)
    items: list[dict] = []
    sources: list[str] = []
    if not files and isinstance(paper.meta.get("references"), list):
        items = bibfiles.csl_items(paper.meta["references"], paper.rel_source, problems)
        sources = ["the front matter's references"]
    if not files and not items and not names:
        default = default_bibliography(site)
        if default:
            path, problem = find_file(default, paper, site, None)
            if problem:
                problems.append(Problem("_config.yml", None, problem.message, problem.hint, severity="warning"))
            if path:
                files.append(path)
    for path in files:
        rel = path.resolve().relative_to(site.root.resolve()).as_posix()
        if rel not in paper.dependencies:
            paper.dependencies.append(rel)
        bib = bibfiles.read(path, rel, pandoc_path(), timeout=site.options.timeout)
        problems.extend(bib.problems)
        have = {i["id"] for i in items}
        items += [i for i in bib.items if i["id"] not in have]
        sources.append(path.name)
    by_key = {i["id"]: i for i in items}
    listed: dict[str, dict] = {}
    where = ", ".join(sources) or "any bibliography"
    for key, index, bracketed, _ in cited:
        if key in by_key:
            listed.setdefault(key, by_key[key])
        elif bracketed:
            close = difflib.get_close_matches(key, list(by_key), n=1)
            hint = f"did you mean '{close[0]}'?" if close else (
                f"add an entry '{key}' to {sources[0]}" if sources else
                "name the post's bibliography file with bibliography: in the front matter")
            line = paper.line_map[index] if 0 <= index < len(paper.line_map) else index + paper.body_line
            problems.append(Problem(paper.rel_source, line, f"citation key '{key}' is not in {where}",
                                    hint, severity="warning"))
    for what in nocite:
        for item in items:
            if what == "*" or item.get("_type") == what or item.get("type") in _QUERY_TYPES.get(what, {what}):
                listed.setdefault(item["id"], item)
    csl, problem = style_file(paper, site)
    if problem:
        problems.append(problem)
    if csl and csl.parent != CSL_DIR:
        rel = csl.resolve().relative_to(site.root.resolve()).as_posix()
        if rel not in paper.dependencies:
            paper.dependencies.append(rel)
    paper.references = list(listed.values())
    paper.citations = {"on": True, "csl": str(csl), "title": site.options.references_title}
    paper.warnings.extend(problems)
