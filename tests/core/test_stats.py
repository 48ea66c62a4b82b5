"""The definitions behind the dashboard's figures: days to close, on time, median, percentile."""

from __future__ import annotations

import math
import statistics
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.stats import (
    Month,
    by_month,
    closing_figures,
    histogram,
    median,
    month_bounds,
    months,
    percentile,
    rate,
)


class TestClosingFigures:
    @pytest.mark.parametrize(
        ("closed", "expected"),
        [
            (date(2026, 3, 5), (0, True)),  # the day it came in
            (date(2026, 4, 7), (33, True)),  # on the deadline itself
            (date(2026, 4, 8), (34, False)),  # a day after
        ],
    )
    def test_calendar_days_from_receipt_to_closing(
        self, closed: date, expected: tuple[int, bool]
    ) -> None:
        assert closing_figures(date(2026, 3, 5), date(2026, 4, 7), closed, withdrawn=False) == (
            expected
        )

    def test_a_withdrawn_case_has_days_but_no_on_time_value(self) -> None:
        assert closing_figures(
            date(2026, 3, 5), date(2026, 4, 7), date(2026, 5, 1), withdrawn=True
        ) == (57, None)


class TestMedianAndPercentile:
    def test_odd_and_even_counts(self) -> None:
        assert median(histogram([5, 1, 3])) == 3
        assert median(histogram([1, 2, 3, 10])) == 2.5
        assert median({29: 2, 20: 1, 24: 1, 31: 1, 36: 1}) == 29

    def test_nearest_rank(self) -> None:
        values = histogram(range(1, 11))  # 1..10
        assert percentile(values, 0.9) == 9
        assert percentile(values, 0.5) == 5
        assert percentile(values, 1.0) == 10
        assert percentile(histogram([20, 24, 29, 29, 31, 36]), 0.9) == 36  # rank ceil(5.4) = 6
        assert percentile(histogram(range(70)), 0.9) == 62  # rank 63, not 64 (0.9 * 70 in floats)

    def test_nothing_to_count(self) -> None:
        assert median({}) is None
        assert percentile({}, 0.9) is None
        assert rate(0, 0) is None
        assert rate(9, 11) == pytest.approx(0.818, abs=1e-3)

    def test_share_out_of_range(self) -> None:
        with pytest.raises(ValueError, match="share"):
            percentile({1: 1}, 0)

    @given(st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=300))
    def test_agree_with_sorting_the_values(self, values: list[int]) -> None:
        counted = histogram(values)
        assert median(counted) == statistics.median(values)
        ordered = sorted(values)
        for share in (0.1, 0.5, 0.9, 0.95):
            assert percentile(counted, share) == ordered[math.ceil(share * len(values) - 1e-9) - 1]


class TestMonths:
    def test_every_month_touched_by_a_period(self) -> None:
        assert [m.key for m in months(date(2025, 12, 15), date(2026, 2, 1))] == [
            "2025-12", "2026-01", "2026-02",
        ]  # fmt: skip
        assert months(date(2026, 3, 1), date(2026, 3, 1)) == [Month(2026, 3)]

    def test_first_last_next(self) -> None:
        assert Month(2026, 12).next == Month(2027, 1)
        assert Month(2028, 2).last == date(2028, 2, 29)
        assert Month.of(date(2026, 11, 24)).first == date(2026, 11, 1)

    def test_bounds_are_clipped_to_the_period(self) -> None:
        assert list(month_bounds(date(2026, 2, 26), date(2026, 3, 19))) == [
            (Month(2026, 2), date(2026, 2, 26), date(2026, 3, 1)),
            (Month(2026, 3), date(2026, 3, 1), date(2026, 3, 20)),
        ]

    def test_days_added_up_into_months(self) -> None:
        assert by_month(
            [(date(2026, 1, 31), 2), (date(2026, 2, 1), 3), (date(2026, 2, 28), 1)]
        ) == {
            Month(2026, 1): 2,
            Month(2026, 2): 4,
        }
