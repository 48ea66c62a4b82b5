"""Response deadlines for data-subject requests (legal.md §2).

GDPR Art. 12(3): answer within one month of receipt, extendable once by two further months.
The month is counted under Regulation (EEC, Euratom) No 1182/71 Art. 3: the day of receipt
is not counted, the period ends on the same date in the target month (or on that month's
last day if the date does not exist), and a period ending on a Saturday, Sunday or public
holiday runs to the end of the next working day (Art. 3(4)). Public holidays are Sweden's,
lag (1989:253) om allmänna helgdagar; eves are working days (the safe reading, §2.4).

Pure on purpose: no clock and no I/O, so callers pass ``today`` and every rule is testable.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

_DAY = timedelta(days=1)
INTERNAL_TARGET_DAYS = 25
"""Days after receipt for the internal target, so that roll-forward is never relied on."""


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous algorithm, Meeus); four holidays hang off it."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    lunar_cycle = (century + 8) // 25
    lunar_correction = (century - lunar_cycle + 1) // 3
    epact = (19 * golden + century - leap_centuries - lunar_correction + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    to_sunday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    march_shift = (golden + 11 * epact + 22 * to_sunday) // 451
    month, day = divmod(epact + to_sunday - 7 * march_shift + 114, 31)
    return date(year, month, day + 1)


def _fixed(month: int, day: int) -> Callable[[int], date]:
    return lambda year: date(year, month, day)


def _from_easter(days: int) -> Callable[[int], date]:
    return lambda year: easter_sunday(year) + timedelta(days=days)


def _saturday_from(month: int, day: int) -> Callable[[int], date]:
    """The Saturday in the seven days starting on ``month``/``day``."""

    def rule(year: int) -> date:
        first = date(year, month, day)
        return first + timedelta(days=(calendar.SATURDAY - first.weekday()) % 7)

    return rule


_HOLIDAY_RULES: tuple[tuple[str, Callable[[int], date]], ...] = (
    ("nyårsdagen", _fixed(1, 1)),
    ("trettondedag jul", _fixed(1, 6)),
    ("långfredagen", _from_easter(-2)),
    ("påskdagen", _from_easter(0)),
    ("annandag påsk", _from_easter(1)),
    ("första maj", _fixed(5, 1)),
    ("Kristi himmelsfärdsdag", _from_easter(39)),
    ("pingstdagen", _from_easter(49)),
    ("nationaldagen", _fixed(6, 6)),
    ("midsommardagen", _saturday_from(6, 20)),
    ("alla helgons dag", _saturday_from(10, 31)),
    ("juldagen", _fixed(12, 25)),
    ("annandag jul", _fixed(12, 26)),
)
"""Lag (1989:253) 1 §, minus Sundays (is_working_day handles those): one table for names and
dates, so they cannot drift apart."""


@lru_cache(maxsize=128)
def _holiday_names(year: int) -> Mapping[date, str]:
    """Date → name for one year; two holidays can share a date (1 May 2008 was also Ascension)."""
    names: dict[date, str] = {}
    for name, rule in _HOLIDAY_RULES:
        day = rule(year)
        names[day] = f"{names[day]} och {name}" if day in names else name
    return names


@lru_cache(maxsize=128)
def swedish_public_holidays(year: int) -> frozenset[date]:
    """The year's named holidays; Sundays are left to is_working_day and eves are not holidays."""
    return frozenset(_holiday_names(year))


def holiday_name(day: date) -> str | None:
    """Swedish name of the public holiday on ``day``, for showing why a deadline moved."""
    return _holiday_names(day.year).get(day)


def is_working_day(day: date) -> bool:
    """Not a Saturday, Sunday or public holiday: the days Art. 3(4) lets a period end on."""
    return day.weekday() < calendar.SATURDAY and day not in swedish_public_holidays(day.year)


def roll_forward(day: date) -> date:
    """The first working day on or after ``day`` (1182/71 Art. 3(4))."""
    while not is_working_day(day):
        day += _DAY
    return day


def add_months(day: date, months: int) -> date:
    """Same day number ``months`` later, clamped to the month's last day (1182/71 Art. 3(2)(c))."""
    year, month_index = divmod(day.year * 12 + day.month - 1 + months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def base_deadline(received_on: date) -> date:
    """One month after receipt, not rolled forward: the date staff should aim for."""
    return add_months(received_on, 1)


def legal_deadline(received_on: date) -> date:
    """Last day to answer, refuse or announce an extension (Art. 12(3)–(4))."""
    return roll_forward(base_deadline(received_on))


def extended_deadline(received_on: date) -> date:
    """Last day to answer after a valid extension: three months from receipt (IMY)."""
    return roll_forward(add_months(received_on, 3))


def internal_target(received_on: date) -> date:
    """An alert date ahead of the legal one, so a case never depends on roll-forward (§2.2)."""
    return min(base_deadline(received_on), received_on + timedelta(days=INTERNAL_TARGET_DAYS))


def days_left(due_on: date, today: date) -> int:
    """Calendar days until ``due_on``; negative once it has passed."""
    return (due_on - today).days


def can_extend(received_on: date, today: date, already_extended: bool) -> bool:
    """One extension, announced within the first month; a late notice is invalid (§2.3)."""
    return not already_extended and today <= legal_deadline(received_on)


def can_refuse(received_on: date, today: date) -> bool:
    """A refusal is due within one month with no extension (Art. 12(4))."""
    return today <= legal_deadline(received_on)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end``, for staff planning."""
    return sum(is_working_day(start + timedelta(days=n)) for n in range(1, (end - start).days + 1))


@dataclass(frozen=True, slots=True)
class Deadlines:
    """Every date derived from one receipt date, computed together so they agree."""

    received_on: date
    base: date
    legal: date
    extended: date
    internal_target: date


def deadlines_for(received_on: date) -> Deadlines:
    """The set of dates to store and alert on when a request is registered."""
    return Deadlines(
        received_on=received_on,
        base=base_deadline(received_on),
        legal=legal_deadline(received_on),
        extended=extended_deadline(received_on),
        internal_target=internal_target(received_on),
    )
