"""Jekyll's excerpt: text before the separator, else the first paragraph, as plain text."""
from __future__ import annotations

import re
from html.parser import HTMLParser

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": True}).enable("table")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "br", "li", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"):
            self.parts.append(" ")


def excerpt_markdown(body: str, separator: str) -> str:
    """The Markdown of the excerpt (Jekyll::Excerpt#extract_excerpt, simplified to its effect)."""
    body = body.lstrip("\n")
    if separator and separator in body:
        head = body.split(separator, 1)[0]
    elif separator == "\n\n" or not separator:
        head = body.split("\n\n", 1)[0]
    else:
        head = body
    return head


def to_plain(markdown: str) -> str:
    """Render Markdown and strip it to plain text with whitespace collapsed."""
    parser = _Text()
    parser.feed(_md.render(markdown))
    parser.close()
    return re.sub(r"\s+", " ", "".join(parser.parts)).strip()
