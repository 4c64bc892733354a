"""Each house filter on its sample input, compared with the expected output (golden files).

Regenerate on purpose with `pytest tests/test_filters.py --update-golden` and read the diff."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from publisher.render import READER, pandoc_path
from publisher.resources import FILTERS_DIR

HERE = Path(__file__).parent / "filters"
FILTERS = sorted(p.name for p in HERE.iterdir() if p.is_dir())
# Standalone output with a template that shows the metadata fields the filters fill in.
TEMPLATE = "$if(summary)$<div class=\"summary\">\n$summary$\n</div>\n$endif$$body$\n$if(bio)$<div class=\"bio\">\n$bio$\n</div>\n$endif$"


def _extra_args(name: str) -> list[str]:
    """pandoc options a filter's sample needs, one a line in tests/filters/<name>/args (e.g. a reader)."""
    args = HERE / name / "args"
    return args.read_text(encoding="utf-8").split() if args.is_file() else []


def run_filter(name: str, tmp_path: Path) -> str:
    template = tmp_path / "t.html"
    template.write_text(TEMPLATE, encoding="utf-8")
    proc = subprocess.run([pandoc_path(), f"--from={READER}", "--to=html5", "--standalone", f"--template={template}",
                           "--wrap=none", "--sandbox", "--mathml", f"--lua-filter={FILTERS_DIR / (name + '.lua')}",
                           *_extra_args(name), str(HERE / name / "input.md")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "", proc.stderr
    return proc.stdout


@pytest.mark.parametrize("name", FILTERS)
def test_filter_golden(name, tmp_path, update_golden):
    assert (FILTERS_DIR / f"{name}.lua").is_file()
    got = run_filter(name, tmp_path)
    compare_golden(got, HERE / name / "expected.html", update_golden)


def compare_golden(got: str, expected: Path, update: bool) -> None:
    """GOT must equal the golden file EXPECTED; a missing golden file fails. With UPDATE, write it and skip."""
    if update:
        expected.write_text(got, encoding="utf-8")
        pytest.skip("golden file written (read the diff before committing it)")
    assert expected.is_file(), f"{expected} is missing: write it on purpose with --update-golden and read it"
    assert got == expected.read_text(encoding="utf-8")


def test_a_missing_golden_file_fails_and_is_not_written(tmp_path):
    missing = tmp_path / "expected.html"
    with pytest.raises(AssertionError, match="is missing"):
        compare_golden("<p>x</p>", missing, update=False)
    assert not missing.exists()
    with pytest.raises(pytest.skip.Exception):
        compare_golden("<p>x</p>", missing, update=True)
    assert missing.read_text(encoding="utf-8") == "<p>x</p>"


def test_every_filter_has_a_header_comment_and_a_sample():
    for lua in FILTERS_DIR.glob("*.lua"):
        first = lua.read_text(encoding="utf-8").splitlines()[0]
        assert first.startswith(f"-- {lua.name}:"), f"{lua.name} needs a header comment"
        assert (HERE / lua.stem / "input.md").is_file(), f"{lua.name} needs tests/filters/{lua.stem}/input.md"
