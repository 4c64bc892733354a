"""The incremental build cache: content-addressed keys per paper and edition, and what OUT holds.

A key is the SHA-256 of everything an edition is made from: the post's bytes, its includes and
data files, the site config, styles/, filters/, templates, publisher's own code, the tool versions,
the formats and the page options. An edition whose key is unchanged is not built again.

The record lives in `OUT/.publisher/` (private to publisher; never publish it):
  state.json    the keys and files of every edition in OUT, the file-hash memo, the pandoc version
  papers.json   the normalized papers, so an unchanged post is not even parsed again

Both are JSON (publisher/statecodec.py), never a pickle: CI restores OUT from shared caches, and
reading a record must not be able to run code. A record that does not parse or has another version
is ignored with a warning, and everything is built again.

File hashes are memoized by (size, mtime in ns), like git's index: an unchanged file is not read
again. `--force` ignores the record.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import statecodec
from .dist import atomic_write
from .resources import FILTERS_DIR, STYLES_DIR, override_folders

STATE_DIR = ".publisher"
STATE_VERSION = 1
PAPERS_VERSION = 1  # the format of papers.json (statecodec's tags and the Paper fields)
PACKAGE_DIR = Path(__file__).resolve().parent
# Python packages whose version shapes an edition (besides pandoc, which is a binary).
EDITION_TOOLS = {"pdf": ["weasyprint", "pydyf", "fontpkg-source-serif-4", "fontpkg-source-code-pro", "uharfbuzz"], "epub": ["ebooklib"], "html": []}


_KEY_JSON = json.JSONEncoder(sort_keys=True, default=str, ensure_ascii=False)  # json.dumps with these, made once


def digest(*parts) -> str:
    """SHA-256 of the JSON form of PARTS (stable: sorted keys)."""
    return hashlib.sha256(_KEY_JSON.encode(parts).encode()).hexdigest()


def stat_sig(path: Path) -> list[int] | None:
    """[size, mtime_ns] of PATH, None when it does not exist."""
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]


class FileHashes:
    """SHA-256 of files, memoized by (size, mtime_ns) across builds."""

    def __init__(self, memo: dict | None = None):
        self.memo: dict[str, list] = memo or {}
        self.used: dict[str, list] = {}

    def sha(self, path: Path) -> str | None:
        """The file's SHA-256, or None when it is missing."""
        key = str(path)
        if key in self.used:
            return self.used[key][2]
        sig = stat_sig(path)
        if sig is None:
            return None
        old = self.memo.get(key)
        if old and old[:2] == sig:
            value = old[2]
        else:
            from .dist import sha256_file

            value = sha256_file(path)
        self.used[key] = sig + [value]
        return value

    def tree(self, folder: Path, suffixes: tuple[str, ...] = ()) -> str:
        """One digest for every file under FOLDER (relative names and contents)."""
        entries = []
        if folder.is_dir():
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != "__pycache__")
                for name in sorted(filenames):
                    if name.startswith(".") or (suffixes and not name.endswith(suffixes)):
                        continue
                    p = Path(dirpath) / name
                    entries.append((p.relative_to(folder).as_posix(), self.sha(p)))
        return digest(entries)


def code_version(hashes: FileHashes) -> dict[str, str]:
    """Digests of publisher's own code, styles (with templates) and house filters."""
    versions = {"code": hashes.tree(PACKAGE_DIR, (".py", ".java")), "styles": hashes.tree(STYLES_DIR),
                "filters": hashes.tree(FILTERS_DIR)}
    overrides = {kind: hashes.tree(folder) for kind, folder in sorted(override_folders().items()) if folder.is_dir()}
    if overrides:  # the site's own styles, filters and templates (publisher.resources) are part of the key
        versions["overrides"] = digest(overrides)
    return versions


def _package_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def tool_versions(memo: dict) -> dict[str, str | None]:
    """publisher, pandoc, WeasyPrint, ebooklib (and friends) versions; pandoc's is memoized by its binary."""
    from . import __version__
    from .pandoc import pandoc_path

    path = pandoc_path()
    sig = stat_sig(Path(path))
    old = memo.get("pandoc")
    if old and old.get("path") == path and old.get("sig") == sig:
        pandoc = old["version"]
    else:
        from .pandoc import pandoc_version

        pandoc = pandoc_version()
        memo["pandoc"] = {"path": path, "sig": sig, "version": pandoc}
    tools = {"publisher": __version__, "pandoc": pandoc}
    for names in EDITION_TOOLS.values():
        for name in names:
            tools[name] = _package_version(name)
    return tools


def edition_tools(tools: dict, fmt: str) -> dict:
    """The tool versions that shaped one edition (for the manifest)."""
    return {k: tools.get(k) for k in ["publisher", "pandoc"] + EDITION_TOOLS.get(fmt, [])}


@dataclass
class State:
    """What a previous build left in OUT: edition keys and files, memos. Load with State.load()."""

    out: Path
    papers: dict[str, dict] = field(default_factory=dict)  # slug → {"source", "editions": {fmt: {...}}, ...}
    hashes: FileHashes = field(default_factory=FileHashes)
    tools: dict = field(default_factory=dict)  # memo for tool_versions()
    parsed: dict[str, dict] = field(default_factory=dict)  # rel source → {"sig", "deps", "context", "paper"}
    source: str = ""  # the site root of the build that wrote OUT (for merge)
    site_key: str = ""  # key of the catalog, feeds and manifest last written
    parsed_dirty: bool = False  # the parse memo changed and must be saved
    warnings: list[str] = field(default_factory=list)  # why a record found in OUT was ignored

    @property
    def folder(self) -> Path:
        return self.out / STATE_DIR

    @classmethod
    def load(cls, out: Path, fresh: bool = False) -> "State":
        """The record in OUT (an empty one when FRESH, missing or unreadable)."""
        state = cls(out)
        if fresh:
            return state
        path = state.folder / "state.json"
        if not path.is_file():
            return state
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            state.warnings.append(f"{path.name} is unreadable ({type(exc).__name__}), so it was ignored")
            return state
        if not isinstance(data, dict) or data.get("version") != STATE_VERSION:
            version = data.get("version") if isinstance(data, dict) else None
            state.warnings.append(f"{path.name} has version {version!r}, not {STATE_VERSION}, so it was ignored")
            return state
        state.papers = data.get("papers", {})
        state.hashes = FileHashes(data.get("hashes", {}))
        state.tools = data.get("tools", {})
        state.source = data.get("source", "")
        state.site_key = data.get("site_key", "")
        state.parsed = load_parsed(state.folder / "papers.json", state.warnings)
        return state

    def save(self) -> None:
        """Write the record atomically (hash memo limited to files this build looked at)."""
        data = {"version": STATE_VERSION, "papers": self.papers, "hashes": self.hashes.used or self.hashes.memo,
                "tools": self.tools, "source": self.source, "site_key": self.site_key}
        atomic_write(self.folder / "state.json", json.dumps(data, sort_keys=True, separators=(",", ":"), default=str))
        if self.parsed_dirty or not (self.folder / "papers.json").is_file():
            atomic_write(self.folder / "papers.json", dump_parsed(self.parsed))
        (self.folder / "papers.pickle").unlink(missing_ok=True)  # an older publisher's record: never read

    def unchanged(self, slug: str, fmt: str, key: str) -> dict | None:
        """The recorded edition when it was built with KEY and its file is still there, untouched."""
        rec = self.papers.get(slug, {}).get("editions", {}).get(fmt)
        if not rec or rec.get("key") != key:
            return None
        if stat_sig(self.out / rec["path"]) != rec.get("sig"):
            return None
        return rec


def load_parsed(path: Path, warnings: list[str]) -> dict[str, dict]:
    """The parse memo in PATH ({} when missing; {} and a warning when unreadable or of another version)."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        warnings.append(f"{path.name} is unreadable ({type(exc).__name__}), so it was ignored")
        return {}
    if not isinstance(data, dict) or data.get("version") != PAPERS_VERSION or not isinstance(data.get("papers"), dict):
        warnings.append(f"{path.name} has another version or shape, so it was ignored")
        return {}
    papers = {}
    for rel, entry in data["papers"].items():
        try:
            hit = statecodec.decode(entry)
        except statecodec.StaleRecord:  # written by another version of publisher: parsed again, quietly
            continue
        except (ValueError, RecursionError) as exc:
            warnings.append(f"{path.name} is unreadable ({exc}), so it was ignored")
            return {}
        if not (isinstance(hit, dict) and {"context", "sig", "paper", "warnings", "deps"} <= set(hit)):
            warnings.append(f"{path.name} has entries of another shape, so it was ignored")
            return {}
        papers[rel] = hit
    return papers


def dump_parsed(parsed: dict[str, dict]) -> str:
    """The JSON text of the parse memo (an entry that cannot be recorded is left out: it is parsed again)."""
    kept = {}
    for rel, hit in parsed.items():
        try:
            kept[rel] = statecodec.encode(hit)
        except (TypeError, ValueError):
            continue
    return json.dumps({"version": PAPERS_VERSION, "papers": kept}, separators=(",", ":"), ensure_ascii=False)


def deps_sig(paths: list[Path]) -> list:
    """Fingerprints of a paper's dependencies, to tell whether its parsed form is still good."""
    return [[str(p), stat_sig(p)] for p in paths]


def dependency_paths(paper, root: Path) -> list[Path]:
    """The files a paper read besides its source (includes, data), as absolute paths."""
    return [Path(d) if Path(d).is_absolute() else root / d for d in paper.dependencies]


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name  # outside the site: the name only, so keys never hold absolute paths


def paper_key(paper, root: Path, hashes: FileHashes, context: str) -> str:
    """The key of one paper's inputs: its bytes, its dependencies' bytes and the build context."""
    deps = sorted((_rel(p, root), hashes.sha(p)) for p in dependency_paths(paper, root))
    return digest(paper.rel_source, paper.source_sha256, deps, context)


def edition_keys(base: str, formats: list[str], options: dict[str, dict]) -> dict[str, str]:
    """One key per edition. The EPUB's page-list follows the PDF and the HTML page links both
    with their sizes, so their keys include the keys of the editions they depend on."""
    keys: dict[str, str] = {}
    for fmt in ("pdf", "epub", "html"):
        if fmt in formats:
            upstream = [keys[f] for f in ("pdf", "epub") if f in keys]
            keys[fmt] = digest(base, fmt, options.get(fmt, {}), upstream)
    return keys


class ParseMemo:
    """Normalized papers from the last build, reused while the post, its dependencies and the
    context (config, data, code) are unchanged: the no-op build reads no post twice."""

    def __init__(self, state: State, context: str, root: Path):
        self.old = state.parsed
        self.new: dict[str, dict] = {}
        self.state = state
        state.parsed = self.new
        self.context = context
        self.root = root

    def get(self, src):
        """(paper, read warnings) for a SourceFile, or None when it must be read again."""
        hit = self.old.get(src.rel)
        if not hit or hit["context"] != self.context or hit["sig"] != stat_sig(src.path):
            return None
        if any(stat_sig(Path(p)) != sig for p, sig in hit["deps"]):
            return None
        self.new[src.rel] = hit
        return hit["paper"], hit["warnings"]

    def put(self, src, sig, paper, warnings) -> None:
        """Remember a freshly normalized paper (SIG: the source's stat before it was read)."""
        self.new[src.rel] = {"context": self.context, "sig": sig, "paper": paper, "warnings": warnings,
                             "deps": deps_sig(dependency_paths(paper, self.root))}
        self.state.parsed_dirty = True

    def finish(self) -> None:
        """Note posts that are gone (their memo entries are dropped, so the memo must be saved)."""
        if set(self.old) - set(self.new):
            self.state.parsed_dirty = True


@dataclass
class Context:
    """What every paper of one build shares: tool versions, code digests and the config, as keys."""

    tools: dict
    parse: str  # the key normalized papers are memoized under
    base: str  # the part of every edition key that is the same for all papers
    includes: str  # digest of _includes/, for papers that do not list their dependencies
    options: dict[str, dict]  # per-format options (page size...)


def context(site, state: State, page_size: str, extra: dict) -> Context:
    """Compute the shared part of the keys (cheap when nothing changed: hashes are memoized)."""
    hashes = state.hashes
    code = code_version(hashes)
    tools = tool_versions(state.tools)
    data = hashes.tree(site.root / "_data")
    env = {k: os.environ.get(k, "") for k in ("TZ", "SOURCE_DATE_EPOCH")}
    config = digest(site.raw)
    return Context(
        tools=tools,
        parse=digest(str(site.root), config, code, data, env["TZ"]),
        base=digest(config, code, data, tools, env, extra),
        includes=hashes.tree(site.root / "_includes"),
        options={"pdf": {"page_size": page_size}},
    )


def keys_for(paper, site, state: State, ctx: Context, formats: list[str], images: list[Path]) -> dict[str, str]:
    """The edition keys of one paper. IMAGES: the local image files the post shows
    (assets.local_dependencies): a changed image rebuilds the paper."""
    base = _paper_base(paper, ctx)
    images = sorted((_rel(p, site.root), state.hashes.sha(p)) for p in images)
    if images:
        base = digest(base, images)
    return edition_keys(paper_key(paper, site.root, state.hashes, base), formats, ctx.options)


def _paper_base(paper, ctx: Context) -> str:
    return ctx.base if paper.dependencies else digest(ctx.base, ctx.includes)


def render_key(paper, site, state: State, ctx: Context) -> str:
    """The key of the paper's pandoc pass alone (its post, dependencies and the build's context; not
    the images, the formats or the page options): its kept Document is reused under it
    (publisher/documents.py)."""
    return digest("document", paper_key(paper, site.root, state.hashes, _paper_base(paper, ctx)))


def dependency_hashes(paper, root: Path, hashes: FileHashes) -> list[dict]:
    """[{path, sha256}] of a paper's dependencies, relative to the site root (for the manifest)."""
    return [{"path": _rel(p, root), "sha256": hashes.sha(p)} for p in dependency_paths(paper, root)]
