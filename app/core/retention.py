"""How long records must be kept by law, where an erasure has to hold them back (legal.md §1.3).

Bokföringslagen (1999:1078) 7 kap. 2 §: accounting records (räkenskapsinformation) are kept
"till och med det sjunde året efter utgången av det kalenderår då räkenskapsåret avslutades".
The controller's fiscal year is the calendar year, so an invoice dated in 2025 belongs to the
fiscal year that ends on 31 December 2025 and is kept until 31 December 2032.

Pure on purpose: callers pass the dates, so each rule is tested by a table.
"""

from __future__ import annotations

from datetime import date, timedelta

BOOKKEEPING_ACT = "Bokföringslagen (1999:1078) 7 kap. 2 §"
"""The provision, cited as Swedish law cites it (not translated)."""

BOOKKEEPING_YEARS = 7


def fiscal_year_end(day: date, *, first_month: int = 1) -> date:
    """The last day of the fiscal year that ``day`` falls in.

    ``first_month`` is the month the fiscal year starts in: 1 for the calendar year (ours),
    for example 5 for a broken fiscal year May to April.
    """
    if not 1 <= first_month <= 12:
        raise ValueError("first_month must be 1 to 12")
    if first_month == 1:
        return date(day.year, 12, 31)
    next_start_year = day.year + 1 if day.month >= first_month else day.year
    return date(next_start_year, first_month, 1) - timedelta(days=1)


def accounting_kept_until(document_date: date, *, first_month: int = 1) -> date:
    """The last day an accounting record must be kept (BFL 7 kap. 2 §).

    Until the end of the seventh calendar year after the calendar year in which the fiscal year
    that the record belongs to ended.
    """
    ended = fiscal_year_end(document_date, first_month=first_month)
    return date(ended.year + BOOKKEEPING_YEARS, 12, 31)


def must_keep(kept_until: date, today: date) -> bool:
    """Whether a record kept until ``kept_until`` (inclusive) must still be kept ``today``."""
    return today <= kept_until
