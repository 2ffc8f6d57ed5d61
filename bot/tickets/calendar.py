"""Business days and office hours in Bangkok, skipping weekends and Thai holidays.

The holidays are data (data/holidays.yml, checked yearly against the Cabinet's list).
Every moment going in must be timezone-aware; every moment coming out is in UTC. Days are
counted on Bangkok local dates, whatever the input's timezone.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.config import ROOT

log = logging.getLogger(__name__)

BANGKOK = ZoneInfo("Asia/Bangkok")
UTC = ZoneInfo("UTC")
HOLIDAYS_PATH = ROOT / "data" / "holidays.yml"
# A ticket due on a day is due by the end of government office hours (08:30–16:30).
END_OF_BUSINESS_DAY = time(16, 30)
# Stops a loop over dates from running forever on impossible data (no business day in a year).
_MAX_SCAN_DAYS = 366


class CalendarError(ValueError):
    """data/holidays.yml is wrong; the message names the file and the entry."""


class _Holiday(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    name: str = Field(min_length=1)
    note: str | None = None


class _HolidayFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    years: list[int] = Field(min_length=1)
    holidays: list[_Holiday]

    @model_validator(mode="after")
    def _dates_within_years(self) -> _HolidayFile:
        seen: set[date] = set()
        for holiday in self.holidays:
            if holiday.date.year not in self.years:
                raise ValueError(f"{holiday.date} ({holiday.name}) is outside years {self.years}")
            if holiday.date in seen:
                raise ValueError(f"{holiday.date} is listed twice")
            seen.add(holiday.date)
        return self


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {moment!r}")
    return moment


def _bangkok_date(moment: datetime) -> date:
    return _aware(moment, "moment").astimezone(BANGKOK).date()


def _at(day: date, clock: time) -> datetime:
    """`clock` on `day` in Bangkok, as UTC."""
    return datetime.combine(day, clock, tzinfo=BANGKOK).astimezone(UTC)


class BusinessCalendar:
    """Mon–Fri minus the holidays of data/holidays.yml."""

    def __init__(self, holidays: Mapping[date, str], years: Iterable[int]) -> None:
        self.holidays: Mapping[date, str] = MappingProxyType(dict(holidays))
        self.years = frozenset(years)
        self._warned: set[int] = set()

    @classmethod
    def load(cls, path: Path = HOLIDAYS_PATH) -> BusinessCalendar:
        """Reads and validates the holiday file; CalendarError names what is wrong."""
        try:
            raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise CalendarError(f"{path}: cannot read: {error}") from error
        try:
            parsed = _HolidayFile.model_validate(raw)
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}"
                for e in error.errors()
            )
            raise CalendarError(f"{path}: {details}") from error
        return cls(holidays={h.date: h.name for h in parsed.holidays}, years=parsed.years)

    def _check_covered(self, day: date) -> None:
        # Outside the listed years only weekends are known: say so once per year, loudly
        # enough that someone adds next year's holidays before due dates go wrong.
        if day.year not in self.years and day.year not in self._warned:
            self._warned.add(day.year)
            log.warning("holidays.yml has no holidays for %s; counting weekends only", day.year)

    def is_holiday(self, day: date) -> str | None:
        """The holiday's Thai name, or None when `day` is not a holiday."""
        self._check_covered(day)
        return self.holidays.get(day)

    def is_business_day(self, day: date) -> bool:
        """Monday to Friday and not a holiday."""
        return day.weekday() < 5 and self.is_holiday(day) is None

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        candidate = day
        for _ in range(_MAX_SCAN_DAYS):
            candidate += timedelta(days=1)
            if self.is_business_day(candidate):
                return candidate
        raise CalendarError(f"no business day within a year after {day}")

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The end (16:30 Bangkok, as UTC) of the `days`-th business day after start's date.

        days=0 gives the end of start's own day when that is a business day, else the end
        of the next business day.
        """
        if days < 0:
            raise ValueError(f"days must be >= 0, got {days}")
        day = _bangkok_date(start)
        if days == 0:
            if not self.is_business_day(day):
                day = self.next_business_day(day)
        for _ in range(days):
            day = self.next_business_day(day)
        return _at(day, END_OF_BUSINESS_DAY)

    def business_days_between(self, start: datetime, end: datetime) -> int:
        """Business days after start's Bangkok date up to and including end's (negative if end
        is earlier): 0 for the same day, 1 from a Friday to the next working Monday."""
        first, last = _bangkok_date(start), _bangkok_date(end)
        if last < first:
            return -self.business_days_between(end, start)
        count = 0
        day = first
        while day < last:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count


@dataclass(frozen=True)
class OfficeHours:
    """When call-centre staff are in: [open, close) Bangkok time on business days."""

    open: time
    close: time
    calendar: BusinessCalendar

    def __post_init__(self) -> None:
        if not self.open < self.close:
            raise ValueError(f"open ({self.open}) must be before close ({self.close})")

    def is_open(self, moment: datetime) -> bool:
        """True on a business day between open (inclusive) and close (exclusive), Bangkok."""
        local = _aware(moment, "moment").astimezone(BANGKOK)
        return (
            self.calendar.is_business_day(local.date()) and self.open <= local.time() < self.close
        )

    def next_open(self, moment: datetime) -> datetime:
        """The next opening as UTC; the moment itself (in UTC) when already open."""
        local = _aware(moment, "moment").astimezone(BANGKOK)
        if self.is_open(local):
            return local.astimezone(UTC)
        day = local.date()
        if self.calendar.is_business_day(day) and local.time() < self.open:
            return _at(day, self.open)
        return _at(self.calendar.next_business_day(day), self.open)
