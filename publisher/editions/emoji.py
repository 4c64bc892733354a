"""Emoji in the PDF: each run of emoji is wrapped in `<span class="emoji">`, which print.css sets in the
colour emoji face it declares ("Noto Color Emoji", upright and regular), so that no emoji is left to the
system's font fallback nor drawn in a synthetic bold or oblique of that face (docs/editions.md).

An emoji is a character whose default presentation is emoji (Unicode's Emoji_Presentation, the table
below), any pictograph followed by VS16 (U+FE0F, "⚠️", "🖼️"), a keycap ("1️⃣"), a flag (two regional
indicators), with its skin-tone modifiers and tags, and ZWJ sequences of these ("👩‍🔬"). A pictograph
without VS16 whose default is text ("©", "↔", "⚠") is text and stays in the text face.
"""
from __future__ import annotations

import re

# Emoji_Presentation=Yes (Unicode 15.1, emoji-data.txt), as code point ranges.
_PRESENTATION = (
    "\u231a-\u231b\u23e9-\u23ec\u23f0\u23f3\u25fd-\u25fe\u2614-\u2615\u2648-\u2653\u267f\u2693\u26a1"
    "\u26aa-\u26ab\u26bd-\u26be\u26c4-\u26c5\u26ce\u26d4\u26ea\u26f2-\u26f3\u26f5\u26fa\u26fd\u2705"
    "\u270a-\u270b\u2728\u274c\u274e\u2753-\u2755\u2757\u2795-\u2797\u27b0\u27bf\u2b1b-\u2b1c\u2b50\u2b55"
    "\U0001f004\U0001f0cf\U0001f18e\U0001f191-\U0001f19a\U0001f201\U0001f21a\U0001f22f"
    "\U0001f232-\U0001f236\U0001f238-\U0001f23a\U0001f250-\U0001f251\U0001f300-\U0001f320"
    "\U0001f32d-\U0001f335\U0001f337-\U0001f37c\U0001f37e-\U0001f393\U0001f3a0-\U0001f3ca"
    "\U0001f3cf-\U0001f3d3\U0001f3e0-\U0001f3f0\U0001f3f4\U0001f3f8-\U0001f43e\U0001f440"
    "\U0001f442-\U0001f4fc\U0001f4ff-\U0001f53d\U0001f54b-\U0001f54e\U0001f550-\U0001f567\U0001f57a"
    "\U0001f595-\U0001f596\U0001f5a4\U0001f5fb-\U0001f64f\U0001f680-\U0001f6c5\U0001f6cc"
    "\U0001f6d0-\U0001f6d2\U0001f6d5-\U0001f6d7\U0001f6dc-\U0001f6df\U0001f6eb-\U0001f6ec"
    "\U0001f6f4-\U0001f6fc\U0001f7e0-\U0001f7eb\U0001f7f0\U0001f90c-\U0001f93a\U0001f93c-\U0001f945"
    "\U0001f947-\U0001f9ff\U0001fa70-\U0001fa7c\U0001fa80-\U0001fa88\U0001fa90-\U0001fabd"
    "\U0001fabf-\U0001fac5\U0001face-\U0001fadb\U0001fae0-\U0001fae8\U0001faf0-\U0001faf8"
)
_PICTOGRAPH = "\u00a9\u00ae\u203c-\u3299\U0001f000-\U0001faff"  # may take VS16 (emoji presentation)
_MODIFIERS = "(?:[\U0001f3fb-\U0001f3ff]|\ufe0f|[\U000e0020-\U000e007f])*"
_ONE = (f"(?:[0-9#*]\ufe0f?\u20e3|[\U0001f1e6-\U0001f1ff]{{2}}|[{_PICTOGRAPH}]\ufe0f|[{_PRESENTATION}])"
        + _MODIFIERS)
_LINKED = f"\u200d(?:[{_PRESENTATION}]|[{_PICTOGRAPH}]\ufe0f?){_MODIFIERS}"  # after a zero-width joiner
EMOJI = re.compile(f"(?:{_ONE}(?:{_LINKED})*)+")
CLASS = "emoji"  # also pandoc's class for :shortcode: emoji
SKIP = ("svg", "math", "script", "style")


def wrap(root) -> None:
    """Wrap every run of emoji in ROOT's text (not in SVG or math, not already in `.emoji`) in
    `<span class="emoji">`."""
    from lxml import html as lxml_html

    def split(text: str) -> tuple[str, list]:
        """TEXT → (its part before the first emoji, [span with its tail, …])."""
        pieces = EMOJI.split(text)
        runs = EMOJI.findall(text)
        spans = []
        for run, after in zip(runs, pieces[1:]):
            span = lxml_html.Element("span")
            span.set("class", CLASS)
            span.text, span.tail = run, after
            spans.append(span)
        return pieces[0], spans

    def skipped(el) -> bool:
        return not isinstance(el.tag, str) or el.tag in SKIP or CLASS in (el.get("class") or "").split()

    for el in list(root.iter()):
        outside = not any(skipped(a) for a in el.iterancestors())
        if outside and not skipped(el) and el.text and EMOJI.search(el.text):
            el.text, spans = split(el.text)
            for n, span in enumerate(spans):
                el.insert(n, span)
        if outside and el is not root and el.tail and EMOJI.search(el.tail):
            el.tail, spans = split(el.tail)
            for span in reversed(spans):
                el.addnext(span)
