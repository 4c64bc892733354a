"""The command line for CI: exit codes, --json events, --strict, --shard, merge and check usage errors."""
from __future__ import annotations

import json

import pytest

from click.testing import CliRunner

from publisher.cli import cli

CONFIG = "title: CLI test site\ntimezone: UTC\n"
GOOD = "---\ntitle: A good paper\nauthor: Noor Ekdahl\n---\n\nA sentence of text.\n"
OTHER = "---\ntitle: Another good paper\n---\n\nMore text here.\n"
BROKEN_DATE = "---\ntitle: Bad date\ndate: the day after tomorrow-ish\n---\n\nText.\n"
WARNS = "---\ntitle: [a, list, is, not, a, title]\n---\n\nText with a warning in its front matter.\n"


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def events(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def test_exit_0_when_every_paper_builds_and_json_events_per_line(tmp_site, tmp_path):
    root = tmp_site({"_posts/2024-02-01-good.md": GOOD, "_posts/2024-02-02-other.md": OTHER}, config=CONFIG)
    out = tmp_path / "out"
    code, stdout, _ = run("build", root, "-o", out, "--format", "html", "-j", "1", "--json")
    assert code == 0
    evs = events(stdout)  # every line is one JSON object, nothing else on stdout
    assert [e["event"] for e in evs] == ["start", "paper", "paper", "done"]
    assert evs[0] == {"event": "start", "total": 2, "cached": 0}
    papers = {e["slug"]: e for e in evs if e["event"] == "paper"}
    assert papers["good"]["status"] == "built"
    assert papers["good"]["editions"][0]["path"] == "good/index.html"
    assert evs[-1]["exit_code"] == 0 and evs[-1]["built"] == 2
    code, stdout, _ = run("build", root, "-o", out, "--format", "html", "--json")
    evs = events(stdout)
    assert code == 0
    assert {e["status"] for e in evs if e["event"] == "paper"} == {"cached"}
    assert evs[-1]["cached"] == 2 and evs[-1]["built"] == 0


def test_exit_1_when_a_paper_fails_and_the_others_are_still_built(tmp_site, tmp_path):
    root = tmp_site({"_posts/2024-02-01-good.md": GOOD, "_posts/2024-02-03-bad.md": BROKEN_DATE}, config=CONFIG)
    out = tmp_path / "out"
    code, _, stderr = run("build", root, "-o", out, "--format", "html", "-j", "1")
    assert code == 1
    assert "2024-02-03-bad.md" in stderr
    assert (out / "good" / "index.html").is_file()
    code, stdout, _ = run("build", root, "-o", out, "--format", "html", "--json")
    assert code == 1
    evs = events(stdout)
    assert any(e["event"] == "paper" and e["status"] == "failed" for e in evs)
    assert evs[-1]["exit_code"] == 1 and evs[-1]["failed"] == 1


def test_exit_2_on_usage_and_config_errors(tmp_site, tmp_path):
    root = tmp_site({"_posts/2024-02-01-good.md": GOOD}, config="publisher:\n  formatz: [html]\n")
    code, _, stderr = run("build", root, "-o", tmp_path / "out")
    assert code == 2 and "formatz" in stderr
    code, stdout, _ = run("build", root, "-o", tmp_path / "out", "--json")
    assert code == 2 and events(stdout)[-1] == {"event": "done", "exit_code": 2}
    assert run("build", root, "--shard", "3/2")[0] == 2
    assert run("build", root, "--shard", "two")[0] == 2
    assert run("build", root, "--format", "docx")[0] == 2
    assert run("build", tmp_path / "missing")[0] == 2
    assert run("check", tmp_path / "nothing-built-here")[0] == 2
    assert run("merge", tmp_path, "-o", tmp_path / "m")[0] == 2  # not a build output


def test_strict_makes_warnings_fatal(tmp_site, tmp_path):
    root = tmp_site({"_posts/2024-02-01-good.md": GOOD, "_posts/2024-02-04-warns.md": WARNS}, config=CONFIG)
    code, _, stderr = run("build", root, "-o", tmp_path / "lenient", "--format", "html", "-j", "1")
    assert code == 0 and "warning" in stderr
    code, _, stderr = run("build", root, "-o", tmp_path / "strict", "--format", "html", "-j", "1", "--strict")
    assert code == 1 and "--strict" in stderr
    assert (tmp_path / "strict" / "good" / "index.html").is_file()
    assert not (tmp_path / "strict" / "warns").exists()
    # a cached paper keeps its warnings: --strict still fails on a no-op rebuild
    assert run("build", root, "-o", tmp_path / "lenient", "--format", "html", "--strict")[0] == 1


@pytest.mark.java
def test_shard_and_merge_commands(tmp_site, tmp_path):
    posts = {f"_posts/2024-03-0{i}-paper-{i}.md": GOOD.replace("A good paper", f"Paper {i}") for i in range(1, 7)}
    root = tmp_site(posts, config=CONFIG)
    outs = []
    for k in (1, 2):
        out = tmp_path / f"s{k}"
        assert run("build", root, "-o", out, "--format", "html", "-j", "1", "--shard", f"{k}/2")[0] == 0
        outs.append(out)
    built = [sorted(p.name for p in o.iterdir() if p.is_dir() and not p.name.startswith(".")) for o in outs]
    assert built[0] and built[1] and not set(built[0]) & set(built[1])
    code, _, stderr = run("merge", *outs, "-o", tmp_path / "all")
    assert code == 0, stderr
    manifest = json.loads((tmp_path / "all" / "manifest.json").read_text(encoding="utf-8"))
    assert [p["slug"] for p in manifest["papers"]] == [f"paper-{i}" for i in range(1, 7)]
    assert run("check", tmp_path / "all")[0] == 0
