"""The EPUB adaptations Ace by DAISY asks for (publisher/editions/epub_a11y.py), one tiny post per class of
violation found on the real academic sites: wide display math, <details> with links or without a
summary text, an empty table header, numbered code lines, an inline colour too light for white."""
from __future__ import annotations

import re
import zipfile

import pytest
from test_epub import ace_books

from publisher.build import BuildOptions, build
from publisher.editions.epub_a11y import _luminance

WIDE = " + ".join(f"x_{{{i}}}^{{2}}" for i in range(1, 70))
POSTS = {
    "wide-math": f"Before the formula:\n\n$$\n{WIDE}\n$$\n\nAfter it, inline $a+b$ stays as it is.\n",
    "details": ("## Results {#results}\n\n<details><summary>Why, see <a href=\"#results\">the results</a></summary>\n"
                "The reason.\n</details>\n\n<details><summary style=\"text-align:center\"></summary>\n"
                "More.\n</details>\n"),
    "empty-header": ("<table>\n<tr><th></th><th>Score</th></tr>\n<tr><th>Model A</th><td>1</td></tr>\n"
                     "<tr><th>Model B</th><td>2</td></tr>\n</table>\n"),
    "numbered-code": "Code:\n\n{% highlight python linenos %}\nx = 1\ny = 2\n{% endhighlight %}\n",
    "light-colour": ('A <span style="color:#ff4f4b">light red remark</span>, a '
                     '<span style="color: rgb(130, 178, 102)"><b>green</b></span> one, an '
                     '<span style="color:orange">orange</span> one and a '
                     '<span style="color:#fff; background-color:#000">chosen pair</span>.\n'),
}


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("a11y-site")
    for n, (slug, body) in enumerate(POSTS.items(), start=1):
        post = root / "_posts" / f"2024-01-{n:02d}-{slug}.md"
        post.parent.mkdir(exist_ok=True)
        post.write_text(f"---\ntitle: {slug.replace('-', ' ').title()}\n---\n\n{body}", encoding="utf-8")
    report = build(BuildOptions(source=root, out=tmp_path_factory.mktemp("a11y-out"), formats=["epub"]))
    assert not report.failed, [str(p) for r in report.failed for p in r.problems]
    return {slug: report.out / slug / f"{slug}.epub" for slug in POSTS}


def _text(book) -> str:
    with zipfile.ZipFile(book) as z:
        return "".join(z.read(n).decode("utf-8") for n in sorted(z.namelist()) if re.match(r"EPUB/ch\d+", n))


def test_wide_display_math_scrolls_in_a_focusable_wrapper(books):
    text = _text(books["wide-math"])
    assert re.search(r'<span class="math-scroll" tabindex="0"><math [^>]*display="block"', text)
    assert text.count('class="math-scroll"') == 1  # the inline formula is not wrapped


def test_details_are_shown_open_as_plain_blocks(books):
    text = _text(books["details"])
    assert "<details" not in text and "<summary" not in text
    assert text.count('class="details"') == 2 and text.count('class="details-summary"') == 2
    assert re.search(r'class="details-summary"[^>]*>Why, see <a href="#results"', text)


def test_an_empty_header_cell_becomes_a_data_cell(books):
    text = _text(books["empty-header"])
    assert not re.search(r"<th[^>]*>\s*</th>|<th[^>]*/>", text)
    assert "<th>Score</th>" in text and "<th>Model A</th>" in text


def test_numbered_code_line_links_are_hidden_from_assistive_technology(books):
    links = re.findall(r'<a href="#(cb\d+-\d+)"([^>]*)/?>', _text(books["numbered-code"]))
    assert len(links) == 2
    assert all('aria-hidden="true"' in attrs and 'tabindex="-1"' in attrs for _, attrs in links)


def test_a_light_inline_colour_is_darkened_and_a_chosen_pair_kept(books):
    text = _text(books["light-colour"])
    colours = re.findall(r'style="color: ?#([0-9a-f]{6})">(?:<b>)?(light red remark|green|orange)', text)
    assert [what for _, what in colours] == ["light red remark", "green", "orange"]
    for colour, _ in colours:
        rgb = tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))
        assert 1.05 / (_luminance(rgb) + 0.05) >= 4.5, colour
    assert 'style="color:#fff;background-color:#000"' in text


@pytest.mark.ace
def test_ace_finds_no_violation_in_any_of_these_books(books, tmp_path):
    found = ace_books(list(books.values()), tmp_path / "ace")
    assert found == {book: [] for book in books.values()}
