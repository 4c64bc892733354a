"""Front matter: splitting, decoding and safe YAML, on the real paper's quirks and tiny snippets."""
from __future__ import annotations

import codecs

import pytest

from publisher import frontmatter
from publisher.model import InputError, SourceFile


def test_real_paper_front_matter(corpus_dir):
    path = next((corpus_dir / "_posts").glob("*.md"))
    raw, warnings = frontmatter.read_post(SourceFile(path, "_posts/" + path.name, "post"))
    assert warnings == []
    meta = raw.meta
    assert meta["title"] == "Prisoners Of Assad"  # `title : …` with a space before the colon
    assert meta["date"] == "2025-09-01 12:00:00 +0800"  # PyYAML keeps this as a string
    assert "image_caption" not in meta and "#image_caption" not in meta  # commented out
    assert meta["excerpt_separator"] == "<excerpt/>"
    assert meta["image"].startswith("https://")
    assert raw.body_line == 11
    assert raw.body.lstrip().startswith("_This paper is structured")


@pytest.mark.parametrize("data", [
    b"---\ntitle: A\n---\nBody\n",
    codecs.BOM_UTF8 + b"---\ntitle: A\n---\nBody\n",
    b"---\r\ntitle: A\r\n---\r\nBody\r\n",
    codecs.BOM_UTF16_LE + "---\ntitle: A\n---\nBody\n".encode("utf-16-le"),
])
def test_encodings_and_line_endings(data):
    meta, body, line, _ = frontmatter.split(frontmatter.decode(data, "x.md"), "x.md")
    assert meta == {"title": "A"} and body == "Body\n" and line == 4


def test_invalid_utf8_is_a_clear_error():
    with pytest.raises(InputError) as exc:
        frontmatter.decode(b"---\ntitle: \xff\n---\n", "bad.md")
    assert str(exc.value.problem).startswith("bad.md:2: error: not valid UTF-8")


def test_yaml_error_names_file_line_and_column():
    with pytest.raises(InputError) as exc:
        frontmatter.split("---\ntitle: ok\ndate: [unclosed\n---\nbody\n", "p.md")
    problem = exc.value.problem
    assert problem.file == "p.md" and problem.line >= 3 and problem.col
    assert "invalid YAML front matter" in problem.message


def test_python_tags_are_refused():
    with pytest.raises(InputError) as exc:
        frontmatter.split("---\nx: !!python/object/apply:os.system ['echo hi']\n---\n", "evil.md")
    assert "custom YAML tags" in exc.value.problem.hint


def test_alias_bomb_is_refused():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 15):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}" if i > 1 else "*a"] * 9) + "]")
    with pytest.raises(InputError) as exc:
        frontmatter.split("---\n" + "\n".join(lines) + "\n---\n", "bomb.md")
    assert "alias" in exc.value.problem.message


def test_duplicate_keys_warn_and_last_wins():
    meta, _, _, warnings = frontmatter.split("---\ntitle: A\ntitle: B\n---\n", "d.md")
    assert meta["title"] == "B"
    assert warnings and warnings[0].line == 3 and "duplicate key" in warnings[0].message


def test_no_front_matter_is_not_a_post():
    assert frontmatter.split("# Just Markdown\n", "n.md") is None


def test_billion_laughs_under_the_alias_limit_is_refused_by_size():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    with pytest.raises(InputError) as exc:
        frontmatter.split("---\n" + "\n".join(lines) + "\n---\n", "laughs.md")
    assert "alias bomb" in exc.value.problem.message
