"""SQL pieces of the reports that work on PostgreSQL and SQLite alike: Bangkok dates
and agency scopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from bot.tickets.calendar import BANGKOK


def bangkok_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC moments where Bangkok date `start` begins and the day after `end` begins."""
    lo = datetime.combine(start, time(), BANGKOK).astimezone(UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), BANGKOK).astimezone(UTC)
    return lo, hi


class bangkok_date(FunctionElement[date]):  # noqa: N801 - reads like the SQL function it is
    """The Bangkok calendar date of a UTC timestamp column, in SQL."""

    type = Date()
    name = "bangkok_date"
    inherit_cache = True


@compiles(bangkok_date, "postgresql")
def _bangkok_date_pg(element: bangkok_date, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Bangkok' AS DATE)"


@compiles(bangkok_date, "sqlite")
def _bangkok_date_sqlite(element: bangkok_date, compiler: Any, **kw: Any) -> str:
    # SQLite keeps UTC text without a zone; Thailand has had no daylight saving since 1920.
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(bangkok_date)
def _bangkok_date_other(element: bangkok_date, compiler: Any, **kw: Any) -> str:
    raise CompileError("bangkok_date() is written for PostgreSQL and SQLite only")


def as_date(value: date | str) -> date:
    """A date column's value as a date, whichever driver (SQLite's date() returns text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)
