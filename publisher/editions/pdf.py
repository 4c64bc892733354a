"""The PDF edition: the paper typeset by WeasyPrint with styles/print.css (`OUT/<slug>/<slug>.pdf`).

Page geometry (size, mirrored margins with a binding gutter, type size) is computed here for each
page size; print.css holds everything else. Press output (`print_ready`) adds bleed and crop/cross
marks and checks image resolution; `pdf_variant` selects PDF/A and/or PDF/UA. The fonts are static
instances cut from the variable Source Serif 4 and Source Code Pro (HarfBuzz) and kept in a cache
folder between runs, so WeasyPrint embeds one subset per face instead of one per type size.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
import threading
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .. import __version__
from ..config import PAGE_SIZES, PDF_VARIANTS, page_size_problem
from ..dist import atomic_write, remove_partials
from ..fonts import font_files
from ..model import Document, Paper, Problem
from ..resources import read_style
from .common import author_line, display_date, edition_names, templates, toc_html

LONG_PAPER_WORDS = 5000  # from this length on, each top-level section opens on a new page
MIN_CONTENTS_SECTIONS = 3  # a paper with fewer top-level sections has no contents page
MM_PER = {"mm": 1.0, "cm": 10.0, "in": 25.4, "pt": 25.4 / 72, "pc": 25.4 / 6, "px": 25.4 / 96, "q": 0.25}


@dataclass
class PdfOptions:
    page_size: str = "A4"
    page_size_forced: bool = False  # chosen on the command line: wins over a paper's own `page_size:`
    roots: tuple[Path, ...] = ()  # folders the PDF may read (content root)
    network: bool = False
    allowed_hosts: tuple[str, ...] = ()
    timeout: float = 120
    modified: dt.datetime | None = None  # SOURCE_DATE_EPOCH when set
    print_ready: bool = False  # press output: bleed, crop and cross marks, image resolution check
    bleed: str = "3mm"
    marks: str = "crop cross"
    pdf_variant: str = ""  # "", "pdf/a-3b", "pdf/ua-1", or both: "pdf/a-3b,pdf/ua-1"
    pdf_tags: bool = False  # tagged PDF without claiming PDF/UA
    min_dpi: int = 300  # with print_ready: warn about images below this resolution at printed size
    publisher: str = ""
    rights: str = ""
    index_see_also: dict = dataclasses.field(default_factory=dict)  # subject index (issue 17): term → see-also terms
    words: int = 0  # the body's word count (body.for_pdf), for the page openings (LONG_PAPER_WORDS)


def press_options(site_options, job_options=None) -> dict:
    """PdfOptions fields from the config's `publisher:` section and the command line (JOB_OPTIONS, a
    publisher.planning.JobOptions: print_ready, pdf_variant, page_size_forced); the command line wins."""
    return {"print_ready": bool(job_options and job_options.print_ready) or site_options.print,
            "bleed": site_options.bleed, "marks": site_options.marks,
            "pdf_variant": (job_options and job_options.pdf_variant) or site_options.pdf_variant,
            "pdf_tags": site_options.pdf_tags, "min_dpi": site_options.min_dpi,
            "page_size_forced": bool(job_options and job_options.page_size_forced),
            "index_see_also": dict(getattr(site_options, "index_see_also", {}))}


def warm(opts: PdfOptions, paper: Paper | None = None) -> None:
    """Load the fonts and parse the stylesheets this paper will use, so a forked child starts warm."""
    size = page_size_for(paper, opts) if paper is not None else opts.page_size
    _stylesheets(size, opts.print_ready, opts.bleed, opts.marks, None if not variants(opts.pdf_variant)[0] else False)


# ---- page geometry ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Geometry:
    """A page size and the text block on it, in millimetres (type size in points)."""

    width: float
    height: float
    font_pt: float
    top: float
    bottom: float
    inner: float  # the binding side, gutter included
    outer: float

    @property
    def text_height(self) -> float:
        return self.height - self.top - self.bottom


def length_mm(text: str) -> float | None:
    """A CSS length ('170mm', '6.5in') in millimetres; None when it is not one."""
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(mm|cm|in|pt|pc|px|q)\s*", text.lower())
    return float(m.group(1)) * MM_PER[m.group(2)] if m else None


def page_dimensions(page_size: str) -> tuple[float, float]:
    """(width, height) in mm of a named size (A4, Letter, B5, 6x9, A5) or 'WIDTH HEIGHT'."""
    size = PAGE_SIZES.get(page_size, page_size)
    parts = size.split()
    if len(parts) != 2 or None in (dims := tuple(length_mm(p) for p in parts)):
        raise ValueError(f"unknown page size {page_size!r}")
    return dims  # type: ignore[return-value]


def geometry(page_size: str) -> Geometry:
    """The house page layout for PAGE_SIZE: a measure of about 70 characters, the type size set by
    the page width, mirrored margins with a binding gutter and a deeper foot than head."""
    width, height = page_dimensions(page_size)
    font_pt = 10.5 if width >= 200 else 10 if width >= 165 else 9.5
    gutter = 8 if width >= 200 else 6
    measure = min(38 * font_pt * 25.4 / 72, width - gutter - 2 * 14)  # 38 em, never margins under 14 mm
    spare = width - measure - gutter
    inner = gutter + spare * 0.45
    return Geometry(width, height, font_pt, top=round(height * 0.085, 1), bottom=round(height * 0.1, 1),
                    inner=round(inner, 1), outer=round(width - measure - inner, 1))


def page_css(page_size: str, print_ready: bool = False, bleed: str = "3mm", marks: str = "crop cross",
             cmyk: bool | None = None) -> str:
    """The @page rules for PAGE_SIZE: size, mirrored margins, type size; with PRINT_READY, bleed, marks
    and (unless CMYK is False: PDF/A allows no DeviceCMYK beside its sRGB intent) press colours."""
    g = geometry(page_size)
    bleed_mm = (length_mm(bleed) or 0) if print_ready else 0
    press = f" bleed: {bleed_mm:g}mm; marks: {marks or 'none'};" if print_ready else ""
    return "\n".join([
        f"@page {{ size: {g.width:g}mm {g.height:g}mm; margin: {g.top:g}mm {g.outer:g}mm {g.bottom:g}mm {g.inner:g}mm;{press} }}",
        f"@page :left {{ margin-left: {g.outer:g}mm; margin-right: {g.inner:g}mm; }}",
        f"@page :right {{ margin-left: {g.inner:g}mm; margin-right: {g.outer:g}mm; }}",
        "@page cover { margin: 0; }",
        f"html {{ font-size: {g.font_pt:g}pt; }}",
        f".title-page {{ height: {g.text_height - 1:.1f}mm; }}",
        # the cover image fills the trimmed page and runs into the bleed
        f".cover {{ margin: -{bleed_mm:g}mm; width: {g.width + 2 * bleed_mm:g}mm; height: {g.height + 2 * bleed_mm:g}mm; }}",
        f"main img:not(.math-svg), figure img {{ max-height: {g.text_height * 0.7:.0f}mm; }}",
        PRINT_COLOURS if print_ready and cmyk is not False else "",
    ])


# Press output: text, rules and folios on the black plate only (100 K), accents in CMYK.
PRINT_COLOURS = """
html, .title-page .authors, h2, h3, h4, thead th { color: device-cmyk(0 0 0 1); }
.title-page .series, a { color: device-cmyk(0 .75 .85 .45); }
.title-page .subtitle, .title-page .date, .title-page .imprint, figcaption { color: device-cmyk(0 0 0 .75); }
"""


# ---- fonts -----------------------------------------------------------------------------------------------

# (CSS family, fontpkg family, file suffix, weight, style, optical size)
FACES = [
    ("Publisher Text", "Source Serif 4", "", 400, "normal", 10),
    ("Publisher Text", "Source Serif 4", "-Italic", 400, "italic", 10),
    ("Publisher Text", "Source Serif 4", "", 600, "normal", 10),
    ("Publisher Text", "Source Serif 4", "-Italic", 600, "italic", 10),
    ("Publisher Text", "Source Serif 4", "", 700, "normal", 10),
    ("Publisher Text", "Source Serif 4", "-Italic", 700, "italic", 10),
    ("Publisher Display", "Source Serif 4", "", 700, "normal", 28),
    ("Publisher Display", "Source Serif 4", "", 400, "normal", 28),
    ("Publisher Display", "Source Serif 4", "-Italic", 400, "italic", 28),
    ("Publisher Mono", "Source Code Pro", "", 400, "normal", None),
    ("Publisher Mono", "Source Code Pro", "", 600, "normal", None),
    ("Publisher Mono", "Source Code Pro", "-Italic", 400, "italic", None),
]


def static_instance(path: Path, weight: int, opsz: float | None) -> bytes:
    """A static font cut from the variable font PATH at WEIGHT (and optical size), layout tables kept."""
    import uharfbuzz as hb

    face = hb.Face(hb.Blob.from_file_path(str(path)))
    inp = hb.SubsetInput()
    inp.sets(hb.SubsetInputSets.GLYPH_INDEX).set(set(range(face.glyph_count)))
    inp.sets(hb.SubsetInputSets.UNICODE).set(set(face.unicodes))
    for kind in (hb.SubsetInputSets.LAYOUT_FEATURE_TAG, hb.SubsetInputSets.LAYOUT_SCRIPT_TAG,
                 hb.SubsetInputSets.NAME_ID, hb.SubsetInputSets.NAME_LANG_ID):
        inp.sets(kind).invert()  # keep every feature (smcp, c2sc, onum...), script and name
    axes = {a.tag for a in face.axis_infos}
    inp.pin_axis_location(face, "wght", weight)
    if opsz is not None and "opsz" in axes:
        inp.pin_axis_location(face, "opsz", opsz)
    return hb.subset(face, inp).blob.data


def _faces_key(files: dict[str, Path]) -> str:
    """A key for the static instances: the variable fonts (path, size, mtime), HarfBuzz's version, FACES."""
    import hashlib

    import uharfbuzz

    parts = [repr(FACES), getattr(uharfbuzz, "__version__", "")]
    for name in sorted(files):
        path = files[name]
        st = path.stat() if path.is_file() else None
        parts.append(f"{name}:{path}:{st and st.st_size}:{st and st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


def font_cache_root() -> Path:
    """Where the static instances are kept between runs: $PUBLISHER_FONT_CACHE, else
    $XDG_CACHE_HOME/publisher/fonts (~/.cache/publisher/fonts)."""
    if os.environ.get("PUBLISHER_FONT_CACHE"):
        return Path(os.environ["PUBLISHER_FONT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "publisher" / "fonts"


def _cut_fonts(folder: Path, files: dict[str, Path]) -> None:
    """Write the static instances missing from FOLDER (atomic_write: a worker running at the same
    time sees either no file or the whole one)."""
    for family, source, suffix, weight, style, opsz in FACES:
        path = files[source + suffix]
        target = folder / f"{family.replace(' ', '')}-{weight}{style[0]}.ttf"
        if not target.is_file() and path.is_file():
            atomic_write(target, static_instance(path, weight, opsz))


@lru_cache(maxsize=1)
def font_dir() -> Path:
    """The folder with the static instances. They are cut once (about 0.13 s) and kept in
    font_cache_root(), keyed by the variable fonts and HarfBuzz's version; when that folder cannot
    be written, they are cut into a per-process folder, removed at exit."""
    import atexit
    import shutil
    import tempfile

    files = font_files()
    try:
        folder = font_cache_root() / _faces_key(files)
        folder.mkdir(parents=True, exist_ok=True)
        remove_partials(folder, older_than=600)  # a process running now may be writing a younger one
        _cut_fonts(folder, files)
        return folder
    except (OSError, RuntimeError):  # RuntimeError: no home folder to put ~/.cache in
        pass
    folder = Path(tempfile.mkdtemp(prefix="publisher-fonts-"))
    owner = os.getpid()  # forked workers inherit this cache: only the process that made it removes it
    atexit.register(lambda: os.getpid() == owner and shutil.rmtree(folder, True))
    _cut_fonts(folder, files)
    return folder


def font_css() -> str:
    """@font-face rules for the static instances."""
    folder = font_dir()
    rules = []
    for family, _source, _suffix, weight, style, _opsz in FACES:
        target = folder / f"{family.replace(' ', '')}-{weight}{style[0]}.ttf"
        if target.is_file():
            rules.append(f'@font-face {{ font-family: "{family}"; src: url("{target.as_uri()}"); '
                         f"font-weight: {weight}; font-style: {style}; }}")
    return "\n".join(rules)


_IMPORT_LOCK = threading.Lock()
FONT_STAMP = "Sat Jan  1 00:00:00 2000"  # head.modified of the fonts fontTools saves, without SOURCE_DATE_EPOCH


def _fixed_font_stamps() -> None:
    """WeasyPrint saves a colour emoji face through fontTools (to drop its bitmaps), which stamps the font
    with the current time (head.modified) unless SOURCE_DATE_EPOCH is set: a fixed stamp instead keeps
    the PDF byte-identical across builds."""
    from fontTools.misc import timeTools
    from fontTools.ttLib.tables import _h_e_a_d

    fixed = timeTools.timestampFromString(FONT_STAMP)
    _h_e_a_d.timestampNow = lambda: timeTools.timestampNow() if "SOURCE_DATE_EPOCH" in os.environ else fixed


def load_weasyprint():
    """Import WeasyPrint (once per process) without ctypes' slow library search.

    WeasyPrint opens Pango, HarfBuzz and fontconfig by trying each library's Windows, macOS and Linux
    names in turn; for every name that is not a file, cffi falls back to ctypes.util.find_library,
    which on Linux runs ldconfig and the C compiler in subprocesses: about 0.3 s per process, paid
    by every build and every worker. The Linux soname is in WeasyPrint's list, so on Linux the
    search is skipped while WeasyPrint is imported; if that import fails, it is tried again the
    usual way."""
    import sys

    _fixed_font_stamps()
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        import weasyprint
        return weasyprint
    import ctypes.util

    with _IMPORT_LOCK:  # one thread at a time swaps the search out and back
        search = ctypes.util.find_library
        ctypes.util.find_library = lambda name: None
        try:
            import weasyprint
            return weasyprint
        except OSError:
            for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
                del sys.modules[name]
        finally:
            ctypes.util.find_library = search
    import weasyprint
    return weasyprint


@lru_cache(maxsize=1)
def _font_config():
    import atexit

    load_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    atexit.register(_font_config.cache_clear)  # release fontconfig before the interpreter tears down
    return FontConfiguration()


def _stylesheets(page_size: str, print_ready: bool = False, bleed: str = "3mm", marks: str = "crop cross",
                 cmyk: bool | None = None):
    """Parsed stylesheets, kept warm for the life of the worker process (keyed by print.css's text,
    which a site may override)."""
    return _parsed_stylesheets(read_style("print.css"), page_size, print_ready, bleed, marks, cmyk)


@lru_cache(maxsize=16)
def _parsed_stylesheets(print_css: str, page_size: str, print_ready: bool, bleed: str, marks: str,
                        cmyk: bool | None):
    load_weasyprint()
    from weasyprint import CSS

    fc = _font_config()
    fetcher = _fetcher((), False, ())
    return [CSS(string=font_css(), font_config=fc, url_fetcher=fetcher),
            CSS(string=print_css, font_config=fc),
            CSS(string=page_css(page_size, print_ready, bleed, marks, cmyk), font_config=fc)]


def _fetcher(roots, network, allowed_hosts, timeout=10, refused=None):
    from ..safety import make_url_fetcher

    return make_url_fetcher(list(roots) + [font_dir()], network, list(allowed_hosts), timeout, refused=refused)


# ---- the HTML handed to WeasyPrint ------------------------------------------------------------------------

def _w3c(when: dt.datetime) -> str:
    return when.isoformat(timespec="seconds")


def local_image(paper: Paper, roots: tuple[Path, ...]) -> Path | None:
    """The paper's front-matter `image:` when it is a readable local file inside ROOTS."""
    from ..safety import inside

    ref = (paper.image or "").strip()
    if not ref or urlsplit(ref).scheme not in ("", "file"):
        return None
    rel = unquote(urlsplit(ref).path).lstrip("/")
    for path in [base / rel for base in (paper.source.parent, *roots)]:
        if path.suffix.lower() in (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg") and path.is_file() \
                and inside(path, list(roots) or [paper.source.parent]):
            return path
    return None


def wants_contents(doc: Document) -> bool:
    """A contents page is worth its paper from three top-level sections on."""
    levels = [h.level for h in doc.headings]
    return bool(levels) and levels.count(min(levels)) >= MIN_CONTENTS_SECTIONS


def print_html(paper: Paper, doc: Document, body_html: str, modified: dt.datetime | None,
               cover: Path | None = None, words: int = 0) -> str:
    """The HTML handed to WeasyPrint. WORDS: the body's word count (body.for_pdf); from
    LONG_PAPER_WORDS on, each top-level section opens on a new page."""
    keywords = ", ".join(dict.fromkeys(paper.tags + paper.categories))
    long_paper = words >= LONG_PAPER_WORDS
    return templates().get_template("print.html.j2").render(
        paper=paper, doc=doc, body=body_html, version=__version__, authors=author_line(paper),
        date=display_date(paper.date), toc=toc_html(doc.headings, max_level=3) if wants_contents(doc) else "",
        description=paper.description or paper.excerpt, keywords=keywords,
        created=_w3c(paper.date), modified=_w3c(modified or paper.date), size_class="page",
        openings="long" if long_paper else "short", cover=cover.as_uri() if cover else "",
    )


# ---- PDF variants and metadata ---------------------------------------------------------------------------

def variants(value: str) -> tuple[str, str]:
    """('pdf/a-…' or '', 'pdf/ua-…' or '') from a `pdf_variant` value such as 'pdf/a-3b,pdf/ua-1'."""
    archive = access = ""
    for part in (p.strip().lower() for p in (value or "").split(",") if p.strip()):
        if part not in PDF_VARIANTS:
            raise ValueError(f"unknown PDF variant {part!r}")
        if part.startswith("pdf/a"):
            archive = part
        else:
            access = part
    return archive, access


XMP_NS = {
    "x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/", "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdf": "http://ns.adobe.com/pdf/1.3/", "xmpMM": "http://ns.adobe.com/xap/1.0/mm/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/", "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
    "pdfuaid": "http://www.aiim.org/pdfua/ns/id/",
}


def xmp_packet(paper: Paper, doc: Document, opts: PdfOptions, created: str, modified: str,
               archive: str, access: str) -> bytes:
    """A complete XMP packet: Dublin Core, XMP basic, PDF, rights and the PDF/A / PDF/UA
    identification. Each description declares its own namespace (PDFBox Preflight reads only those)."""
    from lxml import etree
    from weasyprint import __version__ as weasyprint_version

    keywords = list(dict.fromkeys(paper.tags + paper.categories))
    description = paper.description or paper.excerpt
    identifier = paper.identifier or paper.url or paper.slug
    doc_id = uuid.uuid5(uuid.NAMESPACE_URL, identifier)
    rights = opts.rights or paper.rights
    publisher = opts.publisher or paper.publisher

    def q(name: str) -> str:  # "dc:title" -> "{http://purl.org/dc/elements/1.1/}title"
        prefix, local = name.split(":")
        return f"{{{XMP_NS[prefix]}}}{local}"

    root = etree.Element(q("x:xmpmeta"), nsmap={"x": XMP_NS["x"]})
    rdf = etree.SubElement(root, q("rdf:RDF"), nsmap={"rdf": XMP_NS["rdf"]})

    def desc(prefix: str) -> etree._Element:
        return etree.SubElement(rdf, q("rdf:Description"), {q("rdf:about"): ""}, nsmap={prefix: XMP_NS[prefix]})

    def prop(parent: etree._Element, name: str, text: str = "") -> etree._Element:
        el = etree.SubElement(parent, q(name))
        el.text = text or None
        return el

    def alt(parent: etree._Element, name: str, text: str) -> None:
        li = prop(prop(prop(parent, name), "rdf:Alt"), "rdf:li", text)
        li.set("{http://www.w3.org/XML/1998/namespace}lang", "x-default")

    def items(parent: etree._Element, name: str, kind: str, values: list[str]) -> None:
        container = prop(prop(parent, name), f"rdf:{kind}")
        for v in values:
            prop(container, "rdf:li", v)

    dc = desc("dc")
    prop(dc, "dc:format", "application/pdf")
    alt(dc, "dc:title", doc.title_text)
    if paper.authors:
        items(dc, "dc:creator", "Seq", [", ".join(paper.author_names)])
    if description:
        alt(dc, "dc:description", description)
    if keywords:
        items(dc, "dc:subject", "Bag", keywords)
    items(dc, "dc:language", "Bag", [paper.lang])
    items(dc, "dc:date", "Seq", [created])
    prop(dc, "dc:identifier", identifier)
    if rights:
        alt(dc, "dc:rights", rights)
    if publisher:
        items(dc, "dc:publisher", "Bag", [publisher])
    basic = desc("xmp")
    for name, value in (("CreatorTool", f"publisher {__version__}"), ("CreateDate", created),
                        ("ModifyDate", modified), ("MetadataDate", modified)):
        prop(basic, f"xmp:{name}", value)
    pdf = desc("pdf")
    prop(pdf, "pdf:Producer", f"WeasyPrint {weasyprint_version}")
    if keywords:
        prop(pdf, "pdf:Keywords", ", ".join(keywords))
    mm = desc("xmpMM")
    prop(mm, "xmpMM:DocumentID", f"uuid:{doc_id}")
    prop(mm, "xmpMM:InstanceID", f"uuid:{doc_id}")
    if rights:
        marked = desc("xmpRights")
        prop(marked, "xmpRights:Marked", "True")
        alt(marked, "xmpRights:UsageTerms", rights)
    if archive:
        part, conformance = re.fullmatch(r"pdf/a-(\d)([a-z])", archive).groups()
        aid = desc("pdfaid")
        prop(aid, "pdfaid:part", part)
        if part == "4":
            prop(aid, "pdfaid:rev", "2020")
        else:
            prop(aid, "pdfaid:conformance", conformance.upper())
    if access:
        part = access.rsplit("-", 1)[1]
        uaid = desc("pdfuaid")
        prop(uaid, "pdfuaid:part", part)
        if part == "2":
            prop(uaid, "pdfuaid:rev", "2024")
    body = etree.tostring(root, encoding="unicode", pretty_print=True)
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + body + '<?xpacket end="w"?>').encode("utf-8")


def _finisher(xmp: bytes):
    """Runs on the pydyf PDF before it is written: the XMP packet, and the title in the window bar."""
    def finish(document, pdf) -> None:
        import pydyf

        stream = pydyf.Stream([xmp], pydyf.Dictionary({"Type": "/Metadata", "Subtype": "/XML"}), compress=False)
        ref = pdf.catalog.get("Metadata")
        if ref:  # replace WeasyPrint's own packet in place (no orphan object)
            number = int((ref.decode() if isinstance(ref, bytes) else str(ref)).split()[0])
            pdf.objects[number].stream = stream.stream
            pdf.objects[number].extra = stream.extra
            pdf.objects[number].compress = False
        else:
            pdf.add_object(stream)
            pdf.catalog["Metadata"] = stream.reference
        prefs = pdf.catalog.get("ViewerPreferences") or pydyf.Dictionary()
        prefs["DisplayDocTitle"] = "true"
        pdf.catalog["ViewerPreferences"] = prefs
        _serialize_streams_once(pdf)
    return finish


def _serialize_streams_once(pdf) -> None:
    """Serialize (join and compress) each of the PDF's streams once, now that they are final.

    pydyf's write() asks every object for its bytes twice when the PDF has an identifier (as every
    edition does): once to write it, once more for the hash in the trailer's /ID; a stream joins
    and compresses its content (zlib level 9) on each ask. The second pass was a tenth of the time
    WeasyPrint spends writing the real paper. The bytes are the same."""
    import pydyf

    class Serialized(pydyf.Stream):  # a stream that is no longer changed: its bytes, made once
        @property
        def data(self):
            return self.serialized

    for i, obj in enumerate(pdf.objects):
        if isinstance(obj, pydyf.Stream) and obj.free != "f":
            done = Serialized()
            done.__dict__.update(obj.__dict__, serialized=obj.data)
            pdf.objects[i] = done


# ---- checks ----------------------------------------------------------------------------------------------

def low_resolution_images(document, min_dpi: int) -> list[tuple[int, str, float]]:
    """(page number, image source, dpi) of raster images printed below MIN_DPI."""
    from weasyprint.formatting_structure import boxes

    found = []
    for number, page in enumerate(document.pages, 1):
        for box in page._page_box.descendants():
            image = getattr(box, "replacement", None)
            if not isinstance(box, boxes.ReplacedBox) or not hasattr(image, "mode") or not box.width:
                continue
            dpi = min(image.width / (box.width / 96), image.height / (box.height / 96)) if box.height else 0
            if dpi and dpi < min_dpi:
                found.append((number, box.element.get("src", "") if box.element is not None else "", dpi))
    return found


def page_size_for(paper: Paper, opts: PdfOptions, problems: list[Problem] | None = None) -> str:
    """The page size of this paper: the command line's, else the paper's `page_size:`, else the config's."""
    own = paper.meta.get("page_size") if isinstance(paper.meta, dict) else None
    if own is None or opts.page_size_forced:
        return opts.page_size
    if isinstance(own, str) and not page_size_problem(own):
        return own
    if problems is not None:
        problems.append(Problem(paper.rel_source, None, f"unknown page_size {own!r}; using {opts.page_size}",
                                "use A4, Letter, B5, 6x9, A5 or two CSS lengths such as '170mm 240mm'",
                                severity="warning"))
    return opts.page_size


# ---- rendering -------------------------------------------------------------------------------------------

def render_pdf(paper: Paper, doc: Document, body_html: str, opts: PdfOptions,
               page_starts: list | None = None, problems: list[Problem] | None = None) -> tuple[bytes, int]:
    """Typeset the paper; returns (PDF bytes, page count). PAGE_STARTS, when given, receives where
    each page begins (model.PageStart), for the EPUB's page-list. Warnings go to PROBLEMS."""
    load_weasyprint()
    from weasyprint import HTML

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    problems = problems if problems is not None else []
    archive, access = variants(opts.pdf_variant)
    cover = local_image(paper, opts.roots)
    source = print_html(paper, doc, body_html, opts.modified, cover, opts.words)
    html = HTML(string=source, base_url=paper.source.parent.as_uri() + "/",
                url_fetcher=_fetcher(opts.roots, opts.network, opts.allowed_hosts))
    sheets = _stylesheets(page_size_for(paper, opts, problems), opts.print_ready, opts.bleed, opts.marks,
                          None if not archive else False)
    document = html.render(stylesheets=sheets, font_config=_font_config())
    if doc.index:  # the subject index (issue 17): at the back, with the pages its terms fell on
        from ..subject_index import anchor_pages, into_print_html, pdf_section

        source = into_print_html(source, pdf_section(doc.index, anchor_pages(document), opts.index_see_also))
        html = HTML(string=source, base_url=paper.source.parent.as_uri() + "/",
                    url_fetcher=_fetcher(opts.roots, opts.network, opts.allowed_hosts))
        document = html.render(stylesheets=sheets, font_config=_font_config())
    meta = document.metadata
    xmp = xmp_packet(paper, doc, opts, meta.created or "", meta.modified or "", archive, access)
    data = document.write_pdf(pdf_identifier=paper.slug.encode("utf-8")[:32] or b"publisher",
                              pdf_variant=archive or access or None,
                              pdf_tags=bool(access or opts.pdf_tags or archive.endswith("a")),
                              finisher=_finisher(xmp))
    if opts.print_ready:
        for number, src, dpi in low_resolution_images(document, opts.min_dpi):
            if src.startswith("file://"):  # show the image as the author wrote it: relative to the site
                path = Path(unquote(urlsplit(src).path))
                src = next((path.relative_to(r).as_posix() for r in opts.roots if path.is_relative_to(r)), path.name)
            problems.append(Problem(paper.rel_source, None,
                                    f"image {src or '(inline)'} is {dpi:.0f} dpi at its printed size on page {number}",
                                    f"supply at least {opts.min_dpi} dpi for press output", severity="warning"))
    if page_starts is not None:
        from .pagemap import from_weasyprint
        page_starts.extend(from_weasyprint(document, html.etree_element))
    return data, len(document.pages)


def write(paper: Paper, doc: Document, out_dir: Path, opts: PdfOptions | None = None,
          body_html: str | None = None, page_starts: list | None = None,
          problems: list[Problem] | None = None) -> tuple[Path, int]:
    """Write `OUT_DIR/<slug>.pdf` atomically; returns (path, number of pages). PAGE_STARTS and
    PROBLEMS: see render_pdf."""
    opts = opts or PdfOptions()
    data, pages = render_pdf(paper, doc, doc.body_html if body_html is None else body_html, opts,
                             page_starts, problems)
    return atomic_write(out_dir / edition_names(paper.slug)["pdf"], data), pages
