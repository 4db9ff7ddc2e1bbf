"""Time in one convention: aware UTC datetimes everywhere.

SQLite hands timestamps back as naive UTC wall time and PostgreSQL as aware
datetimes; every comparison and day boundary goes through ``as_utc`` so the
two databases give the same answers.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones


def utcnow() -> datetime:
    """Now, aware, in UTC (tests freeze it by patching this one function)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def day_end(day: date) -> datetime:
    """Midnight UTC at the end of ``day`` (exclusive bound)."""
    return day_start(day + timedelta(days=1))


@lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # "localtime" is the server's own zone, a file rather than a name people choose.
    return frozenset(available_timezones()) - {"localtime", "posixrules", "Factory"}


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name`` (e.g. ``Europe/Berlin``); ValueError for anything else.

    Only names in the zone database count, so a path such as ``../etc/passwd``
    or a made-up name is refused before it reaches the file system.
    """
    if not isinstance(name, str) or name not in _zone_names():
        raise ValueError(f"Unknown time zone {name!r}: use an IANA name such as Europe/Berlin.")
    return ZoneInfo(name)


def wall_time(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """``hour``:00 local time on ``day`` in ``tz``, as aware UTC.

    An hour the clocks skip (spring forward) is read with the offset before
    the change, i.e. it is the moment of the change; an hour that happens
    twice (fall back) is its first occurrence.
    """
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)
