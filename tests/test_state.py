"""The build record in OUT/.publisher is JSON (publisher/statecodec.py), versioned, and a record that does
not parse is ignored with a warning: reading OUT (restored from a shared CI cache) never runs code."""
from __future__ import annotations

import datetime as dt
import json
import pickle
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher import cache, statecodec
from publisher.build import BuildOptions, build, list_papers
from publisher.model import Author, Paper, Problem

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "title: State test site\nurl: https://example.org\ntimezone: Europe/Oslo\n"
POST = """---
title: A recorded paper
author: Tove Berg
date: 2024-05-01 10:30:00
tags: [one, two]
extra:
  when: 2023-02-03
  1999: a year as a key
---

Words of the paper.
"""


@pytest.fixture
def site(tmp_site):
    return tmp_site({"_posts/2024-05-01-recorded.md": POST,
                     "_posts/2024-05-02-other.md": POST.replace("A recorded paper", "Another paper")}, config=CONFIG)


def html_build(root, out):
    return build(BuildOptions(source=root, out=out, formats=["html"], jobs=1))


def status(report) -> dict[str, str]:
    return {r.slug: ("failed" if r.failed else "cached" if r.cached else "built") for r in report.papers}


def warnings(report) -> list[str]:
    return [str(p) for p in report.problems if p.severity == "warning"]


class Canary:
    """Unpickling this writes a file: proof that a pickle was loaded."""

    def __init__(self, path: str):
        self.path = path

    def __reduce__(self):
        return (Path(self.path).write_text, ("pickle was loaded",))


def test_papers_round_trip_through_the_record(tmp_site):
    sites = [ROOT / "content", ROOT / "tests" / "sites" / "jekyll-syntax", ROOT / "tests" / "sites" / "webmeta",
             tmp_site({"_posts/2024-05-01-recorded.md": POST}, config=CONFIG)]
    count = 0
    for root in sites:
        papers, _, _ = list_papers(BuildOptions(source=root, out=root / "unused"))
        for paper in papers:
            back = statecodec.loads(statecodec.dumps(paper))
            assert back == paper and repr(back) == repr(paper)  # zones, dates, paths and key types survive
            count += 1
    assert count >= 5


def test_values_json_lacks_survive():
    value = {"when": dt.datetime(2024, 10, 27, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Oslo")),
             "fixed": dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=-3), "BRT")),
             "day": dt.date(2024, 2, 29), 7: ("a", b"\x00\xff"), "set": {1, 2}, "path": Path("/x/y"),
             "nested": [Problem("a.md", 3, "oops", severity="warning"), Author("Ann", role="edt")], "$t": "not a tag"}
    back = statecodec.loads(statecodec.dumps(value))
    assert back == value and repr(back) == repr(value)
    assert back["when"].fold == 1 and back["when"].tzinfo.key == "Europe/Oslo"


@pytest.mark.parametrize("payload", [
    '{"$t":"dataclass","cls":"os:system","fields":{}}',
    '{"$t":"dataclass","cls":"subprocess:Popen","fields":{"args":"touch /tmp/x"}}',
    '{"$t":"dataclass","cls":"publisher.build:build","fields":{}}',
    '{"$t":"dataclass","cls":"publisher.model:Paper.__init__.__globals__","fields":{}}',
    '{"$t":"datetime","v":"2024-01-01T00:00:00","tz":{"zone":"../../../etc/passwd"},"fold":0}',
    '{"$t":"eval","v":"1+1"}',
])
def test_the_codec_refuses_anything_but_publishers_data_classes(payload):
    with pytest.raises(ValueError):
        statecodec.loads(payload)


def test_the_record_is_json_and_a_second_build_is_a_no_op(site, tmp_path):
    out = tmp_path / "out"
    assert status(html_build(site, out)) == {"recorded": "built", "other": "built"}
    record = out / ".publisher" / "papers.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    assert data["version"] == cache.PAPERS_VERSION and set(data["papers"]) == {
        "_posts/2024-05-01-recorded.md", "_posts/2024-05-02-other.md"}
    assert not list((out / ".publisher").glob("*.pickle"))
    before = record.stat().st_mtime_ns
    second = html_build(site, out)
    assert status(second) == {"recorded": "cached", "other": "cached"}
    assert warnings(second) == []
    assert record.stat().st_mtime_ns == before  # nothing was parsed again, so the memo was not rewritten
    state = cache.State.load(out)
    paper = state.parsed["_posts/2024-05-01-recorded.md"]["paper"]
    fresh = next(p for p in list_papers(BuildOptions(source=site, out=out))[0] if p.slug == "recorded")
    assert isinstance(paper, Paper) and repr(paper) == repr(fresh)


@pytest.mark.parametrize("name,content", [
    ("papers.json", b"\x80\x04garbage that is no JSON"),
    ("papers.json", b'{"version": 999, "papers": {}}'),
    ("papers.json", b'{"version": 1, "papers": {"_posts/2024-05-01-recorded.md": 5}}'),
    ("state.json", b"{not json"),
    ("state.json", b'{"version": 999}'),
])
def test_an_unreadable_record_gives_a_warning_and_a_full_rebuild(site, tmp_path, name, content):
    out = tmp_path / "out"
    html_build(site, out)
    (out / ".publisher" / name).write_bytes(content)
    (out / "recorded" / "index.html").write_text("stale", encoding="utf-8")  # would survive a cache hit on state.json
    report = html_build(site, out)
    assert not report.failed
    found = warnings(report)
    assert len(found) == 1 and name in found[0] and "warning" in found[0], found
    if name == "state.json":
        assert status(report) == {"recorded": "built", "other": "built"}
    assert (out / "recorded" / "index.html").read_text(encoding="utf-8") != "stale"
    again = html_build(site, out)  # the record was rewritten: quiet and cached again
    assert warnings(again) == [] and status(again) == {"recorded": "cached", "other": "cached"}


def test_a_poisoned_record_never_runs_code(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    canary = tmp_path / "canary"
    poison = pickle.dumps({"_posts/2024-05-01-recorded.md": Canary(str(canary))})
    pickle.loads(poison)  # the payload works: loading it writes the canary
    assert canary.is_file()
    canary.unlink()
    for name in ("papers.pickle", "papers.json", "state.json"):
        (out / ".publisher" / name).write_bytes(poison)
    report = html_build(site, out)
    assert not canary.exists()
    assert status(report) == {"recorded": "built", "other": "built"}
    assert any("state.json" in w for w in warnings(report))
    assert not (out / ".publisher" / "papers.pickle").exists()  # an old pickle is removed, never read


def test_a_record_from_another_version_of_publisher_is_parsed_again_quietly(site, tmp_path):
    out = tmp_path / "out"
    html_build(site, out)
    record = out / ".publisher" / "papers.json"
    data = json.loads(record.read_text(encoding="utf-8"))
    entry = data["papers"]["_posts/2024-05-01-recorded.md"]
    entry["paper"]["fields"]["a_field_of_an_older_publisher"] = 1  # Paper had other fields then
    record.write_text(json.dumps(data), encoding="utf-8")
    state = cache.State.load(out)
    assert set(state.parsed) == {"_posts/2024-05-02-other.md"} and state.warnings == []
    report = html_build(site, out)
    assert warnings(report) == [] and status(report) == {"recorded": "cached", "other": "cached"}
