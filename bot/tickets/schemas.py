"""What the staff API and the console answer about tickets: response models and the
functions that fill them (views of every domain use these, never each other's)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.db import aware, utcnow
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


class TransitionIn(BaseModel):
    """A status change with the public note citizens will read."""

    status: str = Field(description="one of " + ", ".join(STATUSES))
    note: str | None = Field(default=None, max_length=1000)


class TypeIn(BaseModel):
    """A corrected complaint type."""

    complaint_type: str = Field(description="one of " + ", ".join(COMPLAINT_TYPES))


class NoteIn(BaseModel):
    """A private staff note."""

    body: str = Field(min_length=1, max_length=5000)


def agency_name(routes: Router, agency_id: str) -> str:
    try:
        return routes.agency(agency_id).name
    except KeyError:
        return agency_id


def out(ticket: Ticket, routes: Router) -> dict[str, Any]:
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
    return {
        **out(ticket, routes),
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
