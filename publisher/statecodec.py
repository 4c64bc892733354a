"""A JSON form for the build record's Python values (normalized papers, their warnings), so that
nothing publisher reads back from OUT or a cache can run code (a pickle could).

`dumps(value)` writes plain JSON with tagged objects for what JSON lacks (datetimes with their zone,
paths, tuples, sets, bytes, dicts with non-string keys, dataclasses). `loads(text)` rebuilds them;
a dataclass is rebuilt only when it is a dataclass defined in one of publisher's own modules, and it
is filled field by field without calling its __init__ (as pickle does). Anything else raises
ValueError, which the caller treats as an unreadable record.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import functools
import importlib
import json
from pathlib import Path, PurePosixPath
from zoneinfo import ZoneInfo

TAG = "$t"


class StaleRecord(ValueError):
    """The record names one of publisher's data classes as another version of publisher defined it."""


def _zone(tz: dt.tzinfo | None, when: dt.datetime | None) -> object:
    if tz is None:
        return None
    if isinstance(tz, ZoneInfo):
        return {"zone": tz.key}
    if type(tz).__name__ == "tzlocal":  # dateutil's machine zone (the memo's key includes TZ)
        return {"local": True}
    offset = tz.utcoffset(when)
    name = tz.tzname(when) if isinstance(tz, dt.timezone) else None
    return {"offset": offset.total_seconds() if offset is not None else 0, "name": name}


def _tzinfo(data) -> dt.tzinfo | None:
    if data is None:
        return None
    if "zone" in data:
        return ZoneInfo(str(data["zone"]))
    if data.get("local"):
        from dateutil import tz

        return tz.tzlocal()
    offset = dt.timedelta(seconds=float(data["offset"]))
    return dt.timezone(offset, data["name"]) if data.get("name") else dt.timezone(offset)


def _encode(value):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and TAG not in value:
            return {k: _encode(v) for k, v in value.items()}
        return {TAG: "dict", "items": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, dt.datetime):
        naive = value.replace(tzinfo=None).isoformat()
        return {TAG: "datetime", "v": naive, "tz": _zone(value.tzinfo, value), "fold": value.fold}
    if isinstance(value, dt.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, dt.time):
        return {TAG: "time", "v": value.replace(tzinfo=None).isoformat(), "tz": _zone(value.tzinfo, None)}
    if isinstance(value, Path):
        return {TAG: "path", "v": str(value)}
    if isinstance(value, PurePosixPath):
        return {TAG: "purepath", "v": str(value)}
    if isinstance(value, tuple):
        return {TAG: "tuple", "v": [_encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        items = sorted((_encode(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
        return {TAG: "frozenset" if isinstance(value, frozenset) else "set", "v": items}
    if isinstance(value, bytes):
        return {TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        return {TAG: "dataclass", "cls": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    raise TypeError(f"cannot record a {type(value).__name__}")


@functools.lru_cache(maxsize=None)
def _dataclass(name: str) -> tuple[type, tuple[str, ...], frozenset[str]]:
    """The data class NAME ("module:QualName", one of publisher's own), its field names in order and as a set."""
    module, _, qualname = name.partition(":")
    if not (module == "publisher" or module.startswith("publisher.")) or not qualname.isidentifier():
        raise ValueError(f"refusing to rebuild {name!r}: not one of publisher's data classes")
    try:
        cls = getattr(importlib.import_module(module), qualname, None)
    except ImportError:
        raise StaleRecord(f"{module} no longer exists") from None
    if cls is None:
        raise StaleRecord(f"{name} no longer exists")
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise ValueError(f"refusing to rebuild {name!r}: not a data class")
    names = tuple(f.name for f in dataclasses.fields(cls))
    return cls, names, frozenset(names)


def _decode(data):
    kind = type(data)  # (JSON gives exactly these types)
    if kind is list:
        return [_decode(v) for v in data]
    if kind is not dict:
        return data
    kind = data.get(TAG)
    if kind is None:
        return {k: _decode(v) for k, v in data.items()}
    if kind == "dict":
        return {_hashable(_decode(k)): _decode(v) for k, v in data["items"]}
    if kind == "datetime":
        return dt.datetime.fromisoformat(data["v"]).replace(tzinfo=_tzinfo(data["tz"]), fold=int(data["fold"]))
    if kind == "date":
        return dt.date.fromisoformat(data["v"])
    if kind == "time":
        return dt.time.fromisoformat(data["v"]).replace(tzinfo=_tzinfo(data["tz"]))
    if kind == "path":
        return Path(data["v"])
    if kind == "purepath":
        return PurePosixPath(data["v"])
    if kind == "tuple":
        return tuple(_decode(v) for v in data["v"])
    if kind in ("set", "frozenset"):
        items = (_hashable(_decode(v)) for v in data["v"])
        return frozenset(items) if kind == "frozenset" else set(items)
    if kind == "bytes":
        return base64.b64decode(data["v"], validate=True)
    if kind == "dataclass":
        cls, names, name_set = _dataclass(str(data["cls"]))
        obj = cls.__new__(cls)
        values = data["fields"]
        if values.keys() != name_set:
            raise StaleRecord(f"{cls.__name__} has other fields now")
        for name in names:
            object.__setattr__(obj, name, _decode(values[name]))
        return obj
    raise ValueError(f"unknown tag {kind!r}")


def _hashable(value):
    if isinstance(value, (list, dict, set)):
        raise ValueError("an unhashable key in the record")
    return value


def encode(value):
    """VALUE as plain JSON data (TypeError for a value it cannot record)."""
    return _encode(value)


def decode(data):
    """The value encode() made of it; ValueError (StaleRecord for an older publisher's classes)."""
    try:
        return _decode(data)
    except ValueError:
        raise
    except (KeyError, TypeError, AttributeError, ImportError, OverflowError) as exc:
        raise ValueError(f"unreadable record: {exc}") from None


def dumps(value) -> str:
    """The JSON text of VALUE (TypeError for a value it cannot record)."""
    return json.dumps(_encode(value), separators=(",", ":"), ensure_ascii=False)  # dict order kept


def loads(text: str | bytes):
    """The value dumps() wrote; ValueError (never code execution) for anything else."""
    try:
        return _decode(json.loads(text))
    except (KeyError, TypeError, AttributeError, ImportError, OverflowError) as exc:
        raise ValueError(f"unreadable record: {exc}") from None
