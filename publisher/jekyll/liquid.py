"""Jekyll's Liquid, with python-liquid: site/page variables, raw, highlight, include, post_url, link.

Liquid runs on the post body before kramdown and pandoc, as in Jekyll (which renders Liquid inside
fenced code blocks too, unless they are wrapped in {% raw %}). Jekyll-only tags are python-liquid
Tag classes below. A tag that neither Jekyll nor Liquid knows is reported with file:line and
removed; a template that still cannot be parsed is reported and its Liquid markup removed, so no
Liquid syntax reaches an edition.
"""
from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from liquid import Environment
from liquid.ast import Node
from liquid.builtin.expressions import FilteredExpression, tokenize
from liquid.exceptions import LiquidError
from liquid.stream import TokenStream
from liquid.tag import Tag

from ..model import Problem
from . import has_liquid, names, plugin_tags, theme_includes
from .markdownify import markdownify

MAX_INCLUDE_DEPTH = 10
# Tags python-liquid knows plus the inner/end tags of blocks; anything else is unknown.
_INNER_TAGS = {"else", "elsif", "when", "break", "continue", "endif", "endunless", "endfor", "endcase",
               "endcapture", "endcomment", "endraw", "endtablerow", "endhighlight", "endifchanged", "enddoc"}
_TAG_RE = re.compile(r"\{%-?\s*([A-Za-z_][\w-]*)(.*?)-?%\}", re.S)
_RAW_RE = re.compile(r"\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}", re.S)
_OUTPUT_RE = re.compile(r"\{\{.*?\}\}", re.S)
_FILTER_RE = re.compile(r"\|\s*([A-Za-z_]\w*)")
_PARAM_RE = re.compile(r"""([\w-]+)\s*=\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[\w.\[\]"'-]+)""")


@dataclass
class SiteIndex:
    """What Liquid needs to know about the whole site: variables and every post's URL."""

    root: Path
    variables: dict[str, Any] = field(default_factory=dict)  # `site.*`
    post_urls: dict[str, str] = field(default_factory=dict)  # "2020-01-01-name" and "cat/2020-..." → URL
    path_urls: dict[str, str] = field(default_factory=dict)  # "_posts/2020-01-01-name.md" → URL
    absolute_base: str = ""  # site url + baseurl, prepended to resolved post URLs
    sources: dict[str, str] = field(default_factory=dict)  # URL → source path (a post's dependencies)


@dataclass
class RenderState:
    """Per-post state shared with the custom tags while one body renders."""

    file: str
    body_line: int
    source_dir: Path
    index: SiteIndex
    problems: list[Problem] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)
    depth: int = 0


def _line(token, state: RenderState) -> int | None:
    try:
        return token.source.count("\n", 0, token.start_index) + state.body_line
    except AttributeError:
        return None


def _warn(state: RenderState, line: int | None, message: str, hint: str = "") -> None:
    state.problems.append(Problem(state.file, line, message, hint, severity="warning"))


def _evaluate(text: str, context, env, token) -> Any:
    """Evaluate a Liquid expression (a literal or a variable path, with filters) in CONTEXT."""
    expr = FilteredExpression.parse(env, TokenStream(tokenize(text, parent_token=token)))
    return expr.evaluate(context)


class _ExprNode(Node):
    """A node that keeps its tag's raw expression text and renders through a callback."""

    __slots__ = ("expr", "tag_name", "children_nodes")

    def __init__(self, token, expr: str, tag_name: str, children_nodes=None):
        super().__init__(token)
        self.expr = expr
        self.tag_name = tag_name
        self.children_nodes = children_nodes
        self.blank = False  # writes output: never suppressed inside an {% if %} (include, highlight …)

    def __str__(self) -> str:
        return f"{{% {self.tag_name} {self.expr} %}}"

    def render_to_output(self, context, buffer: TextIO) -> int:
        state: RenderState = context.globals["__publisher__"]
        renderer = _RENDERERS[self.tag_name]
        try:
            return renderer(self, context, buffer, state) or 0
        except Exception as exc:  # a bad tag argument never stops the post
            _warn(state, _line(self.token, state), f"{self.tag_name} {self.expr!r}: "
                  f"{getattr(exc, 'message', None) or exc}; removed")
            return 0


class _InlineTag(Tag):
    block = False

    def parse(self, stream):
        token, expr = plugin_tags.tag_expression(stream)
        return _ExprNode(token, expr.strip(), self.name)


class IncludeTag(_InlineTag):
    name = "include"


class IncludeRelativeTag(_InlineTag):
    name = "include_relative"


class PostUrlTag(_InlineTag):
    name = "post_url"


class LinkTag(_InlineTag):
    name = "link"


class HighlightTag(Tag):
    """{% highlight lang [linenos] %}…{% endhighlight %}: the body is kept as code (Liquid inside is
    rendered, as Jekyll's Liquid::Block does)."""

    name = "highlight"
    end = "endhighlight"
    block = True

    def parse(self, stream):
        token, expr, block = plugin_tags.block_parts(self, stream)
        return _ExprNode(token, expr.strip(), self.name, block)


def _render_text(text: str, context) -> str:
    """Render Liquid inside a tag argument (`{% include {{ page.file }}.html %}`) with site and page."""
    if "{{" not in text:
        return text
    return context.env.from_string(text).render(**{k: context.resolve(k) for k in ("site", "page", "include")})


_NAME_AND_REST = re.compile(r"^((?:\{\{.*?\}\}|[^\s{])+)\s*(.*)$", re.S)


def _include_params(expr: str, context, env, token) -> tuple[str, dict]:
    """Split `file.html a="x" b=page.y` into the file name and the evaluated parameters."""
    m = _NAME_AND_REST.match(expr.strip())
    if not m:
        return "", {}
    name, rest = _render_text(m.group(1), context), m.group(2)
    params: dict[str, Any] = {}
    for key, value in _PARAM_RE.findall(rest):
        if value[:1] in "\"'":
            params[key] = _render_text(value[1:-1], context)
        else:
            params[key] = _evaluate(value, context, env, token)
    return name, params


def _render_file(node, context, buffer, state: RenderState, base: Path, name: str, params: dict) -> int:
    """Render an included file with `include.*` set; refuse files outside BASE."""
    line = _line(node.token, state)
    root = state.index.root.resolve()
    target = (base / name).resolve()
    allowed = base.resolve()
    if ".." in Path(name).parts or not (target == allowed or allowed in target.parents) or \
            not (target == root or root in target.parents):
        _warn(state, line, f"{node.tag_name} '{name}' points outside {base.relative_to(root).as_posix() or 'the site'}; "
              "refused", "include files from _includes/ (or beside the post with include_relative)")
        return 0
    if not target.is_file():
        stand_in = theme_includes.builtin(name) if node.tag_name == "include" else None
        if stand_in is not None:  # a theme's figure/gallery/video include the site does not have
            page = context.resolve("page")
            baseurl = context.env.filters["relative_url"]("")
            buffer.write(stand_in(params, page if isinstance(page, dict) else {}, baseurl))
            return 1
        _warn(state, line, f"{node.tag_name}: file '{name}' not found in "
              f"{base.relative_to(root).as_posix() or '.'}; removed", "check the file name")
        return 0
    if state.depth >= MAX_INCLUDE_DEPTH:
        _warn(state, line, f"includes nested more than {MAX_INCLUDE_DEPTH} deep; '{name}' not included")
        return 0
    rel = target.relative_to(root).as_posix()
    if rel not in state.dependencies:
        state.dependencies.append(rel)
    try:
        text = target.read_text(encoding="utf-8-sig")
        template = context.env.from_string(text)
    except (OSError, UnicodeDecodeError, LiquidError) as exc:
        _warn(state, line, f"{node.tag_name} '{name}' cannot be read: {getattr(exc, 'message', exc)}; removed")
        return 0
    state.depth += 1
    try:
        with context.extend({"include": params}):
            template.render_with_context(context, buffer, partial=True)
    finally:
        state.depth -= 1
    return 1


def _render_include(node, context, buffer, state: RenderState) -> int:
    name, params = _include_params(node.expr, context, context.env, node.token)
    return _render_file(node, context, buffer, state, state.index.root / "_includes", name, params)


def _render_include_relative(node, context, buffer, state: RenderState) -> int:
    name, params = _include_params(node.expr, context, context.env, node.token)
    return _render_file(node, context, buffer, state, state.source_dir, name, params)


def _absolute(state: RenderState, url: str) -> str:
    """The target's full URL; its source becomes a dependency of the post that links to it."""
    source = state.index.sources.get(url)
    if source and source not in state.dependencies:
        state.dependencies.append(source)
    return state.index.absolute_base + url


def _render_post_url(node, context, buffer, state: RenderState) -> int:
    key = _render_text(node.expr, context).strip().lstrip("/")
    return _write_url(state, node, buffer, state.index.post_urls.get(key), f"post_url: no post named '{key}'; removed",
                      "write the post's file name without extension, e.g. 2020-01-31-name")


def _render_link(node, context, buffer, state: RenderState) -> int:
    key = node.expr.strip()
    key = _render_text(key, context).strip().lstrip("/")
    url = state.index.path_urls.get(key)
    if url is None:
        target = (state.index.root / key)
        if target.is_file() and Path(key).suffix.lower() in (".md", ".markdown", ".html"):
            url = "/" + re.sub(r"\.(md|markdown)$", ".html", key)
        elif target.is_file():
            url = "/" + key
    return _write_url(state, node, buffer, url, f"link: no file '{key}' in the site; removed",
                      "link to a file path relative to the site root, e.g. _posts/2020-01-31-name.md")


def _write_url(state: RenderState, node, buffer, url: str | None, missing: str, hint: str) -> int:
    """Write URL as an absolute address; a missing target is reported at the tag's line and writes nothing."""
    if url is None:
        _warn(state, _line(node.token, state), missing, hint)
        return 0
    buffer.write(_absolute(state, url))
    return 1


def _render_highlight(node, context, buffer, state: RenderState) -> int:
    import io

    inner = io.StringIO()
    node.children_nodes.render(context, inner)
    code = inner.getvalue().strip("\n")
    words = node.expr.split()
    lang = words[0] if words else ""
    # pandoc's attribute syntax takes no '+' or '#' in a class: c++ → cpp, c# → csharp (pandoc's names)
    name = lang.replace("+", "p").replace("#", "sharp")
    classes = [f".{name}"] if re.fullmatch(r"[\w+#.-]+", lang) and re.fullmatch(r"[\w.-]+", name) else []
    if any(w == "linenos" or w.startswith("linenos=") for w in words[1:]):
        classes.append(".numberLines")
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    attrs = "{" + " ".join(classes) + "}" if classes else ""
    # Line for line with the source when the tags stand on their own lines (fences may interrupt a
    # paragraph in pandoc Markdown); a newline is added only where the tag shares a line with text.
    source = node.token.source
    at_line_start = node.token.start_index <= 0 or source[:node.token.start_index].endswith("\n")
    buffer.write(("" if at_line_start else "\n") + f"{fence}{attrs}\n{code}\n{fence}")
    return 1


_RENDERERS = {
    "include": _render_include,
    "include_relative": _render_include_relative,
    "post_url": _render_post_url,
    "link": _render_link,
    "highlight": _render_highlight,
}


# Jekyll's own filters (the ones posts use), beside Liquid's standard ones.
def _date_to_string(value, *args):
    when = _to_datetime(value)
    return when.strftime("%d %b %Y") if when else value


def _date_to_long_string(value, *args):
    when = _to_datetime(value)
    return when.strftime("%d %B %Y") if when else value


def _to_datetime(value):
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    from dateutil import parser

    try:
        return parser.parse(str(value))
    except (ValueError, OverflowError):
        return None


def make_environment(site_url: str, baseurl: str) -> Environment:
    """A python-liquid environment with Jekyll's tags and common filters."""
    env = Environment(strict_filters=False)
    for tag in (IncludeTag, IncludeRelativeTag, PostUrlTag, LinkTag, HighlightTag):
        env.add_tag(tag)
    plugin_tags.register(env)  # common plugins' tags (twitter, details, tabs …): jekyll/plugin_tags.py
    from ..citations import scholar  # jekyll-scholar's cite, reference, quote and bibliography (issue 14)

    scholar.register(env)

    def relative_url(value):
        text = str(value or "")
        return baseurl + ("" if text.startswith("/") or not text else "/") + text

    env.add_filter("relative_url", relative_url)
    env.add_filter("absolute_url", lambda v: site_url + relative_url(v))
    env.add_filter("date_to_string", _date_to_string)
    env.add_filter("date_to_long_string", _date_to_long_string)
    env.add_filter("date_to_xmlschema", lambda v: (_to_datetime(v) or v).isoformat() if _to_datetime(v) else v)
    env.add_filter("xml_escape", lambda v: html.escape(str(v or ""), quote=True))
    env.add_filter("cgi_escape", lambda v: __import__("urllib.parse").parse.quote_plus(str(v or "")))
    env.add_filter("uri_escape", lambda v: __import__("urllib.parse").parse.quote(str(v or ""), safe="/:?=&#%+,;@!$*'()~"))
    env.add_filter("slugify", lambda v, mode="default": names.slugify(str(v or ""), mode=mode))
    env.add_filter("jsonify", lambda v: json.dumps(v, default=str, ensure_ascii=False))
    env.add_filter("number_of_words", lambda v: len(str(v or "").split()))
    env.add_filter("markdownify", lambda v: markdownify(str(v if v is not None else "")))
    env.add_filter("normalize_whitespace", lambda v: re.sub(r"\s+", " ", str(v or "")).strip())
    env.add_filter("array_to_sentence_string", lambda v, c="and": _sentence(v, c))
    return env


def _sentence(items, connector: str) -> str:
    items = [str(i) for i in (items or [])]
    if len(items) <= 2:
        return f" {connector} ".join(items)
    return ", ".join(items[:-1]) + f", {connector} " + items[-1]


def _mask(text: str, pattern: re.Pattern) -> str:
    """TEXT with PATTERN's matches blanked (same length) so that scans skip them."""
    return pattern.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def _remove_unknown_tags(text: str, env: Environment, state: RenderState) -> str:
    """Report and remove tags neither Liquid nor Jekyll knows (outside {% raw %})."""
    masked = _mask(text, _RAW_RE)
    known = set(env.tags) | _INNER_TAGS | {"raw", "endraw"}
    cuts = []
    for m in _TAG_RE.finditer(masked):
        name = m.group(1)
        if name not in known and not (name.startswith("end") and name[3:] in known
                                      and name[3:] not in plugin_tags.INLINE):
            line = masked.count("\n", 0, m.start()) + state.body_line
            if not name.startswith("end"):
                _warn(state, line, f"unknown Liquid tag '{name}'; removed",
                      "publisher supports Liquid's tags, Jekyll's include, include_relative, highlight, "
                      "post_url and link, and common plugins' tags (docs/real-sites.md); other plugin tags "
                      "are not run")
            cuts.append((m.start(), m.end()))
    for start, end in reversed(cuts):
        text = text[:start] + "\n" * text.count("\n", start, end) + text[end:]
    return text


def _report_unknown_filters(text: str, env: Environment, state: RenderState) -> None:
    masked = _mask(text, _RAW_RE)
    for m in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", masked, re.S):
        for f in _FILTER_RE.finditer(m.group(0)):
            if f.group(1) not in env.filters:
                line = masked.count("\n", 0, m.start()) + state.body_line
                _warn(state, line, f"unknown Liquid filter '{f.group(1)}'; ignored",
                      "plugin filters are not run")


def strip_liquid(text: str) -> str:
    """Remove Liquid markup (keeping the text of raw blocks): the fallback for broken templates."""
    raws: list[str] = []

    def keep(m):
        raws.append(re.sub(r"^\{%-?\s*raw\s*-?%\}|\{%-?\s*endraw\s*-?%\}$", "", m.group(0)))
        return f"\x00{len(raws) - 1}\x00"

    text = _RAW_RE.sub(keep, text)
    text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"\x00(\d+)\x00", lambda m: raws[int(m.group(1))], text)


def render(body: str, page: dict[str, Any], state: RenderState, env: Environment) -> str:
    """Render BODY's Liquid with `site`, `page` and Jekyll's tags; problems go to STATE.

    As Jekyll's default (lax) Liquid does, markup that cannot be parsed is reported and removed on
    its own, and the rest of the post still renders (liquid_lax.py); only when the faulty markup
    cannot be found is all Liquid markup removed."""
    if not has_liquid(body):
        return body
    from .liquid_lax import MAX_REPAIRS, plain_raw_tags, remove_markup_at

    body = _remove_unknown_tags(plain_raw_tags(body), env, state)
    _report_unknown_filters(body, env, state)

    for _attempt in range(MAX_REPAIRS + 1):
        try:
            template = env.from_string(body, globals={"__publisher__": state})
            return template.render(site=state.index.variables, page=page, paginator={},
                                   jekyll={"environment": "production"})
        except LiquidError as exc:
            token = getattr(exc, "token", None)
            at = getattr(token, "start_index", -1) if token is not None else -1
            line = body.count("\n", 0, at) + state.body_line if at is not None and at >= 0 else None
            message = getattr(exc, "message", None) or str(exc).split("\n")[0]
            repaired = None
            if _attempt < MAX_REPAIRS:
                repaired, where = remove_markup_at(body, at if at is not None else -1, message)
                if repaired is not None and line is None:
                    line = body.count("\n", 0, where) + state.body_line
            if repaired is not None:
                _warn(state, line, f"Liquid: {message}; that markup was removed",
                      "fix the tag, or wrap literal {{ }} and {% %} in {% raw %}…{% endraw %}")
                body = repaired
                continue
            _warn(state, line, f"Liquid: {message}; the post's Liquid markup was removed",
                  "fix the tag, or wrap literal {{ }} and {% %} in {% raw %}…{% endraw %}")
            return strip_liquid(body)
    return strip_liquid(body)
