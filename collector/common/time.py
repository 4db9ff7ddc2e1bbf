"""Time in one convention: aware UTC datetimes everywhere.

SQLite hands timestamps back as naive UTC wall time and PostgreSQL as aware
datetimes; every comparison and day boundary goes through ``as_utc`` so the
two databases give the same answers.
"""

from datetime import date, datetime, time, timedelta, timezone


def utcnow() -> datetime:
    """Now, aware, in UTC (tests freeze it by patching this one function)."""
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def day_end(day: date) -> datetime:
    """Midnight UTC at the end of ``day`` (exclusive bound)."""
    return day_start(day + timedelta(days=1))
