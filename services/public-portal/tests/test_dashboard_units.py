"""Working-day arithmetic on China's calendar and the percentiles of the responsiveness statistics."""

from datetime import date, timedelta

from bluemap_portal.dashboard.service import percentile
from bluemap_portal.dashboard.working_days import (
    calendar_rows,
    covered_years,
    is_working_day,
    working_days_between,
)


def test_national_day_holiday_and_adjusted_working_weekend_days() -> None:
    # 2025: 1-8 October off; Sunday 28 September and Saturday 11 October are working days.
    assert not is_working_day(date(2025, 10, 1))
    assert not is_working_day(date(2025, 10, 8))
    assert is_working_day(date(2025, 9, 28))
    assert is_working_day(date(2025, 10, 11))
    assert not is_working_day(date(2025, 10, 12))
    # Friday 26 September to Monday 13 October: 28 Sep, 29, 30, 9 Oct, 10, 11 (Saturday), 13.
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 13)) == 7
    # Plain weekdays would count 11.
    assert sum(1 for n in range(1, 18) if (date(2025, 9, 26) + timedelta(days=n)).weekday() < 5) == 11


def test_counting_starts_after_the_first_day_and_never_goes_negative() -> None:
    assert working_days_between(date(2025, 11, 3), date(2025, 11, 3)) == 0
    assert working_days_between(date(2025, 11, 3), date(2025, 11, 4)) == 1
    assert working_days_between(date(2025, 11, 5), date(2025, 11, 3)) == 0


def test_years_the_package_does_not_cover_count_monday_to_friday() -> None:
    uncovered = max(covered_years()) + 5
    monday = date(uncovered, 1, 1) + timedelta(days=(7 - date(uncovered, 1, 1).weekday()) % 7)
    assert working_days_between(monday, monday + timedelta(days=7)) == 5
    assert is_working_day(monday)
    assert not is_working_day(monday + timedelta(days=5))


def test_calendar_ordinals_give_the_same_counts_as_the_arithmetic() -> None:
    rows = {r["day"]: r["ordinal"] for r in calendar_rows(date(2025, 9, 1), date(2025, 10, 31))}
    for start, end in [(date(2025, 9, 26), date(2025, 10, 13)), (date(2025, 9, 1), date(2025, 10, 31))]:
        assert rows[end] - rows[start] == working_days_between(start, end)  # type: ignore[operator]


def test_nearest_rank_percentiles() -> None:
    assert percentile({}, 0.5) is None
    assert percentile({2: 1, 7: 1, 8: 1}, 0.5) == 7
    assert percentile({2: 1, 7: 1, 8: 1}, 0.9) == 8
    # 0.9 * 10 is just above 9 in floating point: the 9th of ten values is still the 90th percentile.
    assert percentile({n: 1 for n in range(1, 11)}, 0.9) == 9
    assert percentile({0: 4, 5: 1}, 0.5) == 0
