"""Who may see what: the agency-scope rule, in Python and in SQL.

An agency sees its own tickets and hand-offs and those of its generated sub-agencies
(``bma-district-1004`` is under ``bma``). A scope is the list of agency ids a staff member
works for; ``None`` means every agency (admins without an agency). This is access
control: every list, lookup, report and stream goes through these two functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import false, or_, true
from sqlalchemy.sql.elements import ColumnElement

Scope = Sequence[str] | None


def of(role: str, agency_id: str | None) -> list[str] | None:
    """The scope of a staff member with this role and agency."""
    if role == "admin" and agency_id is None:
        return None
    return [agency_id] if agency_id else []


def visible(agency_id: str, scope: Scope) -> bool:
    """Whether `agency_id` (a ticket's agency, a hand-off's queue) is within `scope`."""
    if scope is None:
        return True
    return any(agency_id == a or agency_id.startswith(f"{a}-") for a in scope)


def clause(column: Any, scope: Scope) -> ColumnElement[bool]:
    """`visible` as SQL over `column`; an empty scope matches nothing."""
    if scope is None:
        return true()
    if not scope:
        return false()
    return or_(*[or_(column == a, column.startswith(f"{a}-", autoescape=True)) for a in scope])
