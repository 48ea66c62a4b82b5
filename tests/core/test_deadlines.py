"""Deadline rules from legal.md §2, checked against its worked examples and holiday lists."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.deadlines import (
    Deadlines,
    add_months,
    base_deadline,
    can_extend,
    can_refuse,
    days_left,
    deadlines_for,
    easter_sunday,
    extended_deadline,
    holiday_name,
    internal_target,
    is_working_day,
    legal_deadline,
    roll_forward,
    swedish_public_holidays,
    working_days_between,
)

# legal.md §2.2 worked examples: received, legal deadline, extended deadline.
WORKED_EXAMPLES = [
    (date(2025, 1, 31), date(2025, 2, 28), date(2025, 4, 30)),
    (date(2026, 1, 31), date(2026, 3, 2), date(2026, 4, 30)),
    (date(2028, 1, 31), date(2028, 2, 29), date(2028, 5, 2)),
    (date(2025, 11, 25), date(2025, 12, 29), date(2026, 2, 25)),
    (date(2026, 3, 5), date(2026, 4, 7), date(2026, 6, 5)),
    (date(2025, 8, 31), date(2025, 9, 30), date(2025, 12, 1)),
]
WORKED_EXAMPLE_IDS = [received.isoformat() for received, _, _ in WORKED_EXAMPLES]


# legal.md §2.4 computed dates, copied in its day/month notation.
HOLIDAYS_AS_LISTED = {
    2025: "1/1, 6/1, 18/4, 20/4, 21/4, 1/5, 29/5, 6/6, 8/6, 21/6, 1/11, 25/12, 26/12",
    2026: "1/1, 6/1, 3/4, 5/4, 6/4, 1/5, 14/5, 24/5, 6/6, 20/6, 31/10, 25/12, 26/12",
    2027: "1/1, 6/1, 26/3, 28/3, 29/3, 1/5, 6/5, 16/5, 6/6, 26/6, 6/11, 25/12, 26/12",
}


def _parse_listed(year: int, listed: str) -> frozenset[date]:
    day_months = (item.split("/") for item in listed.split(", "))
    return frozenset(date(year, int(month), int(day)) for day, month in day_months)


HOLIDAYS = {year: _parse_listed(year, listed) for year, listed in HOLIDAYS_AS_LISTED.items()}

received_dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


class TestEasterSunday:
    @pytest.mark.parametrize(
        ("year", "expected"),
        [
            (2000, date(2000, 4, 23)),
            (2008, date(2008, 3, 23)),
            (2024, date(2024, 3, 31)),
            (2025, date(2025, 4, 20)),
            (2026, date(2026, 4, 5)),
            (2027, date(2027, 3, 28)),
            (2038, date(2038, 4, 25)),  # latest possible date
            (2285, date(2285, 3, 22)),  # earliest possible date
        ],
    )
    def test_matches_known_dates(self, year: int, expected: date) -> None:
        assert easter_sunday(year) == expected

    @given(st.integers(min_value=1583, max_value=9999))
    @settings(database=None)
    def test_is_always_a_sunday_between_22_march_and_25_april(self, year: int) -> None:
        easter = easter_sunday(year)
        assert easter.weekday() == 6
        assert date(year, 3, 22) <= easter <= date(year, 4, 25)


class TestSwedishPublicHolidays:
    @pytest.mark.parametrize("year", sorted(HOLIDAYS))
    def test_matches_the_computed_list_in_legal_md(self, year: int) -> None:
        assert swedish_public_holidays(year) == HOLIDAYS[year]

    @pytest.mark.parametrize(
        "eve",
        [
            date(2026, 6, 19),  # midsommarafton
            date(2025, 12, 24),  # julafton
            date(2025, 12, 31),  # nyårsafton
        ],
    )
    def test_eves_are_not_holidays(self, eve: date) -> None:
        assert eve not in swedish_public_holidays(eve.year)

    @given(st.integers(min_value=1990, max_value=2200))
    @settings(database=None)
    def test_floating_saturday_holidays_fall_on_saturdays_in_their_week(self, year: int) -> None:
        by_name = {holiday_name(day): day for day in swedish_public_holidays(year)}
        midsummer = by_name["midsommardagen"]
        all_saints = by_name["alla helgons dag"]
        assert midsummer.weekday() == all_saints.weekday() == 5
        assert date(year, 6, 20) <= midsummer <= date(year, 6, 26)
        assert date(year, 10, 31) <= all_saints <= date(year, 11, 6)


class TestHolidayName:
    @pytest.mark.parametrize(
        ("day", "name"),
        [
            (date(2026, 1, 1), "nyårsdagen"),
            (date(2026, 1, 6), "trettondedag jul"),
            (date(2026, 4, 3), "långfredagen"),
            (date(2026, 4, 5), "påskdagen"),
            (date(2026, 4, 6), "annandag påsk"),
            (date(2026, 5, 1), "första maj"),
            (date(2026, 5, 14), "Kristi himmelsfärdsdag"),
            (date(2026, 5, 24), "pingstdagen"),
            (date(2026, 6, 6), "nationaldagen"),
            (date(2026, 6, 20), "midsommardagen"),
            (date(2026, 10, 31), "alla helgons dag"),
            (date(2026, 12, 25), "juldagen"),
            (date(2026, 12, 26), "annandag jul"),
        ],
    )
    def test_names_each_holiday(self, day: date, name: str) -> None:
        assert holiday_name(day) == name

    def test_names_both_holidays_when_they_share_a_date(self) -> None:
        assert holiday_name(date(2008, 5, 1)) == "första maj och Kristi himmelsfärdsdag"

    @pytest.mark.parametrize(
        "day",
        [
            date(2026, 6, 19),  # midsommarafton
            date(2026, 12, 24),  # julafton
            date(2026, 3, 15),  # ordinary Sunday
            date(2026, 3, 17),  # ordinary Tuesday
        ],
    )
    def test_is_none_on_other_days(self, day: date) -> None:
        assert holiday_name(day) is None


class TestIsWorkingDay:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2026, 3, 16), True),  # Monday
            (date(2026, 3, 20), True),  # Friday
            (date(2026, 3, 21), False),  # Saturday
            (date(2026, 3, 22), False),  # Sunday
            (date(2026, 4, 3), False),  # långfredagen
            (date(2026, 5, 14), False),  # Kristi himmelsfärdsdag, a Thursday
            (date(2025, 6, 6), False),  # nationaldagen, a Friday
            (date(2026, 6, 19), True),  # midsommarafton
            (date(2025, 12, 24), True),  # julafton
            (date(2025, 12, 31), True),  # nyårsafton
        ],
    )
    def test_only_weekdays_that_are_not_holidays(self, day: date, expected: bool) -> None:
        assert is_working_day(day) is expected

    @pytest.mark.parametrize("year", sorted(HOLIDAYS))
    def test_no_public_holiday_is_a_working_day(self, year: int) -> None:
        assert not any(is_working_day(day) for day in HOLIDAYS[year])


class TestRollForward:
    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            (date(2026, 3, 17), date(2026, 3, 17)),  # working day stays
            (date(2026, 2, 28), date(2026, 3, 2)),  # Saturday to Monday
            (date(2025, 12, 25), date(2025, 12, 29)),  # juldagen, annandag jul, weekend
            (date(2026, 4, 3), date(2026, 4, 7)),  # whole Easter weekend
            (date(2028, 4, 30), date(2028, 5, 2)),  # Sunday, then första maj
        ],
    )
    def test_moves_to_the_first_working_day_on_or_after(self, day: date, expected: date) -> None:
        assert roll_forward(day) == expected


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day", "months", "expected"),
        [
            (date(2026, 3, 5), 1, date(2026, 4, 5)),
            (date(2026, 3, 5), 0, date(2026, 3, 5)),
            (date(2025, 12, 15), 1, date(2026, 1, 15)),  # year rolls over
            (date(2025, 3, 31), 1, date(2025, 4, 30)),
            (date(2025, 10, 31), 1, date(2025, 11, 30)),
            (date(2025, 1, 31), 1, date(2025, 2, 28)),
            (date(2024, 1, 31), 1, date(2024, 2, 29)),  # leap year
            (date(2024, 2, 29), 12, date(2025, 2, 28)),
            (date(2023, 11, 30), 3, date(2024, 2, 29)),
            (date(2024, 11, 30), 3, date(2025, 2, 28)),
            (date(2099, 11, 30), 3, date(2100, 2, 28)),  # 2100 is not a leap year
            (date(2025, 3, 31), -1, date(2025, 2, 28)),
        ],
    )
    def test_keeps_the_day_number_clamped_to_month_end(
        self, day: date, months: int, expected: date
    ) -> None:
        assert add_months(day, months) == expected


class TestLegalDeadline:
    @pytest.mark.parametrize(
        ("received", "legal", "extended"), WORKED_EXAMPLES, ids=WORKED_EXAMPLE_IDS
    )
    def test_matches_worked_examples(self, received: date, legal: date, extended: date) -> None:
        assert legal_deadline(received) == legal

    def test_same_date_next_month_when_it_is_a_working_day(self) -> None:
        # IMY's example: 5 March → 5 April (a Friday in 2024).
        assert legal_deadline(date(2024, 3, 5)) == date(2024, 4, 5)

    @pytest.mark.parametrize(
        ("received", "eve"),
        [
            (date(2026, 5, 19), date(2026, 6, 19)),  # midsommarafton, Friday
            (date(2025, 11, 24), date(2025, 12, 24)),  # julafton, Wednesday
        ],
    )
    def test_is_not_moved_off_an_eve(self, received: date, eve: date) -> None:
        assert legal_deadline(received) == eve

    @given(received_dates)
    @settings(database=None)
    def test_is_a_working_day_within_a_week_of_the_base_deadline(self, received: date) -> None:
        legal = legal_deadline(received)
        base = base_deadline(received)
        assert is_working_day(legal)
        assert base <= legal < base + timedelta(days=7)
        assert extended_deadline(received) > legal


class TestExtendedDeadline:
    @pytest.mark.parametrize(
        ("received", "legal", "extended"), WORKED_EXAMPLES, ids=WORKED_EXAMPLE_IDS
    )
    def test_matches_worked_examples(self, received: date, legal: date, extended: date) -> None:
        assert extended_deadline(received) == extended


class TestInternalTarget:
    @pytest.mark.parametrize(
        ("received", "expected"),
        [
            (date(2026, 3, 5), date(2026, 3, 30)),
            (date(2026, 1, 31), date(2026, 2, 25)),
            (date(2025, 11, 25), date(2025, 12, 20)),
        ],
    )
    def test_is_25_days_after_receipt(self, received: date, expected: date) -> None:
        assert internal_target(received) == expected

    @given(received_dates)
    @settings(database=None)
    def test_is_never_later_than_the_base_deadline(self, received: date) -> None:
        assert received < internal_target(received) <= base_deadline(received)


class TestDaysLeft:
    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            (date(2026, 3, 5), 33),
            (date(2026, 4, 6), 1),
            (date(2026, 4, 7), 0),
            (date(2026, 4, 8), -1),
            (date(2026, 4, 17), -10),
        ],
    )
    def test_counts_calendar_days_negative_when_overdue(self, today: date, expected: int) -> None:
        assert days_left(date(2026, 4, 7), today) == expected


class TestCanExtend:
    # Received Thu 5 Mar 2026: legal deadline Tue 7 Apr 2026.
    @pytest.mark.parametrize(
        ("today", "already_extended", "expected"),
        [
            (date(2026, 3, 5), False, True),
            (date(2026, 4, 7), False, True),
            (date(2026, 4, 8), False, False),
            (date(2026, 4, 7), True, False),
            (date(2026, 3, 5), True, False),
        ],
    )
    def test_only_once_and_only_until_the_legal_deadline(
        self, today: date, already_extended: bool, expected: bool
    ) -> None:
        assert can_extend(date(2026, 3, 5), today, already_extended) is expected


class TestCanRefuse:
    # Received Sat 31 Jan 2026: legal deadline Mon 2 Mar 2026.
    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            (date(2026, 1, 31), True),
            (date(2026, 3, 2), True),
            (date(2026, 3, 3), False),
        ],
    )
    def test_only_until_the_legal_deadline(self, today: date, expected: bool) -> None:
        assert can_refuse(date(2026, 1, 31), today) is expected


class TestWorkingDaysBetween:
    @pytest.mark.parametrize(
        ("start", "end", "expected"),
        [
            (date(2026, 4, 2), date(2026, 4, 9), 3),  # across Easter 2026: 7, 8, 9 April
            (date(2026, 3, 30), date(2026, 4, 10), 7),  # Easter week and the week after
            (date(2026, 3, 16), date(2026, 3, 17), 1),  # end is counted, start is not
            (date(2026, 3, 17), date(2026, 3, 17), 0),
            (date(2026, 3, 20), date(2026, 3, 16), 0),  # end before start
        ],
    )
    def test_counts_working_days_after_start_up_to_end(
        self, start: date, end: date, expected: int
    ) -> None:
        assert working_days_between(start, end) == expected


class TestDeadlinesFor:
    def test_bundles_every_deadline_for_a_receipt_date(self) -> None:
        assert deadlines_for(date(2025, 11, 25)) == Deadlines(
            received_on=date(2025, 11, 25),
            base=date(2025, 12, 25),
            legal=date(2025, 12, 29),
            extended=date(2026, 2, 25),
            internal_target=date(2025, 12, 20),
        )

    def test_is_immutable(self) -> None:
        deadlines = deadlines_for(date(2025, 11, 25))
        with pytest.raises(dataclasses.FrozenInstanceError):
            deadlines.legal = date(2026, 1, 1)  # type: ignore[misc]
