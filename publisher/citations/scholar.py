"""jekyll-scholar's Liquid tags → pandoc citation syntax (registered in publisher/jekyll/liquid.py).

| tag | becomes |
|---|---|
| `{% cite a b %}`, `{% citation a %}` | `[@a; @b]` |
| `{% cite a -l 23 %}` (`--locator`, and `-L`/`--label` for its kind) | `[@a, p. 23]` |
| `{% cite a --file other %}` | `[@a]`, and `other.bib` is read for the post |
| `{% reference a %}` | the full reference of `a`, as the style writes it in the list |
| `{% quote a %}…{% endquote %}` | a block quotation closed by the citation `[@a]` |
| `{% bibliography %}` | the reference list here, with every entry of the bibliography |
| `{% bibliography --cited %}`, `--cited_in_order` | the reference list here, with the cited entries |
| `{% bibliography --file x --query @article %}` | entries of x.bib of that type (`[field=…]` conditions are not read) |

An option these tags do not know gives a warning naming it; the tag still does what it can.
"""
from __future__ import annotations

import io
import re
import shlex

from ..jekyll import liquid as jl
from . import markers

_LABELS = {"page": "p.", "pages": "pp.", "chapter": "chap.", "section": "sec.", "paragraph": "para.",
           "figure": "fig.", "volume": "vol.", "line": "l.", "note": "n.", "verse": "v.", "book": "bk."}


class CiteTag(jl._InlineTag):
    name = "cite"


class CitationTag(jl._InlineTag):
    name = "citation"


class ReferenceTag(jl._InlineTag):
    name = "reference"


class BibliographyTag(jl._InlineTag):
    name = "bibliography"


class QuoteTag(jl.HighlightTag):
    name = "quote"
    end = "endquote"


def _words(expr: str) -> list[str]:
    try:
        return shlex.split(expr)
    except ValueError:
        return expr.split()


def _options(node, context, state, allowed: dict[str, bool]) -> tuple[list[str], dict[str, list[str]]]:
    """The tag's keys and its options (name → values); ALLOWED maps option → takes a value."""
    words = _words(jl._render_text(node.expr, context))
    keys: list[str] = []
    opts: dict[str, list[str]] = {}
    i = 0
    while i < len(words):
        w = words[i]
        if w.startswith("-") and len(w) > 1:
            name = {"-f": "--file", "-l": "--locator", "-L": "--label", "-q": "--query",
                    "-c": "--cited", "-p": "--prefix", "-s": "--style"}.get(w, w)
            if name not in allowed:
                jl._warn(state, jl._line(node.token, state), f"{node.tag_name}: option '{w}' is not supported; ignored",
                         "publisher reads " + ", ".join(sorted(allowed)))
                takes = i + 1 < len(words) and not words[i + 1].startswith("-") and node.tag_name == "bibliography"
                i += 2 if takes else 1
                continue
            if allowed[name] and i + 1 < len(words):
                opts.setdefault(name, []).append(words[i + 1])
                i += 2
            else:
                opts.setdefault(name, []).append("")
                i += 1
            continue
        keys.append(w)
        i += 1
    return keys, opts


def _files(opts: dict[str, list[str]]) -> str:
    return "".join(markers.mark("file", f) for f in opts.get("--file", []) if f)


def _render_cite(node, context, buffer, state) -> int:
    keys, opts = _options(node, context, state, {"--file": True, "--locator": True, "--label": True,
                                                  "--prefix": True, "--suffix": True})
    if not keys:
        jl._warn(state, jl._line(node.token, state), f"{node.tag_name} without a key; removed",
                 f"write {{% {node.tag_name} key %}}")
        return 0
    labels = opts.get("--label", [])
    locators = []
    for i, loc in enumerate(opts.get("--locator", [])):
        label = labels[i] if i < len(labels) else "page"
        locators.append(f"{_LABELS.get(label, label)} {loc}")
    buffer.write(_files(opts) + markers.citation(keys, locators))
    return 1


def _render_reference(node, context, buffer, state) -> int:
    keys, opts = _options(node, context, state, {"--file": True})
    if not keys:
        jl._warn(state, jl._line(node.token, state), "reference without a key; removed", "write {% reference key %}")
        return 0
    # A span the citations filter fills with the entry as the style writes it; the citation inside it
    # resolves the key (and gives the warning and marker when it is missing).
    buffer.write(_files(opts) + " ".join(f"[{markers.citation([k])}]{{.citation-reference}}" for k in keys))
    return 1


def _render_quote(node, context, buffer, state) -> int:
    inner = io.StringIO()
    node.children_nodes.render(context, inner)
    keys, opts = _options(node, context, state, {"--file": True, "--locator": True})
    lines = inner.getvalue().strip("\n").split("\n")
    quoted = "\n".join(("> " + ln).rstrip() for ln in lines)
    cite = (" — " + markers.citation(keys, [f"p. {x}" for x in opts.get("--locator", [])])) if keys else ""
    buffer.write(_files(opts) + "\n" + quoted + "\n>\n>" + cite + "\n")
    return 1


def _render_bibliography(node, context, buffer, state) -> int:
    keys, opts = _options(node, context, state, {"--file": True, "--cited": False, "--cited_in_order": False,
                                                  "--query": True, "--template": True, "--style": True})
    out = _files(opts)
    if "--cited" not in opts and "--cited_in_order" not in opts:
        queries = opts.get("--query", []) or ["@*"]
        for q in queries:
            m = re.match(r"@(\*|[A-Za-z]+)", q.strip())
            if not m:
                jl._warn(state, jl._line(node.token, state), f"bibliography: query '{q}' is not supported; "
                         "every entry is listed", "publisher reads --query @type, e.g. @article")
            if m and "[" in q:
                jl._warn(state, jl._line(node.token, state), f"bibliography: the conditions in query '{q}' are "
                         "not read; every entry of that type is listed")
            out += markers.mark("nocite", m.group(1).lower() if m else "*")
    for flag in ("--template", "--style"):
        if flag in opts:
            jl._warn(state, jl._line(node.token, state), f"bibliography: option '{flag}' is not used; "
                     "the paper's citation style applies", "set csl: in the front matter or publisher: csl:")
    buffer.write(out + "\n\n::: {#refs}\n:::\n\n")
    return 1


TAGS = (CiteTag, CitationTag, ReferenceTag, BibliographyTag, QuoteTag)
RENDERERS = {"cite": _render_cite, "citation": _render_cite, "reference": _render_reference,
             "quote": _render_quote, "bibliography": _render_bibliography}


def register(env) -> None:
    """Add jekyll-scholar's tags to the python-liquid environment ENV."""
    for tag in TAGS:
        env.add_tag(tag)
    jl._RENDERERS.update(RENDERERS)
