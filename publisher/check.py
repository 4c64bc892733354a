"""`publisher check OUT`: validate every edition listed in OUT/manifest.json.

- every file is there, with the size and SHA-256 the manifest gives;
- EPUB: EPUBCheck (all books in one JVM, publisher/validate.py), no fatal, error or warning;
- PDF: opens, every font is embedded, the metadata has a title (and the catalog a language);
- HTML: well-formed (every element closed, in order), unique ids, and every local link (the sibling
  editions, the catalog, fragments) resolves inside OUT.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# Elements whose end tag HTML lets a document leave out.
OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup",
                "colgroup", "rb", "rt", "rp", "caption"}


@dataclass
class FileCheck:
    """What was found wrong with one file (an empty list: it passed)."""

    path: str  # relative to OUT
    kind: str  # pdf, epub, html, manifest
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Html(HTMLParser):
    """Tag balance, ids and links of one HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, int]] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag, attrs):
        self._attrs(attrs)
        if tag not in VOID:
            self.stack.append((tag, self.getpos()[0]))

    def handle_startendtag(self, tag, attrs):
        self._attrs(attrs)

    def _attrs(self, attrs):
        line = self.getpos()[0]
        for name, value in attrs:
            if name == "id" and value is not None:
                if value in self.ids:
                    self.errors.append(f"line {line}: duplicate id '{value}'")
                self.ids.add(value)
            elif name in ("href", "src") and value:
                self.links.append((value, line))

    def handle_endtag(self, tag):
        line = self.getpos()[0]
        if tag in VOID:
            return
        if tag not in (t for t, _ in self.stack):
            self.errors.append(f"line {line}: </{tag}> closes nothing")
            return
        while self.stack:
            open_tag, open_line = self.stack.pop()
            if open_tag == tag:
                return
            if open_tag not in OPTIONAL_END:
                self.errors.append(f"line {open_line}: <{open_tag}> is not closed before </{tag}> (line {line})")

    def finish(self) -> None:
        self.close()
        for tag, line in self.stack:
            if tag not in OPTIONAL_END:
                self.errors.append(f"line {line}: <{tag}> is never closed")


def check_html(path: Path, out: Path) -> list[str]:
    """Well-formedness, unique ids and local links of an HTML page."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"cannot read as UTF-8: {exc}"]
    parser = _Html()
    parser.feed(text)
    parser.finish()
    errors = list(parser.errors)
    if not text.lstrip().lower().startswith("<!doctype html"):
        errors.append("no <!DOCTYPE html>")
    for href, line in parser.links:
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("//"):
            continue  # http(s):, mailto:, data: … are not ours to resolve
        if not parts.path:
            if parts.fragment and unquote(parts.fragment) not in parser.ids:
                errors.append(f"line {line}: link to #{parts.fragment}, which is not in the page")
            continue
        target = (path.parent / unquote(parts.path)).resolve()
        if parts.path.endswith("/"):
            target = target / "index.html"
        try:
            target.relative_to(out.resolve())
        except ValueError:
            errors.append(f"line {line}: link {href!r} leaves the output folder")
            continue
        if not target.exists():
            errors.append(f"line {line}: link {href!r} points to a missing file")
    return errors


def _font_errors(resources, seen: set, errors: list[str], page: int) -> None:
    import pikepdf

    if resources is None:
        return
    fonts = resources.get("/Font")
    for name, font in (fonts.items() if fonts is not None else []):
        key = font.objgen
        if key in seen and key != (0, 0):
            continue
        seen.add(key)
        subtype = str(font.get("/Subtype", ""))
        if subtype == "/Type3":
            continue  # glyphs drawn by the PDF itself
        target = font.DescendantFonts[0] if subtype == "/Type0" else font
        descriptor = target.get("/FontDescriptor")
        if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
            errors.append(f"page {page}: font {font.get('/BaseFont', name)} is not embedded")
    xobjects = resources.get("/XObject")
    for _, xo in (xobjects.items() if xobjects is not None else []):
        if isinstance(xo, pikepdf.Stream) and xo.get("/Subtype") == "/Form" and xo.objgen not in seen:
            seen.add(xo.objgen)
            _font_errors(xo.get("/Resources"), seen, errors, page)


def check_pdf(path: Path) -> list[str]:
    """The PDF opens, embeds every font and has a title and a language."""
    import pikepdf

    errors: list[str] = []
    try:
        with pikepdf.open(path) as pdf:
            if len(pdf.pages) == 0:
                errors.append("no pages")
            seen: set = set()
            for n, page in enumerate(pdf.pages, start=1):
                _font_errors(page.obj.get("/Resources"), seen, errors, n)
            title = str(pdf.docinfo.get("/Title", "")).strip() if pdf.docinfo is not None else ""
            if not title:
                errors.append("metadata: no /Title")
            if not str(pdf.Root.get("/Lang", "")).strip():
                errors.append("metadata: no /Lang in the catalog")
    except pikepdf.PdfError as exc:
        errors.append(f"not a readable PDF: {exc}")
    except Exception as exc:  # a broken file must be a failed check, never a crash
        errors.append(f"not a readable PDF: {type(exc).__name__}: {exc}")
    return errors


def check(out: Path, epubcheck: bool = True) -> list[FileCheck]:
    """Check every edition in OUT's manifest, the catalog page too; one FileCheck per file."""
    from .dist import sha256_file

    out = out.resolve()
    manifest_path = out / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [FileCheck("manifest.json", "manifest", [f"cannot read the manifest: {exc}"])]
    results: list[FileCheck] = []
    epubs: list[tuple[FileCheck, Path]] = []
    for paper in manifest.get("papers", []):
        for fmt, ed in sorted(paper.get("editions", {}).items()):
            rel = ed.get("path", "")
            path = out / rel
            fc = FileCheck(rel, fmt)
            results.append(fc)
            if not path.is_file():
                fc.errors.append("missing (listed in manifest.json)")
                continue
            if path.stat().st_size != ed.get("size") or sha256_file(path) != ed.get("sha256"):
                fc.errors.append("size or SHA-256 differs from manifest.json (changed after the build?)")
            if fmt == "pdf":
                fc.errors += check_pdf(path)
            elif fmt == "html":
                fc.errors += check_html(path, out)
            elif fmt == "epub" and epubcheck:
                epubs.append((fc, path))
    from .paging import CATALOG_DIR  # the catalog's other pages and its tag and series listings (docs/scale.md)

    pages = [out / "index.html"] * (out / "index.html").is_file() + sorted(
        p for pattern in ("page-*.html", "tag-*.html", "series-*.html") for p in (out / CATALOG_DIR).glob(pattern))
    for page in pages:
        rel = page.relative_to(out).as_posix()
        results.append(FileCheck(rel, "html", check_html(page, out)))
    if epubs:
        from .validate import epubcheck as run_epubcheck

        try:
            reports = run_epubcheck([p for _, p in epubs])
        except Exception as exc:  # no Java, no jar…
            for fc, _ in epubs:
                fc.errors.append(f"EPUBCheck could not run: {type(exc).__name__}: {exc}")
        else:
            for (fc, _), report in zip(epubs, reports):
                if not report.ok:
                    fc.errors += report.describe().splitlines()[1:] or [
                        f"EPUBCheck: {report.fatals} fatal, {report.errors} errors, {report.warnings} warnings"]
                    if not fc.errors:
                        fc.errors.append("EPUBCheck failed")
    return results
