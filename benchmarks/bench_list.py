"""Benchmark: `publisher list` (discover, front matter, Jekyll rules, Liquid, kramdown; no pandoc).

    .venv/bin/python benchmarks/bench_list.py [--posts 500]

Generates a site of N posts, each with 60 paragraphs, Liquid variables, a post_url, an include,
block IALs, abbreviations and kramdown math, then times `publisher list --json` as a fresh process
(best of 3) and reports the time per post.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def make_site(root: Path, posts: int) -> None:
    (root / "_posts").mkdir(parents=True)
    (root / "_includes").mkdir()
    (root / "_includes" / "note.html").write_text("Note: {{ include.text }}\n", encoding="utf-8")
    (root / "_config.yml").write_text("title: Bench\ntimezone: UTC\nurl: https://bench.example\n", encoding="utf-8")
    for i in range(posts):
        paras = []
        for j in range(60):
            if j % 5 == 0:
                paras.append(f"Paragraph {j} of {{{{ page.title }}}}, see [the first]({{% post_url 2020-01-01-p0 %}}).\n"
                             "{: .lead}")
            else:
                paras.append(f"Plain paragraph {j} about HTML, with inline math $$x^{j}$$ and *emphasis*.")
        body = "\n\n".join(paras) + '\n\n{% include note.html text="bench" %}\n\n*[HTML]: HyperText Markup Language\n'
        name = f"2020-01-{i % 28 + 1:02d}-p{i}.md"
        (root / "_posts" / name).write_text(f"---\ntitle: Post {i}\ntags: [a, b]\n---\n{body}", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--posts", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        make_site(site, args.posts)
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            proc = subprocess.run([str(BIN / "publisher"), "list", str(site), "--json"], capture_output=True, text=True)
            best = min(best, time.perf_counter() - started)
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.count("\n") == args.posts
        print(f"publisher list: {args.posts} posts in {best:.2f} s ({best / args.posts * 1000:.1f} ms per post)")


if __name__ == "__main__":
    main()
