"""The PDF edition (issue 6): page sizes, fonts and fallbacks, outline, metadata, press output,
PDF/A and PDF/UA variants, reproducibility. Every check reads a built PDF with pikepdf or poppler."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from publisher.build import BuildOptions, build
from publisher.cli import cli
from publisher.editions import pdf as pdf_edition

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "sites" / "pdf-typeset"
PT_PER_MM = 72 / 25.4
PREFLIGHT_JARS = ["preflight", "pdfbox2", "fontbox2", "xmpbox", "commons-logging", "javax.activation", "jaxb-api"]


def pdf_of(report, slug: str) -> Path:
    return report.out / slug / f"{slug}.pdf"


def outline_titles(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    found = []
    with pdf.open_outline() as outline:
        def walk(items, depth):
            for it in items:
                found.append((depth, it.title))
                walk(it.children, depth + 1)
        walk(outline.root, 0)
    return found


def page_text(path: Path, page: int, **crop) -> str:
    """pdftotext of one page; CROP (x, y, W, H in points) limits it to a region."""
    args = ["pdftotext", "-f", str(page), "-l", str(page), "-layout"]
    for key, value in crop.items():
        args += [f"-{key}", str(round(value))]
    return subprocess.run(args + [str(path), "-"], capture_output=True, text=True, check=True).stdout


def word_boxes(path: Path, page: int) -> list[tuple[float, float, str]]:
    """(xMin, yMin, word) of every word on PAGE (pdftotext -bbox)."""
    out = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), "-bbox", str(path), "-"],
                         capture_output=True, text=True, check=True).stdout
    return [(float(x), float(y), w) for x, y, w in re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>', out)]


@pytest.fixture(scope="module")
def press_build(tmp_path_factory):
    """The fixture site built with --print and PDF/UA-1 (PDF only)."""
    out = tmp_path_factory.mktemp("pdf-press")
    return build(BuildOptions(source=FIXTURE, out=out, formats=["pdf"], print_ready=True, pdf_variant="pdf/ua-1"))


# ---- page size and geometry -------------------------------------------------------------------------------

def test_page_size_per_paper_and_per_build(built_sites, tmp_path):
    report = built_sites["pdf-typeset"]
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    with pikepdf.open(pdf_of(report, "harbour-scripts")) as pdf:  # front matter page_size: 6x9
        assert [round(float(v)) for v in pdf.pages[0].MediaBox] == [0, 0, 432, 648]
    with pikepdf.open(pdf_of(report, "quay-lighting")) as pdf:  # the config's page_size: Letter
        assert [round(float(v)) for v in pdf.pages[0].MediaBox] == [0, 0, 612, 792]
    # --page-size wins over both; B5 is 176 x 250 mm
    forced = build(BuildOptions(source=FIXTURE, out=tmp_path, formats=["pdf"], page_size="B5"))
    for slug in ("harbour-scripts", "quay-lighting"):
        with pikepdf.open(pdf_of(forced, slug)) as pdf:
            box = [float(v) for v in pdf.pages[0].MediaBox]
            assert box[2] == pytest.approx(176 * PT_PER_MM, abs=0.5) and box[3] == pytest.approx(250 * PT_PER_MM, abs=0.5)


@pytest.mark.parametrize("size,width,height", [("A4", 210, 297), ("Letter", 215.9, 279.4), ("B5", 176, 250),
                                               ("6x9", 152.4, 228.6), ("170mm 24cm", 170, 240)])
def test_geometry_has_a_binding_gutter_and_a_sensible_measure(size, width, height):
    g = pdf_edition.geometry(size)
    assert (g.width, g.height) == pytest.approx((width, height), abs=0.05)
    assert g.inner > g.outer >= 14  # the binding side is wider
    measure_em = (g.width - g.inner - g.outer) / (g.font_pt * 25.4 / 72)
    assert 30 <= measure_em <= 38.5
    assert g.bottom > g.top


def test_margins_are_mirrored_on_recto_and_verso(built_sites):
    path = pdf_of(built_sites["corpus"], "prisoners-of-assad")
    g = pdf_edition.geometry("A4")
    lefts = {}
    for page in (4, 5):  # a verso (even) and a recto (odd) page of running text
        words = [x for x, y, w in word_boxes(path, page) if y > g.top * PT_PER_MM]  # below the running head
        lefts[page] = min(words)
    assert lefts[4] == pytest.approx(g.outer * PT_PER_MM, abs=1.5)  # verso: outer margin on the left
    assert lefts[5] == pytest.approx(g.inner * PT_PER_MM, abs=1.5)  # recto: the gutter on the left


def test_running_heads_follow_the_house_style(built_sites):
    path = pdf_of(built_sites["corpus"], "prisoners-of-assad")
    g = pdf_edition.geometry("A4")
    head = {"x": 0, "y": 0, "W": 595, "H": g.top * PT_PER_MM}
    foot = {"x": 0, "y": (297 - g.bottom) * PT_PER_MM, "W": 595, "H": g.bottom * PT_PER_MM}
    assert page_text(path, 1, **head).strip() == ""  # title page
    assert page_text(path, 2, **head).strip() == ""  # contents
    assert page_text(path, 2, **foot).strip() == ""
    assert page_text(path, 3, **head).strip() == ""  # the first text page opens a section...
    assert page_text(path, 3, **foot).split() == ["3"]  # ...and its folio drops to the foot
    # top-level sections and the pages they open on, from the contents (bold entries are not indented)
    contents = page_text(path, 2)
    openings = {int(n): t.strip() for t, n in re.findall(r"^(\S[^\n]*?)[ .]{3,}(\d+)$", contents, re.M)}
    assert len(openings) == 7 and "Methodology" in openings.values()
    pages = len(pikepdf.open(path).pages)
    rectos = 0
    for page in range(4, pages + 1):
        words = page_text(path, page, **head).split()
        if page in openings:  # a long paper opens each top-level section on a new page, no running head
            assert words == [], (page, words)
            assert page_text(path, page, **foot).split() == [str(page)]
        elif page % 2 == 0:  # verso: folio outside, then the paper title
            assert words[0] == str(page) and " ".join(words[1:]) == "Prisoners Of Assad", (page, words)
        else:  # recto: the current section title, folio outside
            assert words[-1] == str(page) and " ".join(words[:-1]) in openings.values(), (page, words)
            rectos += 1
    assert rectos >= 5


def test_contents_page_only_from_three_sections(built_sites):
    assert "Contents" in page_text(pdf_of(built_sites["corpus"], "prisoners-of-assad"), 2)
    short = pdf_of(built_sites["pdf-typeset"], "quay-lighting")  # two sections
    assert "Contents" not in page_text(short, 2) and "Lamps" in page_text(short, 2)
    assert len(pikepdf.open(short).pages) == 2


def test_no_blank_pages_and_title_page_text_is_not_indented(built_sites):
    for name, report in built_sites.items():
        for path in report.out.rglob("*.pdf"):
            with pikepdf.open(path) as pdf:
                pictures = [bool(pg.Resources.get("/XObject")) for pg in pdf.pages]  # a cover has no text
            volume = "volumes" in path.relative_to(report.out).parts  # issue 17: papers open on rectos
            for page, picture in enumerate(pictures, 1):
                if volume and page % 2 == 0 and page < len(pictures):
                    continue  # a volume's blank verso before a paper (or its index) opening on the recto
                assert picture or page_text(path, page).strip(), f"{path.name} page {page} is blank"
    path = pdf_of(built_sites["pdf-typeset"], "harbour-scripts")
    g = pdf_edition.geometry("6x9")
    lefts = {round(x, 1) for x, y, w in word_boxes(path, 1) if w in ("Sailors", "Petra", "Harbour")}
    assert lefts == {round(g.inner * PT_PER_MM, 1)}  # title, authors and summary all start at the margin


# ---- fonts ------------------------------------------------------------------------------------------------

def test_every_font_is_embedded_and_subset_in_every_pdf(built_sites):
    for report in built_sites.values():
        for path in report.out.rglob("*.pdf"):
            rows = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                  check=True).stdout.splitlines()[2:]
            assert rows, path
            for row in rows:
                assert re.search(r"\byes\s+yes\s+yes\b", row), f"{path.name}: {row}"


def test_one_subset_per_face_not_per_type_size(built_sites):
    path = pdf_of(built_sites["corpus"], "prisoners-of-assad")
    names = [row.split()[0].split("+", 1)[1] for row in subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]]
    assert len(names) == len(set(names)), names  # a variable font used to give one subset per size
    assert {"Publisher-Text", "Publisher-Text-Italic", "Publisher-Display-Bold"} <= set(names)


def test_fallback_fonts_cover_greek_cyrillic_arabic_and_cjk(built_sites):
    path = pdf_of(built_sites["pdf-typeset"], "harbour-scripts")
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Noto-Naskh-Arabic" in fonts and "Noto-Serif-CJK" in fonts
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for sample in ("Αποβάθρα Βορράς", "Северный причал", "北码头", "码头对船只开放"):
        assert sample in text, sample  # the text round-trips: real glyphs with a ToUnicode map, no tofu
    assert "الشمالي" in text or "ﻲﻟﺎﻤﺸﻟا" in text  # Arabic (poppler may give presentation forms)
    assert "port’s own" in text and "'" not in text.split("def label")[0]  # curly apostrophes
    # no glyph drew the .notdef box: every font that has a ToUnicode map maps every code it uses
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                cmap = font.ToUnicode.read_bytes().decode("latin-1")
                assert "<0000>" not in re.sub(r"begincodespacerange.*?endcodespacerange", "", cmap, flags=re.S)


# ---- structure and metadata -------------------------------------------------------------------------------

def test_outline_mirrors_the_headings(built_sites, corpus_dir):
    source = next((corpus_dir / "_posts").glob("*.md")).read_text(encoding="utf-8")
    headings = [(len(m.group(1)) - 2, m.group(2).strip()) for m in re.finditer(r"^(###+) (.+)$", source, re.M)]
    with pikepdf.open(pdf_of(built_sites["corpus"], "prisoners-of-assad")) as pdf:
        titles = outline_titles(pdf)
    assert titles[0] == (0, "Prisoners Of Assad")
    assert titles[1:-1] == headings  # ### → level 1 under the title, #### → level 2
    assert titles[-1] == (1, "About the author")


def test_internal_and_external_links_are_live(built_sites):
    with pikepdf.open(pdf_of(built_sites["pdf-typeset"], "harbour-scripts")) as pdf:
        links = [a for page in pdf.pages for a in page.get("/Annots", []) if a.Subtype == "/Link"]
        uris = [str(a.A.URI) for a in links if "/A" in a and a.A.get("/S") == "/URI"]
        internal = [a for a in links if "/Dest" in a or ("/A" in a and a.A.get("/S") == "/GoTo")]
        names = {str(k) for k in pdf.Root.Names.Dests.Names[::2]}
    assert "https://example.org/port" in uris
    assert len(internal) >= 2  # the cross reference and the note (two sections: no contents page)
    assert {"the-signs", "why-scripts-matter"} <= names


def test_metadata_language_and_window_title(built_sites):
    with pikepdf.open(pdf_of(built_sites["pdf-typeset"], "harbour-scripts")) as pdf:
        assert str(pdf.Root.Lang) == "en-GB"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        info = pdf.docinfo
        assert str(info.Title) == "Harbour Signs in Five Scripts"
        assert str(info.Author) == "Petra Lindqvist, Omar Haddad"
        assert "small port" in str(info.Subject)
        assert str(info.Keywords) == "wayfinding, signage"
        assert str(info.ModDate).startswith("D:20260101000000+00'00")  # SOURCE_DATE_EPOCH
        meta = pdf.open_metadata()
        assert meta["dc:title"] == "Harbour Signs in Five Scripts"
        assert meta["dc:creator"] == ["Petra Lindqvist, Omar Haddad"]
        assert meta["dc:language"] == {"en-GB"}
        assert meta["dc:rights"] == "CC BY 4.0" and meta["dc:publisher"] == {"Estuary Press"}
        assert meta["dc:subject"] == {"wayfinding", "signage"}
        assert meta["xmp:ModifyDate"].startswith("2026-01-01T00:00:00")
        assert meta["pdf:Producer"].startswith("WeasyPrint")


def test_rebuild_is_byte_identical(built_sites, tmp_path):
    again = build(BuildOptions(source=FIXTURE, out=tmp_path, formats=["pdf"]))
    for slug in ("harbour-scripts", "quay-lighting"):
        first = pdf_of(built_sites["pdf-typeset"], slug).read_bytes()
        assert pdf_of(again, slug).read_bytes() == first, slug


# ---- press output and variants ----------------------------------------------------------------------------

def test_print_output_has_bleed_trim_boxes_and_marks(press_build):
    assert not press_build.failed
    bleed = 3 * PT_PER_MM
    with pikepdf.open(pdf_of(press_build, "harbour-scripts")) as pdf:
        for page in pdf.pages:
            media = [float(v) for v in page.MediaBox]
            trim = [float(v) for v in page.TrimBox]
            bleed_box = [float(v) for v in page.BleedBox]
            assert trim[2] - trim[0] == pytest.approx(432, abs=0.1)  # the trimmed page is still 6 x 9 in
            assert trim[3] - trim[1] == pytest.approx(648, abs=0.1)
            assert [t - m for t, m in zip(trim[:2], media[:2])] == pytest.approx([bleed, bleed], abs=0.1)
            assert bleed_box == pytest.approx(media, abs=0.1)
    # crop and cross marks are drawn in the bleed, outside the trim: dark pixels in the corner and on the
    # middle of the edge (cross mark); the page without --print has nothing there
    def dark(path, x, y):
        out = subprocess.run(["pdftoppm", "-f", "2", "-l", "2", "-r", "300", "-gray", "-x", str(x), "-y", str(y),
                              "-W", "40", "-H", "40", str(path)], capture_output=True, check=True).stdout
        from io import BytesIO

        from PIL import Image
        return min(Image.open(BytesIO(out)).getdata()) < 100
    path = pdf_of(press_build, "harbour-scripts")
    width_px = round((432 + 2 * bleed) / 72 * 300)
    assert dark(path, 0, 0) and dark(path, width_px - 40, 0)  # crop marks at the top corners
    assert dark(path, width_px // 2 - 20, 0)  # cross mark, middle of the head
    assert not dark(path, 0, 200)  # and nothing else in the bleed
    # press colours: text on the black plate only, the accent in CMYK
    with pikepdf.open(path) as pdf:
        content = pdf.pages[-1].Contents.read_bytes()
    assert b"/DeviceCMYK cs" in content and b"0 0 0 1 scn" in content


def test_print_build_warns_about_low_resolution_images_and_makes_a_cover(tmp_site):
    from PIL import Image

    root = tmp_site({"_posts/2025-01-01-pictures.md": (
        "---\ntitle: Pictures\nimage: /assets/cover.png\n---\n\nA paragraph.\n\n![A small map](/assets/map.png)\n")})
    (root / "assets").mkdir()
    Image.new("RGB", (60, 40), (20, 90, 160)).save(root / "assets" / "map.png")
    Image.new("RGB", (300, 400), (160, 40, 20)).save(root / "assets" / "cover.png")
    report = build(BuildOptions(source=root, out=root / "out", formats=["pdf"], print_ready=True))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    warnings = [p for r in report.papers for p in r.problems if "dpi" in p.message]
    assert any("map.png" in p.message and p.severity == "warning" for p in warnings), warnings
    with pikepdf.open(pdf_of(report, "pictures")) as pdf:
        first = pdf.pages[0]
        images = [x for x in first.Resources.get("/XObject", {}).values() if x.Subtype == "/Image"]
        assert any(int(x.Width) == 300 for x in images)  # page 1 is the cover...
        assert b" Do" in first.Contents.read_bytes() and not page_text(pdf_of(report, "pictures"), 1).strip()
    assert "Pictures" in page_text(pdf_of(report, "pictures"), 2)  # then the title page


def test_pdfua_variant_is_tagged_with_language_title_and_identification(press_build):
    with pikepdf.open(pdf_of(press_build, "harbour-scripts")) as pdf:
        assert pdf.Root.MarkInfo.Marked is True
        tree = pdf.Root.StructTreeRoot
        roles = set()

        def walk(node, depth=0):
            if depth > 40:
                return
            if isinstance(node, pikepdf.Dictionary):
                if "/S" in node:
                    roles.add(str(node.S))
                kids = node.get("/K")
                for kid in (kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else []):
                    walk(kid, depth + 1)
        walk(tree)
        assert {"/H1", "/H2", "/P", "/Table", "/Link"} <= roles, roles
        assert str(pdf.Root.Lang) == "en-GB" and pdf.Root.ViewerPreferences.DisplayDocTitle is True
        meta = pdf.open_metadata()
        assert meta["pdfuaid:part"] == "1" and meta["dc:title"] == "Harbour Signs in Five Scripts"
    info = subprocess.run(["pdfinfo", str(pdf_of(press_build, "harbour-scripts"))], capture_output=True,
                          text=True, check=True).stdout
    assert re.search(r"Tagged:\s+yes", info)


@pytest.mark.slow
def test_archive_and_accessible_variants_together(tmp_path):
    report = build(BuildOptions(source=FIXTURE, out=tmp_path, formats=["pdf"], pdf_variant="pdf/a-3b,pdf/ua-1",
                                print_ready=True))
    with pikepdf.open(pdf_of(report, "quay-lighting")) as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3" and meta["pdfaid:conformance"] == "B" and meta["pdfuaid:part"] == "1"
        assert pdf.Root.OutputIntents[0].S == "/GTS_PDFA1"
        assert "/StructTreeRoot" in pdf.Root
        assert meta.pdfa_status == "3B"
        assert b"/DeviceCMYK" not in pdf.pages[-1].Contents.read_bytes()  # sRGB only beside the sRGB intent
        pdf.check_pdf_syntax() if hasattr(pdf, "check_pdf_syntax") else None
    check = subprocess.run(["qpdf", "--check", str(pdf_of(report, "quay-lighting"))], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def _preflight_classpath() -> str | None:
    jars = [Path("/usr/share/java") / f"{name}.jar" for name in PREFLIGHT_JARS]
    return ":".join(map(str, jars)) if all(j.is_file() for j in jars) and shutil.which("java") else None


@pytest.mark.skipif(_preflight_classpath() is None, reason="PDFBox Preflight not installed (libpdfbox2-java)")
@pytest.mark.java
def test_pdfa_1b_build_passes_pdfbox_preflight(tmp_path):
    report = build(BuildOptions(source=FIXTURE, out=tmp_path, formats=["pdf"], pdf_variant="pdf/a-1b"))
    # PDF/A-1 (PDF 1.4) cannot embed CFF-flavoured OpenType such as Noto CJK: the scripts paper is for
    # PDF/A-2b and later, so only the Latin paper is checked here
    paths = [pdf_of(report, "quay-lighting")]
    for path in paths:
        run = subprocess.run(["java", "-cp", _preflight_classpath(), "org.apache.pdfbox.preflight.Validator_A1b",
                              str(path)], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


# ---- options and helpers ----------------------------------------------------------------------------------

def test_cli_rejects_a_bad_page_size_and_variant(tmp_path):
    runner = CliRunner()
    bad_size = runner.invoke(cli, ["build", str(FIXTURE), "-o", str(tmp_path), "--page-size", "huge"])
    assert bad_size.exit_code == 2 and "page-size" in bad_size.output
    bad_variant = runner.invoke(cli, ["build", str(FIXTURE), "-o", str(tmp_path), "--pdf-variant", "pdf/x-4"])
    assert bad_variant.exit_code == 2 and "pdf/x-4" in bad_variant.output


def test_config_options_are_validated(tmp_site):
    from publisher import config
    from publisher.model import InputError

    root = tmp_site({}, "publisher:\n  print: true\n  pdf_variant: pdf/a-3b\n  bleed: 5mm\n")
    opts = config.load(root).options
    assert opts.print is True and opts.pdf_variant == "pdf/a-3b" and opts.bleed == "5mm"
    assert pdf_edition.press_options(opts)["print_ready"] is True
    for bad, key in (("pdf_variant: pdf/a-9z", "PDF variant"), ("bleed: lots", "bleed"), ("marks: stars", "marks")):
        root = tmp_site({}, f"publisher:\n  {bad}\n")
        with pytest.raises(InputError) as exc:
            config.load(root)
        assert exc.value.problem.line == 2 and key in exc.value.problem.message


def test_a_bad_page_size_in_front_matter_is_a_warning(tmp_site):
    root = tmp_site({"_posts/2025-01-01-odd.md": "---\ntitle: Odd\npage_size: huge\n---\n\nText.\n"})
    report = build(BuildOptions(source=root, out=root / "out", formats=["pdf"]))
    assert not report.failed
    assert any("page_size" in p.message and p.severity == "warning" for r in report.papers for p in r.problems)
    with pikepdf.open(pdf_of(report, "odd")) as pdf:
        assert round(float(pdf.pages[0].MediaBox[2])) == 595  # the default, A4


def test_small_caps_wrap_abbreviations_in_text_only():
    html = ('<p>The IRGC and the UN met; Ladwig III wrote.</p><pre><code>NATO = 1</code></pre>'
            '<p><a href="#NATO" title="US">See NATO</a> <abbr>EU</abbr></p>')
    from publisher.editions.body import parse, serialize, small_caps

    root = parse(html)
    small_caps(root)
    out = serialize(root)
    assert '<span class="caps">IRGC</span>' in out and '<span class="caps">UN</span>' in out
    assert "Ladwig III" in out  # roman numerals stay capitals
    assert "<code>NATO = 1</code>" in out  # code untouched
    assert 'href="#NATO" title="US"' in out and '<span class="caps">NATO</span></a>' in out
    assert "<abbr>EU</abbr>" in out


@pytest.mark.parametrize("lang,word", [("en-GB", "internationalisation"), ("de", "Hafenverwaltungsgebäude")])
def test_hyphenation_follows_the_language(tmp_path, lang, word):
    from weasyprint import HTML

    html = f'<html lang="{lang}"><body><p style="width: 5em; hyphens: auto; font-size: 12pt">{word}</p></body></html>'
    out = tmp_path / "h.pdf"
    HTML(string=html).write_pdf(out, stylesheets=pdf_edition._stylesheets("A5"), font_config=pdf_edition._font_config())
    lines = [line.strip() for line in page_text(out, 1).splitlines() if line.strip() and not line.strip().isdigit()]
    assert len(lines) > 1 and all(line.endswith("\u2010") for line in lines[:-1]), lines  # hyphens inside the word
    assert "".join(line.rstrip("\u2010") for line in lines) == word


def test_each_stream_is_compressed_once_and_the_pdf_bytes_stay_the_same(monkeypatch):
    """pydyf asks every object for its bytes twice when the PDF has an identifier (the /ID hash);
    the finisher serializes each stream once. Same bytes, half the compression."""
    import zlib

    import pydyf

    weasyprint = pdf_edition.load_weasyprint()
    document = weasyprint.HTML(string="<h1>Title</h1><p>Some text on the page.</p>" * 20).render()
    calls = []
    real = zlib.compressobj
    monkeypatch.setattr(pydyf.zlib, "compressobj", lambda *a, **k: calls.append(1) or real(*a, **k))
    plain = document.write_pdf(pdf_identifier=b"paper")
    twice = len(calls)
    calls.clear()
    once = document.write_pdf(pdf_identifier=b"paper",
                              finisher=lambda doc, pdf: pdf_edition._serialize_streams_once(pdf))
    assert once == plain
    # write() itself makes the object stream (serialized twice) and the xref stream (once): 3 calls
    assert twice > 3 and len(calls) - 3 == (twice - 3) // 2
