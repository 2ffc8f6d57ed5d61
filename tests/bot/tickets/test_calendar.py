"""Business days and office hours on the project's holiday list (data/holidays.yml)."""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from pythainlp.util import to_lunar_date

from bot.tickets.calendar import HOLIDAYS_PATH, BusinessCalendar, CalendarError, OfficeHours

BKK = ZoneInfo("Asia/Bangkok")
UTC = ZoneInfo("UTC")


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    """The calendar on data/holidays.yml, loaded once."""
    return BusinessCalendar.load()


def bkk(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Bangkok wall-clock moment."""
    return datetime(year, month, day, hour, minute, tzinfo=BKK)


def test_weekends_are_not_business_days(calendar: BusinessCalendar) -> None:
    assert calendar.is_business_day(date(2026, 4, 17))  # Friday
    assert not calendar.is_business_day(date(2026, 4, 18))  # Saturday
    assert not calendar.is_business_day(date(2026, 4, 19))  # Sunday
    assert calendar.is_business_day(date(2026, 4, 20))  # Monday
    assert calendar.is_holiday(date(2026, 4, 18)) is None


def test_known_holidays(calendar: BusinessCalendar) -> None:
    for day in (13, 14, 15):
        assert calendar.is_holiday(date(2026, 4, day)) == "วันสงกรานต์"
        assert not calendar.is_business_day(date(2026, 4, day))
    assert calendar.is_holiday(date(2026, 12, 5)) is not None  # a Saturday this year
    assert calendar.is_holiday(date(2026, 12, 7)) == "วันหยุดชดเชยวันพ่อแห่งชาติ"
    assert calendar.is_holiday(date(2026, 12, 31)) == "วันสิ้นปี"
    assert not calendar.is_business_day(date(2026, 12, 31))  # a Thursday
    # Labour Day is not a government holiday.
    assert calendar.is_business_day(date(2026, 5, 1))


def test_add_business_days_skips_a_weekend_and_a_substitution_day(
    calendar: BusinessCalendar,
) -> None:
    # Friday 4 Dec 2026; Sat 5 (Father's Day), Sun 6, Mon 7 (substitution) are off.
    due = calendar.add_business_days(bkk(2026, 12, 4, 10, 0), 1)
    assert due == bkk(2026, 12, 8, 16, 30)
    assert due.tzinfo == UTC
    # Tue 8, Wed 9, then Thu 10 is Constitution Day: the third is Fri 11.
    assert calendar.add_business_days(bkk(2026, 12, 4, 10, 0), 3) == bkk(2026, 12, 11, 16, 30)


def test_add_business_days_skips_songkran(calendar: BusinessCalendar) -> None:
    # Friday 10 Apr 2026 + 1: Sat, Sun, then Songkran Mon 13–Wed 15.
    assert calendar.add_business_days(bkk(2026, 4, 10, 9, 0), 1) == bkk(2026, 4, 16, 16, 30)


def test_zero_days_is_the_end_of_the_day_or_the_next_business_day(
    calendar: BusinessCalendar,
) -> None:
    assert calendar.add_business_days(bkk(2026, 4, 17, 9, 0), 0) == bkk(2026, 4, 17, 16, 30)
    assert calendar.add_business_days(bkk(2026, 4, 18, 9, 0), 0) == bkk(2026, 4, 20, 16, 30)
    assert calendar.add_business_days(bkk(2026, 4, 13, 9, 0), 0) == bkk(2026, 4, 16, 16, 30)


def test_days_are_counted_on_bangkok_dates(calendar: BusinessCalendar) -> None:
    # 18:00 UTC on Thursday 9 Apr 2026 is already 01:00 on Friday 10 Apr in Bangkok, so
    # the next business day is after Songkran, not Friday.
    start = datetime(2026, 4, 9, 18, 0, tzinfo=UTC)
    due = calendar.add_business_days(start, 1)
    assert due == datetime(2026, 4, 16, 9, 30, tzinfo=UTC)
    assert due.utcoffset() == timedelta(0)


def test_naive_moments_are_refused(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add_business_days(datetime(2026, 4, 9, 18, 0), 1)


def test_business_days_between(calendar: BusinessCalendar) -> None:
    friday = bkk(2026, 12, 4, 10, 0)
    assert calendar.business_days_between(friday, bkk(2026, 12, 4, 16, 0)) == 0
    assert calendar.business_days_between(friday, bkk(2026, 12, 8, 9, 0)) == 1
    # Business days after Fri 4 Dec up to Mon 14: 8, 9, 11, 14 (7 and 10 are holidays).
    assert calendar.business_days_between(friday, bkk(2026, 12, 14, 9, 0)) == 4
    assert calendar.business_days_between(bkk(2026, 12, 8, 9, 0), friday) == -1


def test_between_undoes_add(calendar: BusinessCalendar) -> None:
    for start in (bkk(2026, 4, 10, 9, 0), bkk(2025, 12, 30, 23, 0), bkk(2027, 7, 16, 8, 0)):
        for days in range(1, 40):
            due = calendar.add_business_days(start, days)
            assert calendar.business_days_between(start, due) == days, (start, days)


def test_next_business_day(calendar: BusinessCalendar) -> None:
    assert calendar.next_business_day(date(2025, 12, 30)) == date(2026, 1, 5)  # 31, 1, 2 off
    assert calendar.next_business_day(date(2026, 4, 16)) == date(2026, 4, 17)


OFFICE = time(8, 30), time(16, 30)


def test_office_hours_open_and_closed(calendar: BusinessCalendar) -> None:
    hours = OfficeHours(open=OFFICE[0], close=OFFICE[1], calendar=calendar)
    assert hours.is_open(bkk(2026, 12, 4, 8, 30))
    assert hours.is_open(datetime(2026, 12, 4, 9, 29, tzinfo=UTC))  # 16:29 in Bangkok
    assert not hours.is_open(bkk(2026, 12, 4, 16, 30))
    assert not hours.is_open(bkk(2026, 12, 4, 8, 29))
    assert not hours.is_open(bkk(2026, 12, 5, 10, 0))  # Saturday (and Father's Day)
    assert not hours.is_open(bkk(2026, 12, 7, 10, 0))  # Monday, substitution day


def test_next_open_across_a_weekend_and_a_holiday(calendar: BusinessCalendar) -> None:
    hours = OfficeHours(open=OFFICE[0], close=OFFICE[1], calendar=calendar)
    friday_evening = bkk(2026, 12, 4, 17, 0)
    assert hours.next_open(friday_evening) == bkk(2026, 12, 8, 8, 30)
    assert hours.next_open(friday_evening).tzinfo == UTC
    assert hours.next_open(bkk(2026, 4, 12, 12, 0)) == bkk(2026, 4, 16, 8, 30)  # Songkran
    assert hours.next_open(bkk(2026, 12, 8, 7, 0)) == bkk(2026, 12, 8, 8, 30)
    inside = bkk(2026, 12, 8, 11, 15)
    assert hours.next_open(inside) == inside
    assert hours.next_open(inside).tzinfo == UTC


def test_office_hours_must_open_before_closing(calendar: BusinessCalendar) -> None:
    with pytest.raises(ValueError):
        OfficeHours(open=time(17, 0), close=time(8, 0), calendar=calendar)


# ---- The data itself ----


def _entries() -> list[dict[str, object]]:
    data = yaml.safe_load(HOLIDAYS_PATH.read_text(encoding="utf-8"))
    return list(data["holidays"])


def test_every_covered_year_has_its_fixed_holidays(calendar: BusinessCalendar) -> None:
    assert {2025, 2026, 2027} <= calendar.years
    for year in calendar.years:
        for month, day in [(1, 1), (4, 6), (4, 13), (4, 14), (4, 15), (5, 4), (6, 3), (7, 28),
                           (8, 12), (10, 13), (10, 23), (12, 5), (12, 10), (12, 31)]:  # fmt: skip
            assert calendar.is_holiday(date(year, month, day)), (year, month, day)


def test_buddhist_holidays_fall_on_the_thai_lunar_dates() -> None:
    # Full moon (ขึ้น 15 ค่ำ) for the three Buddhist days, the day after for Khao Phansa.
    expected = {
        "วันมาฆบูชา": "ขึ้น 15 ค่ำ",
        "วันวิสาขบูชา": "ขึ้น 15 ค่ำ",
        "วันอาสาฬหบูชา": "ขึ้น 15 ค่ำ",
        "วันเข้าพรรษา": "แรม 1 ค่ำ",
    }
    seen = 0
    for entry in _entries():
        prefix = expected.get(str(entry["name"]))
        if prefix is not None:
            assert isinstance(entry["date"], date)
            assert to_lunar_date(entry["date"]).startswith(prefix), entry
            seen += 1
    assert seen == 4 * 3


def test_weekend_holidays_have_a_substitution_day(calendar: BusinessCalendar) -> None:
    for entry in _entries():
        day, name = entry["date"], str(entry["name"])
        assert isinstance(day, date)
        if day.weekday() < 5 or name.startswith("วันหยุดชดเชย"):
            continue
        following = [day + timedelta(days=n) for n in range(1, 5)]
        substitutes = [
            d for d in following if (calendar.is_holiday(d) or "").startswith("วันหยุดชดเชย")
        ]
        assert substitutes, (day, name)
        assert all(d.weekday() < 5 for d in substitutes)


# ---- Loading ----


def test_a_misspelt_key_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yml"
    path.write_text("years: [2026]\nholidays:\n  - date: 2026-01-01\n    nmae: x\n", "utf-8")
    with pytest.raises(CalendarError, match=r"holidays\.yml: .*holidays\.0\.nmae: Extra inputs"):
        BusinessCalendar.load(path)


def test_a_date_outside_the_years_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "holidays.yml"
    path.write_text("years: [2026]\nholidays:\n  - date: 2027-01-01\n    name: x\n", "utf-8")
    with pytest.raises(CalendarError, match="outside years"):
        BusinessCalendar.load(path)


def test_an_uncovered_year_is_logged(
    calendar: BusinessCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot.tickets.calendar"):
        assert calendar.is_business_day(date(2031, 1, 1))  # a Wednesday; holidays unknown
    assert "2031" in caplog.text
