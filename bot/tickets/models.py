"""Tickets: a citizen's complaint at an agency, its history, followers and photos."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.conversations import models as _conversations  # noqa: F401 - FK targets
from bot.db import AgencyId, Base, utcnow
from bot.staff import models as _staff  # noqa: F401 - FK target of ticket_event.staff_id


class Ticket(Base):
    """One complaint. Its id (`DS-` + 8 random Crockford base-32 characters) is public.

    `citizen_id` is the filer; it becomes NULL when the citizen has their data erased
    (the ticket stays with the agency, anonymised). `share_identity` is the citizen's
    consent to pass their personal data to the agency: without it staff never see who
    filed (anonymous corruption reports rely on this).
    """

    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_agency_status", "agency_id", "status"),
        Index("ix_ticket_type_created", "complaint_type", "created_at"),
        Index("ix_ticket_agency_created", "agency_id", "created_at"),
        Index("ix_ticket_status_due", "status", "due_at"),
        # The workbench's sorts: a page of the newest (or soonest due) is read in index
        # order, stopping after 50 matches, instead of sorting the whole scope.
        Index("ix_ticket_created", "created_at"),
        Index("ix_ticket_updated", "updated_at"),
        Index("ix_ticket_due", "due_at"),
        # Tickets near a point (+1 matching, the ticket page's neighbours): a box in SQL.
        Index("ix_ticket_latitude_longitude", "latitude", "longitude"),
    )

    id: Mapped[str] = mapped_column(String(11), primary_key=True)
    # The intake conversation it came from: a repeated confirmation finds this ticket.
    intake_key: Mapped[str] = mapped_column(String(64), unique=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="SET NULL"), index=True
    )
    complaint_type: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="received", index=True)
    agency_id: Mapped[str] = mapped_column(AgencyId)
    routing_rule: Mapped[str] = mapped_column(String(80))
    province: Mapped[str | None] = mapped_column(String(100))
    district: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    share_identity: Mapped[bool] = mapped_column(default=False)
    followers_count: Mapped[int] = mapped_column(default=1)
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0)
    rating: Mapped[int | None]
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
    # The officer working it (None: unassigned); staff leaving keep the ticket unassigned.
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    assigned_at: Mapped[datetime | None]
    # What the workbench's search reads: the id, description, address and staff notes in
    # one column (kept by bot.tickets.service), so one trigram index answers a search.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    # A duplicate merged into another ticket: its followers follow the survivor.
    merged_into: Mapped[str | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), index=True
    )


class TicketEvent(Base):
    """One entry of a ticket's history: a status change, a note, a +1, a rating.

    `public` entries (with their `note`) are shown to citizens on the status card;
    private ones are staff notes.
    """

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor_type: Mapped[str] = mapped_column(String(10))  # citizen, staff, system
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    public: Mapped[bool] = mapped_column(default=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TicketFollower(Base):
    """A citizen told about a ticket's changes: its filer and everyone who joined (+1)."""

    __tablename__ = "ticket_follower"

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True
    )
    citizen_id: Mapped[int] = mapped_column(
        ForeignKey("citizen.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(10))  # owner, joined
    joined_at: Mapped[datetime] = mapped_column(default=utcnow)


class Media(Base):
    """A photo a citizen sent, downloaded from LINE's content API when it arrived.

    Kept in the database (bounded by size limits) so every gateway process can serve it
    and a backup holds it; metadata is stripped before storing.
    """

    __tablename__ = "media"
    __table_args__ = (UniqueConstraint("line_message_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    line_message_id: Mapped[str] = mapped_column(String(64))
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizen.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[str | None] = mapped_column(
        ForeignKey("ticket.id", ondelete="SET NULL"), index=True
    )
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NluCorrection(Base):
    """A ticket's complaint type differs from the model's reading: an agent corrected it
    (`staff_id`), or the citizen, asked which one they meant, chose it (no staff).

    Recorded by the tickets domain, read by the NLU inbox (bot.teaching.inbox) as a label:
    the ticket's description (what the citizen wrote) with the
    type the agent chose. The text is read from the ticket, never copied, so a ticket
    deleted or anonymised takes its text out of the inbox with it.
    """

    __tablename__ = "nlu_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    from_type: Mapped[str] = mapped_column(String(40))
    to_type: Mapped[str] = mapped_column(String(40))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
