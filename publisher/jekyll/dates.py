"""Jekyll's dates: front matter values and file names to an aware datetime (the exact instant)."""
from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser


def site_zone(timezone: str | None) -> dt.tzinfo:
    """The site's `timezone`, else the machine's local zone, as Jekyll does."""
    if timezone:
        return ZoneInfo(timezone)
    import os

    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        try:
            return ZoneInfo(name)  # Ruby (Jekyll) honours TZ the same way
        except (ValueError, OSError, KeyError):
            pass
    from dateutil import tz

    return tz.tzlocal()  # the machine's zone, with its daylight-saving rules


def localize(naive: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """Attach ZONE to a wall-clock time (DST aware for ZoneInfo)."""
    return naive.replace(tzinfo=zone)


def parse_date(value, zone: dt.tzinfo) -> dt.datetime | None:
    """Parse a front-matter date value; None when it cannot be read as a date.

    YAML timestamps, Jekyll's `YYYY-MM-DD HH:MM:SS +HHMM`, ISO 8601, date only and
    human forms such as `January 21, 2022`. A text value without zone is in the site zone
    (Ruby's Time.parse in Jekyll's TZ); an unquoted YAML timestamp without zone is UTC (Psych).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            # An unquoted YAML timestamp without a zone: Psych (Jekyll) reads it as UTC.
            return value.replace(tzinfo=dt.timezone.utc)
        return value
    if isinstance(value, dt.date):
        return localize(dt.datetime(value.year, value.month, value.day), zone)
    if isinstance(value, (int, float)):
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        parsed = dateparser.parse(text)
    except (ValueError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = localize(parsed, zone)
    return parsed


def in_zone(when: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The same instant expressed in ZONE."""
    return when.astimezone(zone)


def source_date_epoch() -> dt.datetime | None:
    """SOURCE_DATE_EPOCH as a UTC datetime, when set."""
    import os

    value = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if value.isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.timezone.utc)
    return None


def now() -> dt.datetime:
    """The reference 'now' for future-post selection (SOURCE_DATE_EPOCH when set)."""
    return source_date_epoch() or dt.datetime.fromtimestamp(time.time(), dt.timezone.utc)
