"""The figures of the dashboard and the register, defined once: pure, so every rule is testable.

- **Days to close**: calendar days from ``received_on`` (the Stockholm date the law counts from)
  to ``closed_on`` (the Stockholm date the case reached a closed status); 0 for a request that
  took effect the day it came in.
- **On time**: ``closed_on <= due_on``, the deadline in force when the case closed (the legal
  deadline, or the extended one after a valid extension). A withdrawn case has no on-time value:
  the person took it back, there was nothing left to answer, so it counts neither way.
- **Median**: the middle value; for an even number of values the mean of the two middle ones.
- **90th percentile** (nearest rank): the smallest value that at least 90 % of the values are
  less than or equal to, i.e. the value at rank ``ceil(0.9 * n)`` in ascending order.

Figures are computed from histograms (value → how many), which the database hands over as one
``GROUP BY`` per period, so a million cases never travel to Python one by one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, timedelta


def closing_figures(
    received_on: date, due_on: date, closed_on: date, *, withdrawn: bool
) -> tuple[int, bool | None]:
    """``(days_to_close, closed_on_time)`` of a case closing on ``closed_on``.

    ``closed_on_time`` is None for a withdrawn case (it is left out of the on-time rate).
    """
    days = (closed_on - received_on).days
    return days, None if withdrawn else closed_on <= due_on


def _ranked(histogram: Mapping[int, int], rank: int) -> int:
    """The value at 1-based ``rank`` in ascending order of the values the histogram counts."""
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    raise ValueError(f"rank {rank} beyond {seen} values")


def total(histogram: Mapping[int, int]) -> int:
    return sum(histogram.values())


def median(histogram: Mapping[int, int]) -> float | None:
    """The median of the counted values; None when there are none."""
    n = total(histogram)
    if n == 0:
        return None
    low = _ranked(histogram, (n + 1) // 2)
    high = _ranked(histogram, n // 2 + 1)
    return (low + high) / 2


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile (``share`` in (0, 1]): the value at rank ceil(share * n)."""
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    n = total(histogram)
    if n == 0:
        return None
    return _ranked(histogram, max(1, math.ceil(round(share * n, 9))))


def histogram(values: Iterable[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def rate(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is nothing to divide (no "0 %" out of nothing)."""
    return part / whole if whole else None


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (of Stockholm dates)."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def last(self) -> date:
        return self.next.first - timedelta(days=1)

    @property
    def key(self) -> str:
        """``YYYY-MM``: how the month is written in tables, CSV and ids."""
        return f"{self.year:04d}-{self.month:02d}"


def months(start: date, end: date) -> list[Month]:
    """Every month that has a day in ``start``..``end`` (inclusive), in order."""
    found: list[Month] = []
    month = Month.of(start)
    while month.first <= end:
        found.append(month)
        month = month.next
    return found


def by_month(days: Iterable[tuple[date, int]]) -> dict[Month, int]:
    """Add up per-day counts into their months."""
    counts: dict[Month, int] = {}
    for day, count in days:
        month = Month.of(day)
        counts[month] = counts.get(month, 0) + count
    return counts


def month_bounds(start: date, end: date) -> Iterator[tuple[Month, date, date]]:
    """``(month, first day, day after the last)`` of each month, clipped to ``start``..``end``."""
    for month in months(start, end):
        yield month, max(month.first, start), min(month.next.first, end + timedelta(days=1))
