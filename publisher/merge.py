"""`publisher merge OUT1 OUT2 … -o OUT`: shard outputs (`build --shard K/N`) into one dist.

Each shard folder holds its papers' folders and a record (`.publisher/state.json`) with every
paper's catalog entry and edition keys. Merging copies the paper folders and writes the catalog,
feeds and manifest from those records with the same code as `build`, so the result is byte for byte
what one build of the whole archive would give.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path

from . import config
from .planning import FORMAT_ORDER, edition_from_record
from .site_files import write_site
from .cache import STATE_DIR, State, stat_sig
from .model import InputError, PaperResult, Problem


def _copy_tree(src: Path, dst: Path) -> None:
    """Copy a paper folder (hard links when on the same file system: shards are often big)."""
    def link_or_copy(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, copy_function=link_or_copy)


def _order(r: PaperResult):
    return dt.datetime.fromisoformat(r.summary["date"]), r.slug


def merge(outs: list[Path], dest: Path, source: Path | None = None,
          config_files: list[Path] | None = None) -> list[PaperResult]:
    """Merge the shard folders OUTS into DEST; returns the papers of the merged dist.

    SOURCE is the site (for its config: title, url…); by default the one the first shard was built from.
    Raises InputError for a folder that is not a build output or for conflicting papers."""
    dest = dest.resolve()
    states = []
    for out in outs:
        out = out.resolve()
        state = State.load(out)
        if not (out / "manifest.json").is_file() or not (out / STATE_DIR / "state.json").is_file():
            raise InputError(Problem(str(out), None, "not a publisher build output (no manifest.json or .publisher/)",
                                     "pass folders written by `publisher build`"))
        states.append(state)
    root = Path(source or states[0].source or "content").resolve()
    if not root.is_dir():
        raise InputError(Problem(str(root), None, "the site folder is not here",
                                 "pass the site with --source (its _config.yml gives the catalog's title and URLs)"))
    site = config.load(root, config_files)
    tools: dict | None = None
    owners: dict[str, tuple[State, dict]] = {}
    for state in states:
        manifest = json.loads((state.out / "manifest.json").read_text(encoding="utf-8"))
        tools = tools or manifest.get("tools")
        for slug, rec in state.papers.items():
            if slug in owners:
                other = owners[slug][1]
                same = {f: e["sha256"] for f, e in rec["editions"].items()} == \
                       {f: e["sha256"] for f, e in other["editions"].items()}
                if not same:
                    raise InputError(Problem(rec["source"], None, f"paper '{slug}' is in two shards with different "
                                             f"editions ({owners[slug][0].out} and {state.out})",
                                             "build every shard from the same commit with the same --shard N"))
                continue
            owners[slug] = (state, rec)

    dest.mkdir(parents=True, exist_ok=True)
    old = State.load(dest)
    for slug in set(old.papers) - set(owners):
        if (dest / slug).is_dir():
            shutil.rmtree(dest / slug)
    merged = State(dest)
    results = []
    parsed_by_slug: dict[tuple[int, str], dict] = {}  # (shard, slug) → its memo entries: one pass, not one per paper
    for i, state in enumerate(states):
        for k, v in state.parsed.items():
            parsed_by_slug.setdefault((i, v["paper"].slug), {})[k] = v
    index = {id(state): i for i, state in enumerate(states)}
    for slug, (state, rec) in sorted(owners.items()):
        if state.out != dest:
            _copy_tree(state.out / slug, dest / slug)
        editions = {f: {**e, "sig": stat_sig(dest / e["path"])} for f, e in rec["editions"].items()}
        merged.papers[slug] = {**rec, "editions": editions}
        merged.parsed.update(parsed_by_slug.get((index[id(state)], slug), {}))
        results.append(PaperResult(rec["source"], slug=slug, title=rec["summary"].get("title", ""),
                                   editions=[edition_from_record(slug, f, dest, editions[f]) for f in FORMAT_ORDER
                                             if f in editions],
                                   summary=rec["summary"]))
    results.sort(key=_order, reverse=True)
    write_site(dest, site, results, tools or {})
    merged.source = str(root)
    merged.tools = states[0].tools
    merged.save()
    return results
