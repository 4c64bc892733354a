"""Liquid tags of common Jekyll plugins, mapped to what an edition can carry.

Jekyll sites run plugins publisher does not run. The common ones get an equivalent here (python-liquid
Tag classes, registered by liquid.make_environment):

- `{% twitter URL %}` (jekyll-twitter-plugin), `{% youtube ID-or-URL %}`, `{% vimeo ID %}`,
  `{% gist ID [file] %}` (jekyll-gist): a captioned link to the original (a figure of class "embed",
  like iframes get in print).
- `{% details Summary %}…{% enddetails %}` (al-folio): `<details><summary>Summary</summary>…</details>`,
  the content read as Markdown.
- `{% tabs group %}{% tab group Label %}…{% endtab %}{% endtabs %}` (jekyll-tabs): one section per tab,
  headed by its label, the content read as Markdown.
- `{% mermaid %}…{% endmermaid %}` (jekyll-mermaid): the diagram's source as a code block of class
  `mermaid` (the diagram is not drawn), with a warning.
- `{% jupyter_notebook PATH %}` (al-folio): a link to the notebook, with a warning (it is not rendered);
  `{% file_exists PATH %}` (al-folio): "true" or "false" for a file under the site root.

Any other unknown tag is still reported with file:line and removed (liquid._remove_unknown_tags).
"""
from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from liquid.ast import Node
from liquid.parser import get_parser
from liquid.stream import TokenStream  # noqa: F401 - the type the Tag.parse methods receive
from liquid.tag import Tag
from liquid.token import TOKEN_EXPRESSION, TOKEN_TAG

INLINE = ("twitter", "youtube", "vimeo", "gist", "jupyter_notebook", "file_exists")
BLOCKS = ("details", "tabs", "tab", "mermaid")


class _PluginNode(Node):
    """One plugin tag: its name, its raw argument text and (for blocks) its body."""

    __slots__ = ("name", "expr", "block")

    def __init__(self, token, name: str, expr: str, block=None):
        super().__init__(token)
        self.name, self.expr, self.block = name, expr, block
        self.blank = False  # it writes output: never suppressed as a blank block

    def __str__(self) -> str:
        return f"{{% {self.name} {self.expr} %}}"

    def render_to_output(self, context, buffer: TextIO) -> int:
        from .liquid import _line, _warn

        state = context.globals["__publisher__"]
        inner = ""
        if self.block is not None:
            out = io.StringIO()
            self.block.render(context, out)
            inner = out.getvalue()
        try:
            text, warning = _RENDER[self.name](self.expr.strip(), inner, context, state)
        except Exception as exc:  # noqa: BLE001 - a bad argument never stops the post
            text, warning = "", f"{self.name} {self.expr.strip()!r}: {exc}; removed"
        if warning:
            _warn(state, _line(self.token, state), warning[0], warning[1])
        if text.startswith("\n"):  # a block of its own: never glued to the paragraph before it
            source = self.token.source
            if self.token.start_index > 0 and not source[:self.token.start_index].endswith("\n"):
                text = "\n" + text
        buffer.write(text)
        return 1


def tag_expression(stream) -> tuple:
    """(the tag's token, its expression text) of an inline tag, leaving the stream on the tag's last
    token (the parser moves past it), so that the text after the tag is never swallowed."""
    token = stream.current
    expr = ""
    if stream.peek.kind == TOKEN_EXPRESSION:
        next(stream)
        expr = stream.current.value
    return token, expr


def block_parts(tag: Tag, stream) -> tuple:
    """(the tag's token, its expression text, its parsed body) of a block tag such as
    `{% details x %}…{% enddetails %}`, leaving the stream after the end tag."""
    token = stream.eat(TOKEN_TAG)
    expr = ""
    if stream.current.kind == TOKEN_EXPRESSION:
        expr = stream.current.value
        next(stream)
    block = get_parser(tag.env).parse_block(stream, frozenset((tag.end,)))
    stream.expect(TOKEN_TAG, value=tag.end)
    return token, expr, block


def _inline_tag(tag_name: str):
    class InlinePluginTag(Tag):
        name = tag_name
        block = False

        def parse(self, stream):
            token, expr = tag_expression(stream)
            return _PluginNode(token, self.name, expr)

    return InlinePluginTag


def _block_tag(tag_name: str):
    class BlockPluginTag(Tag):
        name = tag_name
        end = "end" + tag_name
        block = True

        def parse(self, stream):
            token, expr, block = block_parts(self, stream)
            return _PluginNode(token, self.name, expr, block)

    return BlockPluginTag


def register(env) -> None:
    """Add the plugin tags to a python-liquid ENV."""
    for name in INLINE:
        env.add_tag(_inline_tag(name))
    for name in BLOCKS:
        env.add_tag(_block_tag(name))


def end_tags() -> set[str]:
    """The closing tags of the block tags above (known to the unknown-tag scan)."""
    return {"end" + name for name in BLOCKS}


# ---- what each tag writes -------------------------------------------------------------------------------

def _embed(href: str, label: str, caption: str) -> str:
    """A captioned link as a raw HTML block, the same markup body.embeds_to_links gives an iframe."""
    link = f'<a href="{html.escape(href, quote=True)}">{html.escape(label)}</a>' if href else html.escape(label)
    return (f'\n\n<figure class="embed">\n<p class="embed-link">{link}</p>\n'
            f"<figcaption>{html.escape(caption)}</figcaption>\n</figure>\n\n")


def _first_word(expr: str) -> str:
    word = expr.split()[0] if expr.split() else ""
    return word.strip("\"'")


def _twitter(expr, inner, context, state):
    url = _first_word(expr)
    if urlsplit(url).scheme not in ("http", "https"):
        return "", ("twitter: no URL; removed", "write {% twitter https://twitter.com/user/status/ID %}")
    return _embed(url, url, "Post on X (Twitter): open the link to see it online."), None


def _youtube(expr, inner, context, state):
    arg = _first_word(expr)
    m = re.search(r"(?:v=|youtu\.be/|/embed/)([A-Za-z0-9_-]{6,})", arg)
    vid = m.group(1) if m else arg
    if not re.fullmatch(r"[A-Za-z0-9_-]{6,}", vid or ""):
        return "", (f"youtube: {arg!r} is not a video id; removed", "write {% youtube VIDEO_ID %}")
    url = f"https://www.youtube.com/watch?v={vid}"
    return _embed(url, url, "Video on YouTube: open the link to watch it online."), None


def _vimeo(expr, inner, context, state):
    vid = _first_word(expr).rstrip("/").rsplit("/", 1)[-1]
    if not vid.isdigit():
        return "", (f"vimeo: {vid!r} is not a video id; removed", "write {% vimeo VIDEO_ID %}")
    url = f"https://vimeo.com/{vid}"
    return _embed(url, url, "Video on Vimeo: open the link to watch it online."), None


def _gist(expr, inner, context, state):
    words = [w.strip("\"'") for w in expr.split()]
    if not words or not re.fullmatch(r"[\w.-]+(?:/[\w.-]+)?", words[0]):
        return "", ("gist: no gist id; removed", "write {% gist user/ID [file] %}")
    anchor = "#file-" + re.sub(r"[^\w-]", "-", words[1]).lower() if len(words) > 1 else ""
    url = f"https://gist.github.com/{words[0]}{anchor}"
    label = f"Gist {words[0]}" + (f", {words[1]}" if len(words) > 1 else "")
    return _embed(url, label, "Code on GitHub Gist: open the link to see it online."), None


def _resolve(expr: str, context) -> str:
    """A tag argument: a quoted string, or a variable's value (`{% jupyter_notebook path %}`)."""
    arg = expr.strip()
    if arg[:1] in "\"'" and arg[-1:] == arg[:1]:
        return arg[1:-1]
    value = context.resolve(arg) if re.fullmatch(r"[\w.]+", arg) else None
    return str(value) if value not in (None, "") and not _undefined(value) else arg


def _undefined(value) -> bool:
    return type(value).__name__.endswith("Undefined")


def _jupyter(expr, inner, context, state):
    path = _resolve(expr, context)
    name = Path(urlsplit(path).path).name or path
    return (_embed(path, name, "Jupyter notebook: open the link to see it online."),
            (f"jupyter_notebook '{path}' is not rendered; the editions link to it",
             "export the notebook's figures as images to show them in the PDF and EPUB"))


def _file_exists(expr, inner, context, state):
    rel = _resolve(expr, context).lstrip("/")
    root = state.index.root.resolve()
    target = (root / rel).resolve()
    ok = ".." not in Path(rel).parts and root in target.parents and target.is_file()
    return ("true" if ok else "false"), None


def _details(expr, inner, context, state):
    summary = html.escape(_resolve(expr, context).strip() or "Details")
    return f'\n\n<details markdown="1">\n<summary>{summary}</summary>\n\n{inner.strip(chr(10))}\n\n</details>\n\n', None


def _tabs(expr, inner, context, state):
    return f'\n\n<div class="tabs" markdown="1">\n\n{inner.strip(chr(10))}\n\n</div>\n\n', None


def _tab(expr, inner, context, state):
    words = expr.split(None, 1)
    label = html.escape((words[1] if len(words) > 1 else words[0] if words else "Tab").strip().strip("\"'"))
    return (f'\n\n<div class="tab" markdown="1">\n\n<p class="tab-label"><strong>{label}</strong></p>\n\n'
            f"{inner.strip(chr(10))}\n\n</div>\n\n"), None


def _mermaid(expr, inner, context, state):
    code = inner.strip("\n")
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return (f"\n\n{fence}{{.mermaid}}\n{code}\n{fence}\n\n",
            ("mermaid diagram is shown as its source (diagrams are not drawn)",
             "export the diagram as an SVG or PNG image to show it drawn in every edition"))


_RENDER = {"twitter": _twitter, "youtube": _youtube, "vimeo": _vimeo, "gist": _gist,
           "jupyter_notebook": _jupyter, "file_exists": _file_exists, "details": _details, "tabs": _tabs,
           "tab": _tab, "mermaid": _mermaid}
