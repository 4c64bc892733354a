"""Packaging: the shipped EPUBCheck helper class, `check` with a Java runtime only, `--version`,
and pyproject's dependencies against the imports."""
from __future__ import annotations

import ast
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from publisher import validate
from publisher.build import BuildOptions, build

ROOT = Path(__file__).resolve().parent.parent
POST = "---\ntitle: A checked paper\nauthor: Ola Vik\n---\n\nA paragraph to check.\n\n## A part\n\nMore text.\n"


def test_the_shipped_class_was_compiled_from_the_shipped_source():
    recorded = validate.JAVA_SOURCE_SHA.read_text(encoding="ascii").strip()
    assert recorded == hashlib.sha256(validate.JAVA_SOURCE.read_bytes()).hexdigest(), (
        "EpubCheckBatch.java changed: recompile it with `javac --release 11` and update EpubCheckBatch.java.sha256 "
        "(see docs/packaging.md)")
    assert validate.JAVA_CLASS.is_file() and validate.shipped_class_is_current()
    major = int.from_bytes(validate.JAVA_CLASS.read_bytes()[6:8], "big")
    assert major == 55, f"class file version {major}: compile with --release 11 (55) so Java 11 runs it"


@pytest.mark.java
@pytest.mark.skipif(shutil.which("javac") is None, reason="no javac (a JDK) here to recompile the helper")
def test_a_fresh_compile_gives_the_shipped_class(tmp_path):
    subprocess.run(["javac", "--release", "11", "-cp", str(validate.epubcheck_jar()), "-d", str(tmp_path),
                    str(validate.JAVA_SOURCE)], check=True, capture_output=True, timeout=120)
    fresh = tmp_path / "EpubCheckBatch.class"
    if fresh.read_bytes() != validate.JAVA_CLASS.read_bytes():  # another javac may order the constant pool
        def code(path: Path) -> str:
            return subprocess.run(["javap", "-c", "-p", str(path)], capture_output=True, text=True,
                                  check=True, timeout=60).stdout.split("\n", 1)[1]
        assert code(fresh) == code(validate.JAVA_CLASS)


@pytest.mark.java
@pytest.mark.slow
def test_check_needs_only_a_java_runtime(tmp_site, tmp_path):
    site = tmp_site({"_posts/2024-05-01-checked.md": POST}, config="title: Check\ntimezone: UTC\n")
    out = tmp_path / "out"
    assert not build(BuildOptions(source=site, out=out, formats=["epub", "html"], jobs=1)).failed
    java = shutil.which("java")
    assert java, "the test needs java"
    only_java = tmp_path / "bin"
    only_java.mkdir()
    (only_java / "java").symlink_to(os.path.realpath(java))
    env = dict(os.environ, PATH=str(only_java), XDG_CACHE_HOME=str(tmp_path / "cache"), HOME=str(tmp_path))
    assert subprocess.run([sys.executable, "-c", "import shutil; print(shutil.which('javac'))"], env=env,
                          capture_output=True, text=True).stdout.strip() == "None"
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "check", str(out), "--json"], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    epub = [e for e in map(__import__("json").loads, proc.stdout.splitlines()) if e["kind"] == "epub"]
    assert len(epub) == 1 and epub[0]["ok"], proc.stdout
    assert not (tmp_path / "cache" / "publisher").exists()  # nothing compiled
    # and EPUBCheck really ran: a broken book fails
    book = next(out.rglob("*.epub"))
    book.write_bytes(book.read_bytes()[:-200])
    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "check", str(out)], env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 1, proc.stdout + proc.stderr


def test_version_names_publisher_pandoc_weasyprint_and_ebooklib():
    from importlib.metadata import version

    from publisher import __version__
    from publisher.render import pandoc_version

    proc = subprocess.run([sys.executable, "-m", "publisher.cli", "--version"], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"publisher {__version__}"
    for expected in (f"pandoc {pandoc_version()}", f"WeasyPrint {version('weasyprint')}",
                     f"ebooklib {version('ebooklib')}"):
        assert expected in lines, proc.stdout


def _imported_top_level_modules() -> set[str]:
    found = set()
    for path in (ROOT / "publisher").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_pyproject_declares_what_publisher_imports_and_nothing_it_does_not():
    from importlib.metadata import packages_distributions

    declared = {re.split(r"[<>=!~\[;\s]", d, maxsplit=1)[0].lower().replace("_", "-")
                for d in tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]}
    dists = packages_distributions()
    imported = set()
    for module in _imported_top_level_modules() - {"publisher"}:
        if module in sys.stdlib_module_names:
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(module, [])}
        assert names, f"publisher imports {module!r}, which no installed distribution provides"
        assert names & declared, f"publisher imports {module!r} ({', '.join(sorted(names))}) but pyproject does not declare it"
        imported |= names
    # not imported by name: fonts and the EPUBCheck jar are found as files, pypandoc-binary ships pandoc,
    # panflute is imported by the users' Python filters that pandoc runs with publisher's interpreter
    data_only = {"fontpkg-source-serif-4", "fontpkg-source-code-pro", "epubcheck", "pypandoc-binary", "panflute"}
    unused = declared - imported - data_only
    assert not unused, f"pyproject declares {sorted(unused)} but publisher never imports them"


def test_every_subpackage_ships_in_the_wheel():
    """pyproject lists the packages explicitly (package-dir maps styles/ and filters/ into the package, which
    automatic discovery cannot do): a new subpackage of publisher/ must be listed, or the wheel lacks it."""
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "publisher").rglob("__init__.py")
             if "__pycache__" not in p.parts}
    assert found - set(setuptools["packages"]) == set(), "add these to [tool.setuptools] packages in pyproject.toml"
    assert setuptools["package-dir"] == {"publisher.styles": "styles", "publisher.filters": "filters"}
    for folder in ("styles", "filters"):
        assert (ROOT / folder / "__init__.py").is_file(), f"{folder}/__init__.py makes it importable as publisher.{folder}"
