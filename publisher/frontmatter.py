"""Bytes → (front matter mapping, body, body line). Decoding and safe YAML; no Jekyll rules here."""
from __future__ import annotations

import codecs
import re
from typing import Any

import yaml

from .model import InputError, Problem

# Jekyll's own rule (Jekyll::Document::YAML_FRONT_MATTER_REGEXP).
FRONT_MATTER_RE = re.compile(r"\A(---[ \t]*\n.*?\n?)^((---|\.\.\.)[ \t]*$\n?)", re.M | re.S)

DEFAULT_MAX_BYTES = 8 * 1024 * 1024
MAX_ALIASES = 100
MAX_EXPANDED_NODES = 100_000


def _expanded_size(data, memo=None) -> int:
    """How many values DATA has once aliases are expanded (shared objects counted each time)."""
    memo = {} if memo is None else memo
    key = id(data)
    if key in memo:
        return memo[key]
    if isinstance(data, dict):
        memo[key] = 0  # guards recursive structures
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in data.items())
    elif isinstance(data, list):
        memo[key] = 0
        size = 1 + sum(_expanded_size(v, memo) for v in data)
    else:
        return 1
    memo[key] = size
    return size


def decode(data: bytes, file: str) -> str:
    """Decode a post: UTF-8 (BOM optional) or UTF-16 with BOM; CRLF/CR become LF."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
        encoding = "utf-8"
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = "utf-8"
    if b"\x00" in data[:8192] and encoding == "utf-8":
        raise InputError(Problem(file, None, "binary file, not a text post",
                                 "remove it from _posts/ or give it a non-Markdown extension"))
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(Problem(file, line, f"not valid {encoding.upper()}: byte 0x{data[exc.start]:02x} cannot be decoded",
                                 "save the file as UTF-8")) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _Checks:
    """Loader mixin: notes duplicate keys (key, line) in `duplicates`; a value that cannot be made
    (a date like 2020-13-45) is a YAML error at its line, not a Python exception."""

    def __init__(self, stream):
        super().__init__(stream)
        self.alias_count = 0
        self.duplicates: list[tuple[str, int]] = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                if key_node.value in seen:
                    self.duplicates.append((key_node.value, key_node.start_mark.line + 1))
                seen.add(key_node.value)
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except Exception as exc:  # a value its tag cannot make: 2020-13-45, !!int x, !!bool maybe
            value = node.value if isinstance(node, yaml.ScalarNode) else node.id
            what = "the date" if node.tag.endswith(":timestamp") else node.tag.replace("tag:yaml.org,2002:", "!!")
            raise yaml.constructor.ConstructorError(None, None, f"cannot read {value!r} as {what} ({exc})",
                                                    node.start_mark) from None


class _SafeLoader(_Checks, yaml.SafeLoader):
    """PyYAML's pure-Python SafeLoader that also counts aliases (no billion laughs)."""

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            self.alias_count += 1
            if self.alias_count > MAX_ALIASES:
                event = self.peek_event()
                raise yaml.YAMLError(f"more than {MAX_ALIASES} YAML aliases (line {event.start_mark.line + 1}); refusing a possible alias bomb")
        return super().compose_node(parent, index)


# libyaml's parser (about 5 x faster) with the same safe constructor and resolver, when PyYAML was
# built with it. Its composer is C, so it cannot count aliases: text with a '*' goes to _SafeLoader.
_CSafeLoader = type("_CSafeLoader", (_Checks, yaml.CSafeLoader), {}) if hasattr(yaml, "CSafeLoader") else None


def _loader(text: str, fast: bool):
    """The loader for TEXT: libyaml's when FAST, present, and TEXT can hold no alias; else pure Python."""
    return _CSafeLoader if fast and _CSafeLoader is not None and "*" not in text else _SafeLoader


def _parse(text: str, fast: bool) -> tuple[Any, list[tuple[str, int]]]:
    """(data, duplicate keys) of TEXT; what libyaml rejects is read again by the pure-Python loader,
    so an error is worded the same with or without libyaml."""
    loader = _loader(text, fast)(text)
    try:
        return loader.get_single_data(), loader.duplicates
    except yaml.YAMLError:
        if isinstance(loader, _SafeLoader):
            raise
    finally:
        loader.dispose()
    return _parse(text, fast=False)


# Jekyll (Psych) reads timestamps; keep them as they are, but never construct arbitrary Python objects.
def load_yaml(text: str, file: str, first_line: int = 1, fast: bool = True) -> tuple[Any, list[Problem]]:
    """Parse YAML safely. Raises InputError with file:line:col on a syntax error. FAST=False forces the
    pure-Python loader (libyaml's, used when present, gives the same values)."""
    try:
        data, duplicates = _parse(text, fast)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        col = (mark.column + 1) if mark else None
        msg = (exc.problem or str(exc)).strip()
        if exc.context:
            msg = f"{exc.context.strip()}, {msg}"
        hint = "check indentation and quoting; tabs are not allowed for indentation in YAML"
        if "could not determine a constructor" in msg:
            hint = "custom YAML tags (like !!python/object) are not allowed in front matter"
        elif msg.startswith("cannot read") and " as the date " in msg:
            hint = "write a real date (YYYY-MM-DD), or quote the value to keep it as text"
        elif msg.startswith("cannot read"):
            hint = "remove the !! tag, or quote the value to keep it as text"
        raise InputError(Problem(file, line, f"invalid YAML front matter: {msg}", hint, col)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(file, first_line, f"invalid YAML front matter: {exc}",
                                 "simplify the front matter")) from None
    except Exception as exc:  # a tag applied to the wrong kind of node (!!map x, !!set [a]): never a traceback
        raise InputError(Problem(file, first_line, f"invalid YAML front matter: cannot read it ({type(exc).__name__}: "
                                 f"{exc})", "remove the !! tags, or quote the values to keep them as text")) from None
    # without an alias ('*'), text shorter than the limit cannot hold that many values: not counted
    if ("*" in text or len(text) >= MAX_EXPANDED_NODES) and _expanded_size(data) > MAX_EXPANDED_NODES:
        raise InputError(Problem(file, first_line, "front matter expands to more than "
                                 f"{MAX_EXPANDED_NODES:,} values through aliases; refusing a possible alias bomb",
                                 "remove the repeated YAML aliases (*name)"))
    warnings = [Problem(file, first_line + line - 1, f"duplicate key '{key}' in front matter; the last one wins",
                        "remove one of the two", severity="warning")
                for key, line in duplicates]
    return data, warnings


def split(text: str, file: str) -> tuple[dict[str, Any], str, int, list[Problem]] | None:
    """Split a decoded post into (meta, body, body_line, warnings); None when it has no front matter."""
    match = FRONT_MATTER_RE.match(text)
    if not match:
        return None
    yaml_text = match.group(1)[match.group(1).index("\n") + 1:]
    meta, warnings = load_yaml(yaml_text, file, first_line=2)
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise InputError(Problem(file, 2, f"front matter is a {type(meta).__name__}, not a mapping of keys to values",
                                 "write front matter as 'key: value' lines"))
    meta = {str(k): v for k, v in meta.items()}
    body_line = text[: match.end()].count("\n") + 1
    return meta, text[match.end():], body_line, warnings


def read_post(source, max_bytes: int = DEFAULT_MAX_BYTES):
    """Read a SourceFile into a RawPost; None (with a warning problem) when it is not a post."""
    import hashlib

    from .model import RawPost

    file = source.rel
    try:
        size = source.path.stat().st_size
        if size > max_bytes:
            raise InputError(Problem(file, None, f"post is {size / 1048576:.1f} MB, above the {max_bytes / 1048576:.1f} MB limit",
                                     "raise publisher.max_post_bytes in _config.yml if this is intended"))
        data = source.path.read_bytes()
    except OSError as exc:
        raise InputError(Problem(file, None, f"cannot read: {exc.strerror}")) from None
    text = decode(data, file)
    parts = split(text, file)
    if parts is None:
        if text.startswith("---"):
            return None, [Problem(file, 1, "front matter is not closed with a '---' line; not treated as a post",
                                  "add a line '---' after the front matter", severity="warning")]
        if "/_posts/" in f"/{file}":
            # Jekyll 4 publishes a dated file in _posts/ even without front matter.
            return RawPost(source, {}, text, 1, hashlib.sha256(data).hexdigest()), [Problem(
                file, 1, "no front matter; Jekyll still publishes files in _posts/, so it is built with defaults",
                "start the file with a '---' front matter block", severity="warning")]
        return None, [Problem(file, 1, "no front matter; Jekyll does not treat this file as a post, skipped",
                              "start the file with a '---' front matter block", severity="warning")]
    meta, body, body_line, warnings = parts
    return RawPost(source, meta, body, body_line, hashlib.sha256(data).hexdigest()), warnings
