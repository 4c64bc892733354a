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


# --- libyaml (PyYAML's C loader) and the pure-Python loader give the same front matter --------------

DATES = """\
date: 2020-01-02
d2: 2020-01-02 10:11:12
d3: 2020-01-02T10:11:12Z
d4: 2020-01-02 10:11:12.5 +02:00
d5: 2001-12-14t21:59:43.10-05:00
d6: 2020-01-02 10:11:12 +0800
d7: "2020-01-02"
d8: 2020-1-2
d9: 2020-01-02   10:11:12
numbers: [0o17, 017, 0x1F, 1_000, 1e3, 1.5e+3, .inf, ~, yes, No, on, 12:30:00, 190:20:30]
tags: [a, "b, c", 'd']
text: |
  two lines
  of text
title: A
title: B
"""


def _outcome(text: str, fast: bool) -> str:
    """What load_yaml makes of TEXT, as a string that shows types (date vs datetime, int vs str)."""
    try:
        return repr(frontmatter.load_yaml(text, "x.md", fast=fast))
    except InputError as exc:
        return f"error: {exc.problem}"


def _front_matters():
    """(name, YAML text) of every post's front matter and every _config.yml in the fixtures, and in
    ../shared's real sites when they are there."""
    from conftest import ROOT

    roots = [ROOT / "tests", ROOT / "content", ROOT.parent / "shared" / "corpus", ROOT.parent / "shared" / "realworld"]
    for root in roots:
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            if path.suffix not in (".md", ".markdown", ".html", ".yml", ".yaml") or not path.is_file():
                continue
            try:
                text = frontmatter.decode(path.read_bytes(), path.name)
            except InputError:
                continue
            if path.suffix in (".yml", ".yaml"):
                yield str(path), text
            elif match := frontmatter.FRONT_MATTER_RE.match(text):
                yield str(path), match.group(1)[match.group(1).index("\n") + 1:]


needs_libyaml = pytest.mark.skipif(frontmatter._CSafeLoader is None, reason="this PyYAML was built without libyaml")


@needs_libyaml
def test_libyaml_reads_dates_and_scalars_as_the_pure_loader_does():
    assert frontmatter._loader(DATES, fast=True) is frontmatter._CSafeLoader
    fast, pure = _outcome(DATES, True), _outcome(DATES, False)
    assert fast == pure
    assert "datetime.date(2020, 1, 2)" in fast and "tzinfo=datetime.timezone(datetime.timedelta(seconds=7200))" in fast
    assert "'2020-01-02 10:11:12 +0800'" in fast and "duplicate key 'title'" in fast


@needs_libyaml
def test_libyaml_and_the_pure_loader_agree_on_every_fixture():
    found = list(_front_matters())
    assert len(found) > 50
    for name, text in found:
        assert _outcome(text, True) == _outcome(text, False), name


@needs_libyaml
@pytest.mark.parametrize("text", ["a: [b\n", "a: b\n\tc: d\n", "a: 'b\n", "a: 2020-13-45\n", "a: !!python/object:os.system x\n"])
def test_errors_are_worded_the_same_with_libyaml(text):
    fast = _outcome(text, True)
    assert fast.startswith("error: x.md:") and fast == _outcome(text, False)


def test_an_impossible_date_is_an_error_at_its_line():
    with pytest.raises(InputError) as exc:
        frontmatter.split(frontmatter.decode(b"---\ntitle: A\ndate: 2020-13-45\n---\nBody\n", "x.md"), "x.md")
    assert str(exc.value.problem).startswith("x.md:3:7: error: invalid YAML front matter: cannot read '2020-13-45'")


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("text", ["a: !!bool maybe\n", "a: !!int x\n", "a: !!float x\n", "a: !!timestamp x\n",
                                  "a: !!set [a]\n", "a: !!map x\n", "a: !!omap x\n", "b: 1\na: 2020-02-30\n"])
def test_a_value_its_tag_cannot_make_is_reported_not_raised(text, fast):
    with pytest.raises(InputError) as exc:
        frontmatter.load_yaml(text, "x.md", first_line=2, fast=fast)
    problem = exc.value.problem
    assert problem.message.startswith("invalid YAML front matter: ") and problem.hint
    assert problem.line == 1 + text.count("\n")  # the line of the value (first_line is 2)
