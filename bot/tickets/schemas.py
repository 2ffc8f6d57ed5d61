"""What the staff API and the console answer about tickets: response models and the
functions that fill them (views of every domain use these, never each other's)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.db import aware, utcnow
from bot.staff.models import Staff
from bot.tickets import service
from bot.tickets.lifecycle import COMPLAINT_TYPES, STATUSES, allowed_targets
from bot.tickets.models import Media, Ticket
from bot.tickets.routing import Router


class TokenOut(BaseModel):
    """A bearer token for the API."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime


class TicketEventOut(BaseModel):
    """One entry of a ticket's history."""

    kind: str
    from_status: str | None
    to_status: str | None
    actor_type: str
    staff_id: int | None
    public: bool
    note: str | None
    created_at: datetime


class PhotoOut(BaseModel):
    """A photo of the ticket; `url` serves its bytes."""

    id: str
    content_type: str
    size: int
    width: int
    height: int
    url: str


class ReporterOut(BaseModel):
    """Who filed: only when they consented to share it with the agency."""

    display_name: str | None
    phone: str | None


class TicketOut(BaseModel):
    """A ticket as staff see it in lists."""

    id: str
    complaint_type: str
    status: str
    description: str
    agency_id: str
    agency_name: str
    province: str | None
    district: str | None
    latitude: float | None
    longitude: float | None
    address: str | None
    followers_count: int
    due_at: datetime
    overdue: bool
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    rating: int | None
    rating_comment: str | None
    # The statuses staff may move it to now (the lifecycle table).
    allowed_transitions: list[str]
    assignee_id: int | None = Field(description="the officer working it; null: unassigned")
    assignee_name: str | None
    merged_into: str | None = Field(description="the ticket this duplicate was merged into")


class TicketDetailOut(TicketOut):
    """One ticket with its history, photos, reporter (if shared) and next statuses."""

    events: list[TicketEventOut]
    photos: list[PhotoOut]
    reporter: ReporterOut | None


class TicketPage(BaseModel):
    """A page of tickets."""

    items: list[TicketOut]
    total: int
    page: int
    per_page: int
    counts: dict[str, int]
    next: str | None = Field(description="pass as `after` for the following page")


class TransitionIn(BaseModel):
    """A status change with the public note citizens will read."""

    status: str = Field(description="one of " + ", ".join(STATUSES))
    note: str | None = Field(default=None, max_length=1000)


class TypeIn(BaseModel):
    """A corrected complaint type."""

    complaint_type: str = Field(description="one of " + ", ".join(COMPLAINT_TYPES))


class AssigneeIn(BaseModel):
    """Who works the ticket: a staff id of its agency (your own to take it), or null."""

    assignee_id: int | None


class TransferIn(BaseModel):
    """Another agency for the ticket, and why (kept internal)."""

    agency_id: str = Field(min_length=1, max_length=80)
    reason: str = Field(min_length=1, max_length=1000)


class MergeIn(BaseModel):
    """The duplicate to merge into this ticket."""

    duplicate_id: str = Field(min_length=1, max_length=20)


class BulkIn(BaseModel):
    """One change for many tickets: a status (with the note citizens read; required for
    resolved and rejected), an assignee, or `unassign`."""

    ids: list[Annotated[str, StringConstraints(pattern=r"^\s*[A-Za-z0-9-]{1,20}\s*$")]] = Field(
        min_length=1, max_length=200, description="ticket ids, e.g. DS-2612-00042"
    )
    status: str | None = Field(default=None, description="one of " + ", ".join(STATUSES))
    note: str | None = Field(default=None, max_length=2000)
    assignee_id: int | None = None
    unassign: bool = False


class BulkOut(BaseModel):
    """The tickets changed, and the reason each other one was refused."""

    done: list[str]
    refused: dict[str, str]


class NoteIn(BaseModel):
    """A private staff note."""

    body: str = Field(min_length=1, max_length=5000)


def names_of(session: Session, staff_ids: set[int | None]) -> dict[int, str]:
    """Display names of the staff ids given (the assignees of a page, a timeline's staff)."""
    wanted = {i for i in staff_ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Staff.id, Staff.display_name).where(Staff.id.in_(wanted)))
    return {int(i): str(name) for i, name in rows}


def agency_name(routes: Router, agency_id: str) -> str:
    try:
        return routes.agency(agency_id).name
    except KeyError:
        return agency_id


def out(ticket: Ticket, routes: Router, names: Mapping[int, str] | None = None) -> dict[str, Any]:
    """A ticket as lists show it; `names` gives the assignee's name (by staff id)."""
    due = aware(ticket.due_at)
    return {
        "id": ticket.id,
        "complaint_type": ticket.complaint_type,
        "status": ticket.status,
        "description": ticket.description,
        "agency_id": ticket.agency_id,
        "agency_name": agency_name(routes, ticket.agency_id),
        "province": ticket.province,
        "district": ticket.district,
        "latitude": ticket.latitude,
        "longitude": ticket.longitude,
        "address": ticket.address,
        "followers_count": ticket.followers_count,
        "due_at": due,
        "overdue": ticket.status in {"received", "forwarded", "in_progress"} and due < utcnow(),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "resolved_at": ticket.resolved_at,
        "rating": ticket.rating,
        "rating_comment": ticket.rating_comment,
        "allowed_transitions": allowed_targets(ticket.status, "staff"),
        "assignee_id": ticket.assignee_id,
        "assignee_name": (names or {}).get(ticket.assignee_id) if ticket.assignee_id else None,
        "merged_into": ticket.merged_into,
    }


def detail(session: Session, ticket: Ticket, routes: Router) -> dict[str, Any]:
    reporter = None
    if ticket.share_identity and ticket.citizen_id is not None:
        citizen = session.get(Citizen, ticket.citizen_id)
        reporter = {
            "display_name": citizen.display_name if citizen else None,
            "phone": ticket.contact_phone,
        }
    photos = session.scalars(
        select(Media).where(Media.ticket_id == ticket.id).order_by(Media.created_at)
    )
    names: dict[int, str] = {}
    if ticket.assignee_id is not None:
        assignee = session.get(Staff, ticket.assignee_id)
        names = {assignee.id: assignee.display_name} if assignee else {}
    return {
        **out(ticket, routes, names),
        "events": [
            TicketEventOut.model_validate(e, from_attributes=True)
            for e in service.timeline(session, ticket.id, public_only=False)
        ],
        "photos": [
            {
                "id": m.id,
                "content_type": m.content_type,
                "size": m.size,
                "width": m.width,
                "height": m.height,
                "url": f"/api/tickets/{ticket.id}/photos/{m.id}",
            }
            for m in photos
        ],
        "reporter": reporter,
    }
