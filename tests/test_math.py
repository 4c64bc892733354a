"""Math the site renders: macros (post and site config), legacy TeX, equation environments, \\tag,
`\\|` in kramdown tables and the site's `$` delimiter (publisher.texmacros, mathconfig, mathprep)."""
from __future__ import annotations

import re
import subprocess

import pytest

from publisher import mathconfig, mathprep, texmacros
from publisher.build import BuildOptions, build

MATHJAX_INCLUDE = r"""<script>
window.MathJax = {
  tex: {
    inlineMath: [['$', '$'], ['\\(', '\\)']],
    macros: { RR: "{\\bf R}", norm: ["\\left\\lVert #1 \\right\\rVert", 1] }
  }
};
</script>
"""

POST = r"""---
title: Macros
---
<div style="display: none">
$$
\DeclareMathOperator{\opE}{\mathbb{E}}
\newcommand{\E}[2]{\opE_{#1} \left[ #2 \right]}
\def\xx{\pmb{x}}
\definecolor{mom}{RGB}{27, 158, 119}
$$
</div>

The risk is $ \E{p}{\xx} $ over $x \in \RR$ with $\norm{v}$ here, not math.

$${\bf w} = {\rm d}x + {\cal L} + \textcolor{mom}{m} + \text{ok}$$

| name | value |
|------|-------|
| abs  | $a \| b$ |

$$\begin{equation}
q = r \tag{7}
\end{equation}$$

\begin{align}
s &= t \\
u &= v
\end{align}
"""


def _site(tmp_path, files: dict[str, str], config: str = "title: T\nurl: https://example.org\n"):
    root = tmp_path / "site"
    for rel, text in {"_config.yml": config, **files}.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("math")
    root = _site(tmp, {"_includes/mathjax.html": MATHJAX_INCLUDE, "_posts/2024-01-02-macros.md": POST})
    report = build(BuildOptions(source=root, out=tmp / "out", jobs=1, formats=["pdf", "epub", "html"]))
    return report


def test_no_tex_source_and_no_warning(built):
    (paper,) = built.papers
    assert not paper.failed, paper.problems
    math_warnings = [p for p in paper.problems if "math" in p.message]
    assert not math_warnings, math_warnings
    pdf = built.out / "macros" / "macros.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "\\" not in text, text
    assert "here, not math" in text
    assert "$" not in text


def test_macros_expanded_in_mathml(built):
    page = (built.out / "macros" / "index.html").read_text(encoding="utf-8")
    mathml = " ".join(re.findall(r"<math\b.*?</math>", page, re.S))
    assert "𝔼" in mathml or 'mathvariant="double-struck">E' in mathml  # \E → \opE → \mathbb{E}
    assert "𝑹" in mathml or "𝐑" in mathml  # the site's \RR ({\bf R}) from the MathJax include
    assert "∥</mo><mi>v</mi>" in mathml  # the site's \norm with one argument
    assert "𝒙" in mathml  # \xx → \pmb{x}
    assert ("𝒘" in mathml or "𝐰" in mathml) and "ℒ" in mathml  # {\bf w}, {\cal L}
    # \tag{7}: drawn in the MathML by math-environments.lua, or beside it by crossref.lua when that runs
    assert "(7)" in mathml or '<span class="eq-number">(7)</span>' in page
    assert page.count("<math") >= 7
    table = re.search(r"<table.*?</table>", page, re.S).group(0)
    assert "<math" in table and "∥" not in table and "|" in table  # \| was escaped for the table: a bar


def test_epub_has_expanded_mathml(built):
    import zipfile

    with zipfile.ZipFile(built.out / "macros" / "macros.epub") as z:
        text = " ".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xhtml"))
    assert "𝒙" in text and "\\xx" not in text.split("<annotation")[0]


# ---- units ------------------------------------------------------------------------------------------

def test_definitions_and_expansion():
    found, rest = texmacros.definitions(r"\newcommand{\a}[2][z]{#1+#2}\renewcommand\b{B}\def\c#1#2{#2#1} x")
    table = texmacros.as_dict(found)
    assert rest.strip() == "x"
    assert texmacros.expand(r"\a{y} \a[w]{y} \b \c12", table) == "z+y w+y B21"
    loop = texmacros.as_dict([texmacros.Macro("x", 0, r"\x\x")])
    assert len(texmacros.expand(r"\x", loop)) <= texmacros.MAX_LENGTH + 10  # a runaway definition stops
    assert texmacros.expand(r"\f b", texmacros.as_dict([texmacros.Macro("f", 0, r"\alpha")])) == r"\alpha b"
    op = texmacros.as_dict(texmacros.definitions(r"\DeclareMathOperator{\opp}{p}")[0])
    assert texmacros.expand(r"\hat\opp(x) + x^\opp + \opp", op) == r"\hat{\operatorname{p}}(x) + x^{\operatorname{p}}+ \operatorname{p}"


def test_legacy_tex():
    assert texmacros.modernize(r"{\bf x} + {\rm d}x") == r"{\mathbf{x}} + {\mathrm{d}}x"
    assert texmacros.modernize(r"{a \over b}") == r"{\frac{a}{b}}"
    assert texmacros.modernize(r"\textcolor{red}{y} \color{blue} z") == "{y}  z"
    assert texmacros.modernize(r"\Bbb R \require{cancel}") == r"\mathbb R "
    assert texmacros.modernize(r"\textcolor{a}{\textcolor{b}{x}} {\Large y}") == r"{{x}} {y}"
    assert mathprep.prepare(r"$\theta^{\*}$ and \[note\*\]") == r"$\theta^{*}$ and \[note\*\]"
    assert mathprep.prepare(r"a $x \in \\{1, 2\\}$ b") == r"a $x \in \{1, 2\}$ b"
    assert mathprep.prepare("| a | $T(\\cdot &#124;x)$ |") == r"| a | $T(\cdot \vert x)$ |"
    assert texmacros.modernize(r"\bbox[5pt, border: 2px solid blue]{x}") == r"\boxed{x}"
    assert texmacros.modernize(r"\qquad \text{$I_2$ the identity of $R^2$}") == r"\qquad {I_2}\text{ the identity of }{R^2}"
    assert texmacros.modernize(r"\{\mkern-4mu\{x\}\mkern4mu\} \sum\limits_a \unicode{x2211}") == r"\{\!\{x\}\,\} \sum_a ∑"
    assert mathprep.prepare(r"$$\frac{\\|x\\|}{2}$$") == r"$$\frac{\|x\|}{2}$$"
    body = "$$\n\\begin{aligned}\na &= b \\\\\n\\end{aligned}\n$$"
    out = mathprep.prepare(body)
    assert out.count("\n") == body.count("\n") and not re.search(r"\n\s*\n", out)  # no blank line: still one formula
    assert mathprep.prepare(r"| $\\|x\\|$ | $a \| b$ |") == r"| $\vert x\vert $ | $a \vert  b$ |"


def test_kramdown_math_across_lines_keeps_the_line_count():
    from publisher.jekyll.kramdown import to_pandoc

    body = "<div>\n$$\n\\def\\a{b}\n$$\n</div>\n\ntext $$x\n= y$$ and $$z$$.\n"
    out = to_pandoc(body)
    assert out.count("\n") == body.count("\n")
    assert "$$\n\\def\\a{b}\n$$" in out and "text \\\\(x\n= y\\\\) and \\\\(z\\\\)." in out
    code = "Write `$$`, like `$$ E $$`, to get $$ E $$.\n"
    assert to_pandoc(code) == "Write `$$`, like `$$ E $$`, to get \\\\(E\\\\).\n"  # code spans are not math
    assert texmacros.modernize("\\begin{align*} a &= b \\\\\n\\end{align*}") == "\\begin{align*} a &= b \n\\end{align*}"
    assert texmacros.modernize(r"\begin{align} a &= b \\\\ c &= d \end{align}") == r"\begin{align} a &= b \\ c &= d \end{align}"


def test_dollar_delimiters_follow_the_site():
    text = "costs $5 and $10, and $ x $ is math"
    assert mathprep.prepare(text, dollars=True).endswith(r"\\(x\\) is math")
    assert mathprep.prepare(text, dollars=False) == r"costs \$5 and \$10, and \$ x \$ is math"
    assert mathprep.prepare("`$a$` and $$b$$", dollars=False) == "`$a$` and $$b$$"
    assert mathprep.prepare(text) == text  # nothing said: pandoc's own rule


def test_single_dollar_math_is_kramdown_text_first():
    r"""`$…$` is text for kramdown, whose backslash escapes MathJax never sees: `\\\{` reaches it as `\{`."""
    got = mathprep.prepare(r"a task $ \mathcal{T} = \\\{ D, L \\\} $, $x\_1 \\ y$ and $$\\{z\\}$$", dollars=True)
    assert got == r"a task \\(\mathcal{T} = \{ D, L \}\\), \\(x_1 \ y\\) and $$\{z\}$$"


def test_lines_are_kept():
    body = "a\n<div>\n$$\n\\def\\x{y}\n\n\\def\\z{w}\n$$\n</div>\n$$\n\\x\n$$ b"
    out = mathprep.prepare(body)
    assert out.count("\n") == body.count("\n")
    assert "\\def" not in out and "$$\ny\n$$" in out  # a blank line inside the definitions' block too


def test_site_config_detection(tmp_path):
    root = _site(tmp_path, {
        "_layouts/post.html": "<script>renderMathInElement(document.body, {delimiters: [{left: '$$', right: '$$', "
                              "display: true}, {left: '\\\\(', right: '\\\\)', display: false}], "
                              "macros: {'\\\\RR': '\\\\mathbb{R}'}});</script>"})
    config = mathconfig.load(root)
    assert config.dollars is False and config.macros["RR"].body == "\\mathbb{R}"
    assert config.files == ["_layouts/post.html"]
    katex = _site(tmp_path / "k", {"_includes/katex.html": "katex: delimiters: [{left: \"$\", right: \"$\", "
                                                            "display: false}]"})
    assert mathconfig.load(katex).dollars is True
    yml = mathconfig.load(tmp_path, {"mathjax": {"inlineMath": [["$", "$"]], "macros": {"N": "\\mathbb{N}"}}})
    assert yml.dollars is True and "N" in yml.macros
    assert mathconfig.load(tmp_path / "none").dollars is None
    assert mathconfig.load(tmp_path / "none", {"enable_math": True}).dollars is True  # al-folio's switch


# ---- language codes -------------------------------------------------------------------------------

def test_language_codes_become_bcp47(tmp_path):
    from publisher.validate import epubcheck

    root = _site(tmp_path, {
        "_posts/2024-01-01-chinese.md": "---\ntitle: 中文\nlang: zh_cn\n---\n中文文本。\n",
        "_posts/2024-01-02-brazil.md": "---\ntitle: Olá\nlang: pt_BR\n---\nTexto.\n",
        "_posts/2024-01-03-bad.md": "---\ntitle: Bad\nlang: english language\n---\nText.\n",
        "_posts/2024-01-04-site.md": "---\ntitle: Site\n---\nText.\n",
    }, config="title: T\nlang: en-us\n")
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["epub", "html"]))
    by_slug = {p.slug: p for p in report.papers}
    assert not any(p.failed for p in report.papers)
    for slug, tag in (("chinese", "zh-CN"), ("brazil", "pt-BR"), ("site", "en-US"), ("bad", "und")):
        page = (report.out / slug / "index.html").read_text(encoding="utf-8")
        assert f'<html lang="{tag}"' in page, (slug, page[:300])
        import zipfile
        with zipfile.ZipFile(report.out / slug / f"{slug}.epub") as z:
            opf = next(z.read(n).decode() for n in z.namelist() if n.endswith(".opf"))
        assert f"<dc:language>{tag}</dc:language>" in opf
    (warning,) = [p for p in by_slug["bad"].problems if "language code" in p.message]
    assert (warning.file, warning.line) == ("_posts/2024-01-03-bad.md", 3)
    results = epubcheck(sorted(report.out.rglob("*.epub")))
    assert all(r.ok for r in results), [r.messages for r in results]


def test_math_in_raw_html_blocks(tmp_path):
    post = ("---\ntitle: Raw\n---\n<p class=\"framed\">\n  <b>Data:</b> \\(x_j \\in \\RR^d\\) and $$y = 1$$, "
            "<code>\\(not math\\)</code><br>\n  \\[ z \\]\n\\begin{align*} a &= b \\tag{2} \\end{align*}\n</p>\n\nAfter.\n")
    root = _site(tmp_path, {"_posts/2024-01-01-raw.md": post,
                            "_includes/m.html": "<script>MathJax={tex:{macros:{RR:'\\\\mathbb{R}'}}}</script>"})
    report = build(BuildOptions(source=root, out=tmp_path / "out", jobs=1, formats=["pdf", "html"]))
    assert not report.papers[0].failed, report.papers[0].problems
    page = (report.out / "raw" / "index.html").read_text(encoding="utf-8")
    framed = re.search(r'<p class="framed">.*?</p>', page, re.S).group(0)
    assert framed.count("<math") == 4 and "ℝ" in framed and "\\(not math\\)" in framed and "(2)" in framed
    text = subprocess.run(["pdftotext", str(report.out / "raw" / "raw.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "\\RR" not in text and "$$" not in text and "\\[" not in text and "\\begin" not in text and "Data:" in text


def test_heading_text_has_no_tex_source():
    from publisher.render import headings

    (h,) = headings('<h2 id="a">Choosing <math><semantics><mi>𝒙</mi><annotation encoding="application/x-tex">'
                    '\\boldsymbol{x}</annotation></semantics></math> well</h2>')
    assert h.text == "Choosing 𝒙 well"  # contents, bookmarks and running heads show no TeX
    assert "<math>" in h.html and "boldsymbol" not in h.html


def test_raw_html_braces_doubled_for_markdown():
    from publisher import rawmath
    from publisher.render import pandoc_path

    class Post:
        rel_source = "p.md"

    out, problems = rawmath.convert(r"<p>Tasks \(T = \\{ D, L \\}\)</p>", Post, pandoc_path())
    assert not problems and "<math" in out and "<mo stretchy=\"false\" form=\"prefix\">{</mo>" in out
