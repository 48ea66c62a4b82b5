"""Retention the law imposes on an erasure: BFL 7 kap. 2 § for accounting records."""

from __future__ import annotations

from datetime import date

import pytest

from app.core.retention import accounting_kept_until, fiscal_year_end, must_keep

# document date, fiscal year start month, last day it must be kept
KEPT_UNTIL = [
    (date(2025, 1, 1), 1, date(2032, 12, 31)),
    (date(2025, 6, 15), 1, date(2032, 12, 31)),
    (date(2025, 12, 31), 1, date(2032, 12, 31)),
    (date(2026, 1, 1), 1, date(2033, 12, 31)),
    (date(2024, 2, 29), 1, date(2031, 12, 31)),
    # A broken fiscal year May-April: the year of its end counts, not the document's year.
    (date(2025, 3, 10), 5, date(2032, 12, 31)),  # FY 2024-05-01..2025-04-30
    (date(2025, 4, 30), 5, date(2032, 12, 31)),
    (date(2025, 5, 1), 5, date(2033, 12, 31)),  # FY 2025-05-01..2026-04-30
    (date(2025, 12, 31), 7, date(2033, 12, 31)),  # FY 2025-07-01..2026-06-30
]


@pytest.mark.parametrize(
    ("document_date", "first_month", "until"),
    KEPT_UNTIL,
    ids=[f"{d.isoformat()}-m{m}" for d, m, _ in KEPT_UNTIL],
)
def test_accounting_records_are_kept_to_the_end_of_the_seventh_year(
    document_date: date, first_month: int, until: date
) -> None:
    assert accounting_kept_until(document_date, first_month=first_month) == until


FISCAL_YEAR_ENDS = [
    (date(2025, 7, 1), 1, date(2025, 12, 31)),
    (date(2025, 7, 1), 7, date(2026, 6, 30)),
    (date(2025, 6, 30), 7, date(2025, 6, 30)),
    (date(2024, 1, 15), 3, date(2024, 2, 29)),  # leap year
    (date(2025, 1, 15), 3, date(2025, 2, 28)),
    (date(2025, 12, 1), 12, date(2026, 11, 30)),
]


@pytest.mark.parametrize(("day", "first_month", "end"), FISCAL_YEAR_ENDS)
def test_fiscal_year_end(day: date, first_month: int, end: date) -> None:
    assert fiscal_year_end(day, first_month=first_month) == end


@pytest.mark.parametrize("first_month", [0, 13])
def test_a_fiscal_year_starts_in_a_real_month(first_month: int) -> None:
    with pytest.raises(ValueError, match="first_month"):
        fiscal_year_end(date(2025, 1, 1), first_month=first_month)


@pytest.mark.parametrize(
    ("today", "kept"),
    [(date(2032, 12, 30), True), (date(2032, 12, 31), True), (date(2033, 1, 1), False)],
)
def test_the_last_day_is_included(today: date, kept: bool) -> None:
    assert must_keep(date(2032, 12, 31), today) is kept
