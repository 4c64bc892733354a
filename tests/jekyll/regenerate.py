#!/usr/bin/env python3
"""Regenerate the golden files in tests/jekyll/golden/ from real Jekyll (Debian's `jekyll`, 4.3).

Usage: python3 tests/jekyll/regenerate.py   (needs `apt-get install jekyll`; CI does not)

Each fixture site (tests/jekyll/sites/* and tests/sites/jekyll-*) is copied to a temporary folder,
drafts get a fixed mtime (DRAFT_MTIME, the same the tests set), and `jekyll build` runs with the
dump plugin (dump_posts.rb) once per variant. Jekyll's view of site.posts is written to
golden/<site>.<variant>.json. Read the diff before committing.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DRAFT_MTIME = 1_600_000_000  # 2020-09-13T12:26:40Z: drafts are dated by mtime in Jekyll
MACHINE_TZ = "Europe/London"  # the machine zone Jekyll runs in (sites without `timezone:` use it)
VARIANTS = {"default": [], "all": ["--future", "--drafts", "--unpublished"]}


def sites() -> list[Path]:
    """The fixture sites whose Jekyll view is kept as golden files."""
    found = sorted(p for p in (HERE / "sites").iterdir() if p.is_dir())
    found += sorted(p for p in (ROOT / "tests" / "sites").glob("jekyll-*") if p.is_dir())
    return found


def set_draft_mtimes(site: Path) -> None:
    """Give every draft the fixed mtime (Jekyll dates a draft without `date:` by its mtime)."""
    for p in site.rglob("_drafts/*"):
        if p.is_file():
            os.utime(p, (DRAFT_MTIME, DRAFT_MTIME))


def jekyll_view(site: Path, flags: list[str]) -> list[dict]:
    """Run Jekyll on a copy of SITE and return its dumped posts."""
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(site, src)
        (src / "_plugins").mkdir(exist_ok=True)
        shutil.copy(HERE / "dump_posts.rb", src / "_plugins" / "zz_publisher_dump.rb")
        set_draft_mtimes(src)
        dump = Path(tmp) / "dump.json"
        env = {**os.environ, "PUBLISHER_DUMP": str(dump), "JEKYLL_ENV": "production", "TZ": MACHINE_TZ}
        proc = subprocess.run(["jekyll", "build", "--source", str(src), "--destination", str(Path(tmp) / "out"),
                               *flags], env=env, capture_output=True, text=True, timeout=300)
        if proc.returncode != 0 or not dump.exists():
            sys.exit(f"jekyll failed on {site}:\n{proc.stdout}\n{proc.stderr}")
        for line in (proc.stdout + proc.stderr).splitlines():
            if "Warning" in line or "Error" in line or "error" in line:
                if "Layout 'post' requested" not in line:
                    print(f"  {site.name} {variant_name(flags)}: {line.strip()}", file=sys.stderr)
        return json.loads(dump.read_text(encoding="utf-8"))


def variant_name(flags: list[str]) -> str:
    return next((k for k, v in VARIANTS.items() if v == flags), "?")


def main() -> None:
    out = HERE / "golden"
    out.mkdir(exist_ok=True)
    for site in sites():
        for variant, flags in VARIANTS.items():
            posts = jekyll_view(site, flags)
            target = out / f"{site.name}.{variant}.json"
            target.write_text(json.dumps(posts, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
            print(f"{target.relative_to(ROOT)}: {len(posts)} posts")


if __name__ == "__main__":
    main()
