"""Working-day arithmetic for the IPR clock (domain.md section 8): the rights holder has 3
working days to apply for detention, then the investigation has 30."""

from __future__ import annotations

from datetime import date, timedelta

__all__ = ["add_working_days", "working_days_between", "HOLDER_DAYS", "INVESTIGATION_DAYS"]

HOLDER_DAYS = 3
INVESTIGATION_DAYS = 30


def add_working_days(start: date, days: int, holidays: frozenset[date] = frozenset()) -> date:
    """The date ``days`` working days (Monday-Friday, not in ``holidays``) after ``start``.

    >>> add_working_days(date(2026, 12, 4), 3)   # a Friday
    datetime.date(2026, 12, 9)
    """
    d, left = start, days
    while left > 0:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in holidays:
            left -= 1
    return d


def working_days_between(start: date, end: date, holidays: frozenset[date] = frozenset()) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when ``end`` is
    earlier).

    >>> working_days_between(date(2026, 12, 4), date(2026, 12, 9))
    3
    """
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    n, d = 0, start
    while d < end:
        d += timedelta(days=1)
        if d.weekday() < 5 and d not in holidays:
            n += 1
    return sign * n
