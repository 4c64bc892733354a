"""Jekyll's excerpt: text before the separator (else the whole post), as plain text."""
from __future__ import annotations

import html
import re
from functools import lru_cache
from html.parser import HTMLParser

_LINK_DEF = re.compile(r"^ {0,3}\[[^\]\n]+\]:[ \t]*\S.*$", re.M)
# What could make Markdown print other than the text itself: a character that starts inline markup,
# an entity or HTML; a line that does not start with a letter (a list, heading, quote, fence, table,
# rule, setext underline or IAL); an indented line.
_MARKUP = re.compile(r"[\\`*_\[\]<>&!|~{}\x00]|^(?: {4}|\t)|^ *(?![^\W\d_])\S", re.M)


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "br", "li", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "tr", "td"):
            self.parts.append(" ")


def excerpt_markdown(body: str, separator: str) -> str:
    """Jekyll::Excerpt#extract_excerpt: the text before the separator (all of it when the separator
    is absent), with the link reference definitions found after it appended."""
    if not separator:
        return ""
    body = body.lstrip("\n")
    head, found, tail = body.partition(separator)
    if not found or not tail:
        return head
    definitions = _LINK_DEF.findall(tail)
    return head + ("\n\n" + "\n".join(definitions) if definitions else "")


def strip_html(text: str) -> str:
    """Liquid's strip_html followed by entity decoding and whitespace collapsing."""
    text = re.sub(r"<script.*?</script>|<!--.*?-->|<style.*?</style>", "", str(text), flags=re.S | re.I)
    text = re.sub(r"<.*?>", "", text, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(text)).strip()


def to_plain(markdown: str) -> str:
    """Render Markdown and strip it to plain text with whitespace collapsed (text without markup,
    the common excerpt, is its own plain text: it is not rendered)."""
    if not _MARKUP.search(markdown):
        return re.sub(r"\s+", " ", markdown).strip()
    return rendered_plain(markdown)


@lru_cache(maxsize=1)
def _markdown_it():
    """The CommonMark renderer, made (and markdown-it imported) when an excerpt has markup."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable("table")


def rendered_plain(markdown: str) -> str:
    """MARKDOWN rendered by markdown-it and stripped to plain text, whitespace collapsed."""
    parser = _Text()
    parser.feed(_markdown_it().render(markdown))
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()
