"""Measures of the PDF edition: body words, image placements (pdfplumber's, larger than a glyph), headings (the outline), glyphs outside the
text block, and characters the PDF could not set (fallback faces, .notdef, characters that vanished).

The body starts where the first words of the HTML page's body appear (after the title page and the
contents) and leaves out the about-the-author section; running heads and folios sit in the page
margins and are not read. Line-end hyphens the typesetter added (U+2010) are joined back.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from . import Measures
from .markup import TEX_COMMAND, WORD, text_chars

PT_PER_MM = 72 / 25.4
EDGE_TOLERANCE = 2.0  # points a glyph may overhang the text block (italic overhang, optical margins)
START_WORDS = 8
GLYPH_SIZE = 16.0  # points: an image drawn no larger than this is a glyph (a colour emoji), not a figure  # consecutive body words that locate the start of the body in the PDF
INDEX_ID = "subject-index"  # the id of the subject index (subject_index.py), on a page of its own at the end
STAND_IN_ID = re.compile(r"(?:^|-)_remote-image-\d+$")  # editions.body.REMOTE_ID and a number
RTL = ("ar", "he", "fa", "ur", "yi", "ps", "sd", "ug", "dv")


@dataclass
class PdfExtras:
    """PDF-only findings, each with the page where it was seen."""

    outside: list[tuple[int, str]] = field(default_factory=list)  # (page, text running outside the block)
    fallback: dict[str, tuple[list[int], set[str]]] = field(default_factory=dict)  # face → (pages, chars)
    notdef: list[tuple[int, str]] = field(default_factory=list)  # (page, font)
    body_found: bool = True
    house_chars: set[str] = field(default_factory=set)  # characters the PDF sets in a house face somewhere


def house_faces() -> set[str]:
    """The font families the print style names (normalised: lower case, letters only)."""
    from ..resources import read_style

    css = read_style("print.css")
    faces = set()
    for stack in re.findall(r"(?:font-family|--[\w-]+)\s*:\s*([^;{}]+)", css):
        faces |= {_norm_face(name) for name in re.findall(r'"([^"]+)"', stack)}
    return {f for f in faces if f}


def _norm_face(name: str) -> str:
    name = name.split("+", 1)[-1]  # subset prefix ABCDEF+
    return re.sub(r"[^a-z]", "", name.lower())


def _is_house(fontname: str, faces: set[str]) -> bool:
    face = _norm_face(fontname)
    return any(face.startswith(f) for f in faces)


def text_block(box: tuple[float, float, float, float], page_height: float, index: int,
               rtl: bool) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the text block in pdfplumber's coordinates (origin at the top left),
    from the house page geometry of the trimmed page BOX (PDF coordinates)."""
    from ..editions.pdf import geometry

    x0, y0, x1, y1 = box
    g = geometry(f"{(x1 - x0) / PT_PER_MM:.2f}mm {(y1 - y0) / PT_PER_MM:.2f}mm")
    right_page = (index % 2 == 0) != rtl  # the first page is a right-hand page in left-to-right text
    inner, outer = g.inner * PT_PER_MM, g.outer * PT_PER_MM
    left = x0 + (inner if right_page else outer)
    right = x1 - (outer if right_page else inner)
    top = page_height - y1 + g.top * PT_PER_MM
    bottom = page_height - y0 - g.bottom * PT_PER_MM
    return left, top, right, bottom


def _lines_text(chars: list[dict]) -> list[str]:
    """Chars → lines of text in reading order (pdfplumber's own text extraction on a char list). Chars
    on one baseline share the box most of them have first: a face with other metrics (a colour emoji's
    box stands 3–4 pt higher) would otherwise make a line of its own."""
    from pdfplumber.utils import extract_text

    boxes: dict[float, Counter] = {}
    for c in chars:
        boxes.setdefault(round(c["matrix"][5], 1), Counter())[(c["top"], c["bottom"])] += 1
    aligned = []
    for c in chars:
        top, bottom = boxes[round(c["matrix"][5], 1)].most_common(1)[0][0]
        aligned.append(dict(c, top=top, bottom=bottom, doctop=c["doctop"] + top - c["top"]))
    return extract_text(aligned, x_tolerance=1.5, y_tolerance=3).splitlines()


def _words(lines: list[str], vocabulary: set[str]) -> list[str]:
    """Words of the lines, joining a word the typesetter hyphenated at a line end. A hyphen that was in
    the text (open-access) is kept: the two halves are joined only when the whole word is in the
    VOCABULARY (the words of the HTML page) or when the halves are not both in it."""
    words: list[str] = []
    carry = ""
    for line in lines:
        line = line.strip()
        tokens = WORD.findall(line)
        if carry and tokens:
            joined = (carry + tokens[0]).lower()
            whole = joined in vocabulary or not vocabulary
            halves = carry.lower() in vocabulary and tokens[0].lower() in vocabulary
            if whole or not halves:
                tokens[0] = carry + tokens[0]
            else:
                tokens.insert(0, carry)
            carry = ""
        elif carry:
            words.append(carry)
            carry = ""
        if line.endswith(("\u2010", "\u00ad", "-")) and tokens and line[-2:-1].isalpha():
            carry = tokens.pop()
        words += tokens
    if carry:
        words.append(carry)
    return words


def _notdef(pdf, page_index: int) -> list[str]:
    """Fonts in which the page draws glyph 0 (.notdef: the font has no glyph for the character)."""
    import pikepdf

    page = pdf.pages[page_index]
    fonts = (page.obj.get("/Resources") or {}).get("/Font")
    if fonts is None:
        return []
    found = []
    current = None
    for operands, operator in pikepdf.parse_content_stream(page, "Tf Tj TJ ' \""):
        op = str(operator)
        if op == "Tf":
            current = fonts.get(str(operands[0]))
            continue
        if current is None or current.get("/Subtype") != "/Type0":
            continue
        strings = operands[0] if op == "TJ" else [operands[-1]]
        for s in strings:
            if isinstance(s, pikepdf.String):
                b = bytes(s)
                if any(b[i] == 0 and b[i + 1] == 0 for i in range(0, len(b) - 1, 2)):
                    found.append(str(current.get("/BaseFont", "?")).lstrip("/"))
                    break
    return found


def measure_pdf(path: Path, html=None, epub=None, lang: str = "", volume: bool = False) -> Measures:
    """Measures of the PDF edition. HTML (the HTML page's Measures) locates the body and gives the
    vocabulary for joining hyphenated words; without it every page of text counts. EPUB gives the words of
    the stand-ins for media (a video's link and caption), which the PDF prints too and are not counted."""
    import pdfplumber
    import pikepdf

    faces = house_faces()
    extras = PdfExtras()
    lines: list[str] = []
    page_of_line: list[int] = []
    images: list[tuple[int, str]] = []
    with pikepdf.open(path) as pk:
        index_page = _destination_page(pk, INDEX_ID)
        stand_ins = _stand_in_pages(pk)
        lang = lang or str(pk.Root.get("/Lang", "")).lower()
        rtl = lang.split("-")[0] in RTL
        boxes = [tuple(float(v) for v in p.trimbox) for p in pk.pages]
        with pdfplumber.open(path) as pdf:
            for i, page in enumerate(pdf.pages):
                left, top, right, bottom = text_block(boxes[i], float(page.height), i, rtl)
                body_chars = []
                outside = []
                for c in page.chars:
                    if c["text"].isspace():
                        continue
                    if c["x0"] < left - EDGE_TOLERANCE or c["x1"] > right + EDGE_TOLERANCE or c["top"] < 0 \
                            or c["bottom"] > float(page.height):
                        outside.append(c)
                    if top - EDGE_TOLERANCE <= c["top"] and c["bottom"] <= bottom + EDGE_TOLERANCE:
                        body_chars.append(c)
                    if _is_house(c["fontname"], faces):
                        extras.house_chars.add(c["text"])
                    else:
                        face = c["fontname"].split("+", 1)[-1]
                        pages, chars = extras.fallback.setdefault(face, ([], set()))
                        if i + 1 not in pages:
                            pages.append(i + 1)
                        chars.add(c["text"])
                if outside:
                    extras.outside.append((i + 1, "".join(c["text"] for c in outside)[:60]))
                for line in _lines_text(body_chars):
                    lines.append(line)
                    page_of_line.append(i + 1)
                images += [(i + 1, f"{int(im['srcsize'][0])}x{int(im['srcsize'][1])}") for im in page.images
                           if im["width"] > GLYPH_SIZE or im["height"] > GLYPH_SIZE]
                extras.notdef += [(i + 1, f) for f in _notdef(pk, i)]
    start = _body_start(lines, html)
    if start is None:
        extras.body_found = html is None
        start = 0
    first_page = page_of_line[start] if start < len(page_of_line) else 1
    if not extras.body_found or html is None:
        first_page = 1
    end = len(lines)
    if index_page is not None and index_page > first_page:  # the index starts a page and ends the book
        end = next((n for n in range(start, len(lines)) if page_of_line[n] >= index_page), len(lines))
    body_lines = lines[start:end]
    words = [w for w in _words(body_lines, html.vocabulary if html else set()) if any(ch.isalpha() for ch in w)]
    counted = Counter(w.lower() for w in words)
    counted.subtract(Counter(html.about_words if html else []))
    counted.subtract(Counter(epub.media_words if epub else []))
    counted.subtract(Counter(html.nav_words if html else []))  # the lists of figures/tables
    for opening in (epub.opening_words[1:] if epub else []):  # a volume's paper openings after the first
        counted.subtract(Counter(opening))
    tops = {n - start for n in range(start, len(lines)) if n == start or page_of_line[n] != page_of_line[n - 1]}
    counted.subtract(_repeated_heads(body_lines, html.table_heads if html else [], tops))
    text = "\n".join(body_lines)
    m = Measures(words=sum(v for v in counted.values() if v > 0),
                 images=[wh for page, wh in images if page >= first_page],
                 chars=text_chars(text), tex_commands=set(TEX_COMMAND.findall(text)))
    m.images_total = len(m.images)
    m.stand_ins = [name for name, page in stand_ins if page >= first_page]
    m.word_counts = +counted
    m.headings = _outline(path, html.nav_headings if html else [], 2 if volume else 1)
    m.pdf = extras
    return m


def _repeated_heads(lines: list[str], heads: list[tuple[str, ...]], page_tops: set[int]) -> Counter:
    """The words of table header rows the PDF repeats at the top of each page a table runs onto: a header
    line seen more often than the HTML has it, counted only where it opens a page (PAGE_TOPS: indices of
    the first line of each page)."""
    wanted = Counter(h for h in heads if h)
    seen: Counter = Counter()
    at_top: Counter = Counter()
    for n, line in enumerate(lines):
        key = tuple(w.lower() for w in WORD.findall(line) if any(c.isalpha() for c in w))
        if key in wanted:
            seen[key] += 1
            at_top[key] += n in page_tops
    extra: Counter = Counter()
    for key, n in seen.items():
        for _ in range(min(max(0, n - wanted[key]), at_top[key])):
            extra.update(key)
    return extra


def _body_start(lines: list[str], html) -> int | None:
    """Index of the line where the body begins: the first line from which the letters of the HTML body's
    first words follow (letters only, so that a word boundary the PDF lost or added does not matter).
    When the opening differs (a formula the PDF shows otherwise), later runs of words are tried and the
    start is taken back to the nearest line before them that holds the body's first two words."""
    words = [w for w in (getattr(html, "first_words", None) or []) if w.isalpha()]
    if not words:
        return None
    stream: list[str] = []
    line_at: list[int] = []
    for n, line in enumerate(lines):
        letters = [ch for ch in line.lower() if ch.isalpha()]
        stream += letters
        line_at += [n] * len(letters)
    text = "".join(stream)
    for k in range(0, max(1, len(words) - START_WORDS + 1), START_WORDS // 2):
        found = text.find("".join(words[k:k + START_WORDS]))
        if found < 0:
            continue
        line = line_at[found]
        if k == 0:
            return line
        opening = "".join(words[:2])
        for back in range(line, max(-1, line - 40), -1):
            if opening in "".join(ch for ch in lines[back].lower() if ch.isalpha()):
                return back
        return line
    return None


def _stand_in_pages(pdf) -> list[tuple[str, int]]:
    """(id, page) of every remote image's stand-in the PDF lays out (a named destination whose id is
    editions.body.REMOTE_ID and a number, prefixed in a volume)."""
    import pikepdf

    try:
        names = [str(k) for k in pikepdf.NameTree(pdf.Root.Names.Dests).keys()]
    except (AttributeError, KeyError, TypeError, ValueError):
        return []
    found = [(n, _destination_page(pdf, n)) for n in sorted(names) if STAND_IN_ID.search(n)]
    return [(n, page) for n, page in found if page is not None]


def _destination_page(pdf, name: str) -> int | None:
    """The page number (1-based) of the named destination NAME (WeasyPrint makes one of every id)."""
    import pikepdf

    try:
        dests = pikepdf.NameTree(pdf.Root.Names.Dests)
        dest = dests[name]
    except (AttributeError, KeyError, TypeError, ValueError):
        return None
    if isinstance(dest, pikepdf.Dictionary):
        dest = dest.get("/D")
    try:
        target = dest[0].objgen
    except (TypeError, IndexError, AttributeError):
        return None
    for n, page in enumerate(pdf.pages):
        if page.obj.objgen == target:
            return n + 1
    return None


def _outline(path: Path, navigation: list[str] = (), first_depth: int = 1) -> list[str]:
    """The headings of the body as the PDF's bookmarks give them (the title, the about-the-author entry
    and the titles of the generated index and lists (NAVIGATION) left out). FIRST_DEPTH 2: a volume,
    whose top-level entries are its papers' titles (and its index)."""
    import pikepdf

    titles: list[str] = []
    skip = Counter(navigation)

    def walk(items, depth):
        for item in items:
            title = " ".join(item.title.split())
            if depth > 0 and skip[title] > 0:
                skip[title] -= 1
            elif depth >= first_depth and not item.title.lower().startswith("about the author"):
                titles.append(title)
            walk(item.children, depth + 1)

    with pikepdf.open(path) as pdf, pdf.open_outline() as outline:
        roots = list(outline.root)
        if len(roots) == 1:
            walk(roots, 0)
        else:  # no single title entry: every entry is a heading of the text
            walk(roots, 1)
    return titles


def fallback_summary(extras: PdfExtras) -> list[tuple[str, list[int], str]]:
    """(face, pages, the characters set in it) for every face outside the house stacks."""
    out = []
    for face, (pages, chars) in extras.fallback.items():
        lacking = chars - extras.house_chars  # a character the house faces set elsewhere was a style's choice
        if lacking:
            out.append((face, pages, "".join(sorted(lacking))))
    return sorted(out)
