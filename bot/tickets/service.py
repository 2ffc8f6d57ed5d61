"""Tickets as a domain: filing, finding, status changes with their notices, +1s, ratings.

Functions take an open `Session` and leave the commit to the caller, so a change and
the notices it causes (outbox rows in `outbound_message`) are one transaction: a status
never changes without its notice, and no notice goes out for a change rolled back.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from haversine import Unit, haversine
from rapidfuzz import fuzz
from sqlalchemy import ColumnElement, Select, false, func, or_, select
from sqlalchemy.orm import Session

from bot import live
from bot.conversations.models import Citizen
from bot.conversations.service import ensure_citizen
from bot.db import aware, utcnow
from bot.errors import Conflict, Invalid
from bot.line import outbox
from bot.line.outbox import Notice
from bot.staff import scope as scopes
from bot.staff.models import Staff
from bot.tickets import cards
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.lifecycle import (
    COMPLAINT_TYPES,
    OPEN_STATUSES,
    STATUS_TH,
    Actor,
    RetypeError,
    TransitionError,
    check_transition,
    new_ticket_id,
)
from bot.tickets.models import Media, NluCorrection, Ticket, TicketEvent, TicketFollower
from bot.tickets.routing import Route, Router


@dataclass
class Intake:
    """What the intake conversation gathered, ready to become a ticket."""

    intake_key: str
    line_user_id: str
    complaint_type: str
    description: str
    province: str | None = None
    district: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    contact_phone: str | None = None
    share_identity: bool = False
    media_ids: list[str] = field(default_factory=list)


def create_ticket(
    session: Session,
    intake: Intake,
    *,
    router: Router,
    calendar: BusinessCalendar,
    now: datetime | None = None,
    route: Route | None = None,
) -> tuple[Ticket, bool]:
    """Files the intake as a ticket; (ticket, created). The same intake key twice files once.

    `route` overrides the router (a message left for staff goes to the hand-off queue).
    """
    existing = session.scalars(select(Ticket).where(Ticket.intake_key == intake.intake_key)).first()
    if existing is not None:
        return existing, False
    now = now or utcnow()
    citizen = ensure_citizen(session, intake.line_user_id)
    route = route or router.route(intake.complaint_type, intake.province, intake.district)
    for _ in range(5):  # 40 random bits: a collision is rare, but never fatal
        ticket_id = new_ticket_id()
        if session.get(Ticket, ticket_id) is None:
            break
    ticket = Ticket(
        id=ticket_id,
        intake_key=intake.intake_key,
        citizen_id=citizen.id,
        complaint_type=intake.complaint_type,
        description=intake.description,
        status="received",
        agency_id=route.agency.id,
        routing_rule=route.rule,
        province=intake.province,
        district=intake.district,
        latitude=intake.latitude,
        longitude=intake.longitude,
        address=intake.address,
        contact_phone=intake.contact_phone,
        share_identity=intake.share_identity,
        due_at=calendar.add_business_days(now, route.due_business_days),
        created_at=now,
        updated_at=now,
    )
    ticket.search_text = searchable(ticket.id, intake.description, intake.address)
    session.add(ticket)
    session.flush()
    session.add(TicketFollower(ticket_id=ticket.id, citizen_id=citizen.id, role="owner"))
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="created",
            to_status="received",
            actor_type="citizen",
            note=f"ส่งเรื่องให้ {route.agency.name}",
            created_at=now,
        )
    )
    if intake.media_ids:
        for media in session.scalars(
            select(Media).where(Media.id.in_(intake.media_ids), Media.citizen_id == citizen.id)
        ):
            media.ticket_id = ticket.id
    session.flush()
    changed(session, ticket, "created")
    return ticket, True


def searchable(*parts: str | None) -> str:
    """The search column's text: the parts given, one per line."""
    return "\n".join(p for p in parts if p)


def changed(session: Session, ticket: Ticket, what: str, *also: str) -> None:
    """Tells the consoles of the ticket's agency (and of `also`, agencies it left) about the
    change once it commits: an open ticket list refreshes itself (bot.console.tickets)."""
    event = {"type": "ticket", "id": ticket.id, "status": ticket.status, "change": what}
    live.after_commit(session, {ticket.agency_id, *also}, event)


def filed_intake(
    session: Session,
    line_user_id: str,
    intake_key: str | None,
    *,
    within: timedelta = timedelta(hours=1),
) -> str | None:
    """The ticket a button of an intake form refers to: the one that intake filed, or
    (a button that does not name its intake) the citizen's ticket filed within `within`;
    None when the intake filed nothing."""
    query = (
        select(Ticket.id)
        .join(Citizen, Citizen.id == Ticket.citizen_id)
        .where(Citizen.line_user_id == line_user_id)
    )
    if intake_key:
        query = query.where(Ticket.intake_key == intake_key)
    else:
        query = query.where(Ticket.created_at >= utcnow() - within)
    return session.scalars(query.order_by(Ticket.created_at.desc()).limit(1)).first()


def citizen_chose(session: Session, ticket: Ticket, model_reading: str) -> None:
    """Asked which complaint they meant, the citizen chose another than the model's
    reading: their words with their type become a label in the NLU inbox."""
    session.add(
        NluCorrection(
            ticket_id=ticket.id,
            from_type=model_reading,
            to_type=ticket.complaint_type,
            staff_id=None,
        )
    )
    session.flush()


def for_citizen(session: Session, ticket_id: str, line_user_id: str) -> Ticket | None:
    """The ticket if this citizen filed or joined it; None otherwise (even if it exists)."""
    return session.scalars(
        select(Ticket)
        .join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
        .join(Citizen, Citizen.id == TicketFollower.citizen_id)
        .where(Ticket.id == ticket_id, Citizen.line_user_id == line_user_id)
    ).first()


def filed_by(session: Session, ticket_ids: Sequence[str], line_user_id: str) -> set[str]:
    """Which of the tickets this citizen filed (rather than joined with a +1)."""
    if not ticket_ids:
        return set()
    rows = session.scalars(
        select(TicketFollower.ticket_id)
        .join(Citizen, Citizen.id == TicketFollower.citizen_id)
        .where(
            TicketFollower.ticket_id.in_(ticket_ids),
            TicketFollower.role == "owner",
            Citizen.line_user_id == line_user_id,
        )
    )
    return set(rows)


def recent_for_citizen(session: Session, line_user_id: str, limit: int = 10) -> list[Ticket]:
    """The citizen's tickets (filed or joined), newest first."""
    return list(
        session.scalars(
            select(Ticket)
            .join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
            .join(Citizen, Citizen.id == TicketFollower.citizen_id)
            .where(Citizen.line_user_id == line_user_id)
            .order_by(Ticket.created_at.desc())
            .limit(limit)
        )
    )


def timeline(session: Session, ticket_id: str, *, public_only: bool = True) -> list[TicketEvent]:
    """The ticket's history, oldest first."""
    query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    if public_only:
        query = query.where(TicketEvent.public.is_(True))
    return list(session.scalars(query.order_by(TicketEvent.created_at, TicketEvent.id)))


def photos(session: Session, ticket_id: str) -> list[Media]:
    """The ticket's photos, in the order they were sent."""
    return list(
        session.scalars(
            select(Media).where(Media.ticket_id == ticket_id).order_by(Media.created_at)
        )
    )


def transition(
    session: Session,
    ticket: Ticket,
    target: str,
    *,
    actor: Actor,
    staff_id: int | None = None,
    note: str | None = None,
    reopen_window: timedelta | None = None,
    now: datetime | None = None,
    quiet_for: str | None = None,
) -> list[Notice]:
    """Moves the ticket to `target`, records who/when/note, and queues the notices.

    Raises TransitionError when the table (or the reopen window) does not allow it.
    `quiet_for`: a LINE user id told in the conversation itself (no push for them).
    """
    now = now or utcnow()
    current = ticket.status
    check_transition(current, target, actor)
    reopening = current == "resolved" and target == "in_progress"
    if reopening and actor == "citizen" and reopen_window is not None:
        resolved_at = aware(ticket.resolved_at or ticket.updated_at)
        if now - resolved_at > reopen_window:
            raise TransitionError("พ้นระยะเวลาที่เปิดเรื่องใหม่ได้แล้ว")
    ticket.status = target
    ticket.updated_at = now
    if target == "resolved":
        ticket.resolved_at = now
    if target in {"closed", "rejected", "duplicate"}:
        ticket.closed_at = now
    if reopening:
        ticket.reopen_count += 1
        ticket.resolved_at = None
    event = TicketEvent(
        ticket_id=ticket.id,
        kind="reopened" if reopening else "status",
        from_status=current,
        to_status=target,
        actor_type=actor,
        staff_id=staff_id,
        note=note,
        created_at=now,
    )
    session.add(event)
    session.flush()
    changed(session, ticket, "status")
    return notify_followers(session, ticket, event, quiet_for=quiet_for)


def retype(
    session: Session,
    ticket: Ticket,
    complaint_type: str,
    *,
    router: Router,
    staff_id: int | None,
    now: datetime | None = None,
) -> TicketEvent:
    """An agent corrects the ticket's complaint type; an open ticket is routed again.

    The deadline stays (the citizen has waited since filing). The change is on the
    citizen's timeline, and the citizen's words with the corrected type become a label
    in the NLU inbox (`nlu_correction`). Raises TransitionError for an unknown or
    unchanged type.
    """
    if complaint_type not in COMPLAINT_TYPES:
        raise RetypeError(f"ไม่รู้จักประเภทเรื่อง “{complaint_type}”")
    if complaint_type == ticket.complaint_type:
        raise RetypeError("เรื่องนี้เป็นประเภทนี้อยู่แล้ว")
    now = now or utcnow()
    before = ticket.complaint_type
    agency_before = ticket.agency_id
    ticket.complaint_type = complaint_type
    ticket.updated_at = now
    if ticket.status in OPEN_STATUSES:
        route = router.route(complaint_type, ticket.province, ticket.district)
        ticket.agency_id = route.agency.id
        ticket.routing_rule = route.rule
    try:
        note = f"{cards.type_label(complaint_type)} · ดูแลโดย {router.agency(ticket.agency_id).name}"
    except KeyError:
        note = cards.type_label(complaint_type)
    event = TicketEvent(
        ticket_id=ticket.id,
        kind="retyped",
        actor_type="staff",
        staff_id=staff_id,
        note=note,
        created_at=now,
    )
    session.add(event)
    session.add(
        NluCorrection(
            ticket_id=ticket.id,
            from_type=before,
            to_type=complaint_type,
            staff_id=staff_id,
            created_at=now,
        )
    )
    session.flush()
    changed(session, ticket, "type", agency_before)
    return event


def add_note(session: Session, ticket: Ticket, *, staff_id: int, body: str) -> TicketEvent:
    """A private staff note (never shown to citizens)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        kind="note",
        actor_type="staff",
        staff_id=staff_id,
        public=False,
        note=body,
    )
    session.add(event)
    ticket.updated_at = utcnow()
    ticket.search_text = searchable(ticket.search_text, body)
    session.flush()
    changed(session, ticket, "note")
    return event


# Who works it, who has it, one of many --------------------------------------------


def colleagues(session: Session, ticket: Ticket) -> list[Staff]:
    """Active staff who may work the ticket: those whose scope includes its agency."""
    staff = session.scalars(
        select(Staff).where(Staff.active.is_(True)).order_by(Staff.display_name, Staff.id)
    )
    return [
        s
        for s in staff
        if s.role != "admin" or s.agency_id is not None
        if scopes.visible(ticket.agency_id, scopes.of(s.role, s.agency_id))
    ]


def assign(
    session: Session,
    ticket: Ticket,
    assignee_id: int | None,
    *,
    staff_id: int,
    now: datetime | None = None,
) -> TicketEvent | None:
    """Gives the ticket to a colleague who may work it (None: nobody); an internal entry
    of the timeline. Invalid for someone outside the ticket's agency; None when unchanged."""
    if ticket.assignee_id == assignee_id:
        return None
    name = "ไม่มีผู้รับผิดชอบ"
    if assignee_id is not None:
        assignee = next((s for s in colleagues(session, ticket) if s.id == assignee_id), None)
        if assignee is None:
            raise Invalid("มอบหมายได้เฉพาะเจ้าหน้าที่ของหน่วยงานที่รับผิดชอบเรื่องนี้")
        name = assignee.display_name
    now = now or utcnow()
    ticket.assignee_id = assignee_id
    ticket.assigned_at = now if assignee_id is not None else None
    ticket.updated_at = now
    event = TicketEvent(
        ticket_id=ticket.id,
        kind="assigned",
        actor_type="staff",
        staff_id=staff_id,
        public=False,
        note=f"ผู้รับผิดชอบ: {name}",
        created_at=now,
    )
    session.add(event)
    session.flush()
    changed(session, ticket, "assignee")
    return event


def transfer(
    session: Session,
    ticket: Ticket,
    agency_id: str,
    reason: str,
    *,
    router: Router,
    staff_id: int,
    now: datetime | None = None,
) -> list[Notice]:
    """Sends an open ticket to another agency (it leaves the sender's list and its
    assignee); the followers are told which agency has it now, the reason stays
    internal. Invalid for an unknown agency, the same one or an empty reason; Conflict
    for a ticket no longer open."""
    reason = reason.strip()
    if not reason:
        raise Invalid("กรุณาระบุเหตุผลที่ส่งต่อ")
    if ticket.status not in OPEN_STATUSES:
        raise Conflict(f"เรื่องที่ “{STATUS_TH.get(ticket.status, ticket.status)}” แล้วส่งต่อไม่ได้")
    try:
        agency = router.agency(agency_id)
    except KeyError:
        raise Invalid(f"ไม่รู้จักหน่วยงาน “{agency_id[:80]}”") from None
    if agency.id == ticket.agency_id:
        raise Invalid("เรื่องนี้อยู่ที่หน่วยงานนี้แล้ว")
    now = now or utcnow()
    before = ticket.agency_id
    ticket.agency_id = agency.id
    ticket.routing_rule = "transfer"
    ticket.assignee_id = None
    ticket.assigned_at = None
    ticket.updated_at = now
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="note",
            actor_type="staff",
            staff_id=staff_id,
            public=False,
            note=f"เหตุผลที่ส่งต่อ: {reason}",
            created_at=now,
        )
    )
    ticket.search_text = searchable(ticket.search_text, reason)
    event = TicketEvent(
        ticket_id=ticket.id,
        kind="transferred",
        actor_type="staff",
        staff_id=staff_id,
        note=f"ส่งต่อเรื่องให้ {agency.name} ดูแลแล้วค่ะ",
        created_at=now,
    )
    session.add(event)
    session.flush()
    changed(session, ticket, "agency", before)
    return notify_followers(session, ticket, event)


def merge(
    session: Session,
    duplicate: Ticket,
    survivor: Ticket,
    *,
    staff_id: int,
    now: datetime | None = None,
) -> list[Notice]:
    """Merges `duplicate` into `survivor`: the duplicate is closed as such, its followers
    follow the survivor from now on, and each is told the number to follow. Invalid for
    the same ticket, Conflict when either is no longer open."""
    if duplicate.id == survivor.id:
        raise Invalid("รวมเรื่องเข้ากับตัวเองไม่ได้")
    for ticket in (duplicate, survivor):
        if ticket.status not in OPEN_STATUSES:
            raise Conflict(
                f"เรื่อง {ticket.id} “{STATUS_TH.get(ticket.status, ticket.status)}” แล้ว "
                "รวมได้เฉพาะเรื่องที่ยังเปิดอยู่"
            )
    now = now or utcnow()
    moved = 0
    for follower in session.scalars(
        select(TicketFollower).where(TicketFollower.ticket_id == duplicate.id)
    ).all():
        if session.get(TicketFollower, (survivor.id, follower.citizen_id)) is None:
            session.add(
                TicketFollower(ticket_id=survivor.id, citizen_id=follower.citizen_id, role="joined")
            )
            moved += 1
    survivor.followers_count = (survivor.followers_count or 1) + moved
    survivor.updated_at = now
    session.add(
        TicketEvent(
            ticket_id=survivor.id,
            kind="merged",
            actor_type="staff",
            staff_id=staff_id,
            note=f"รวมเรื่อง {duplicate.id} เข้ากับเรื่องนี้ ผู้แจ้งรวม {survivor.followers_count} คน",
            created_at=now,
        )
    )
    duplicate.merged_into = survivor.id
    duplicate.assignee_id = None
    session.flush()
    changed(session, survivor, "merged")
    return transition(
        session,
        duplicate,
        "duplicate",
        actor="staff",
        staff_id=staff_id,
        note=f"เรื่องนี้รวมกับเรื่อง {survivor.id} ซึ่งแจ้งปัญหาเดียวกันค่ะ ติดตามความคืบหน้าได้ที่เรื่องนั้น",
        now=now,
    )


def nearby_open(
    session: Session,
    ticket: Ticket,
    scope: scopes.Scope,
    *,
    radius_m: float = 500,
    limit: int = 5,
) -> list[tuple[float, Ticket]]:
    """Open tickets within `scope` and `radius_m` of this one, closest first."""
    if ticket.latitude is None or ticket.longitude is None:
        return []
    dlat = radius_m / 111_320
    dlon = radius_m / (111_320 * max(0.1, math.cos(math.radians(ticket.latitude))))
    near = session.scalars(
        select(Ticket)
        .where(
            Ticket.id != ticket.id,
            Ticket.status.in_(OPEN_STATUSES),
            scopes.clause(Ticket.agency_id, scope),
            Ticket.latitude.between(ticket.latitude - dlat, ticket.latitude + dlat),
            Ticket.longitude.between(ticket.longitude - dlon, ticket.longitude + dlon),
        )
        .limit(200)
    ).all()
    here = (ticket.latitude, ticket.longitude)
    scored = [
        (haversine(here, (t.latitude, t.longitude), unit=Unit.METERS), t)
        for t in near
        if t.latitude is not None and t.longitude is not None
    ]
    return sorted((p for p in scored if p[0] <= radius_m), key=lambda p: p[0])[:limit]


def notify_followers(
    session: Session, ticket: Ticket, event: TicketEvent, *, quiet_for: str | None = None
) -> list[Notice]:
    """Outbox rows telling every following citizen (but `quiet_for`) about `event`."""
    followers = session.execute(
        select(Citizen.id, Citizen.line_user_id)
        .join(TicketFollower, TicketFollower.citizen_id == Citizen.id)
        .where(TicketFollower.ticket_id == ticket.id, Citizen.following.is_(True))
        .order_by(TicketFollower.joined_at)
    ).all()
    notices = []
    for citizen_id, line_user_id in followers:
        if line_user_id == quiet_for:
            continue
        message = cards.status_notice(ticket, event)
        notices.append(
            outbox.enqueue(
                session,
                citizen_id=citizen_id,
                line_user_id=line_user_id,
                messages=[message],
                purpose="ticket_update",
            )
        )
    return notices


# +1: the same problem reported again ------------------------------------------------


def find_similar(
    session: Session,
    *,
    complaint_type: str,
    latitude: float | None,
    longitude: float | None,
    district: str | None,
    description: str,
    line_user_id: str,
    window: timedelta,
    radius_m: float,
    min_similarity: float,
    now: datetime | None = None,
) -> Ticket | None:
    """An open ticket of the same type near this place, or with a similar text in the
    same district, filed within `window` by someone else; the closest one."""
    now = now or utcnow()
    query = select(Ticket).where(
        Ticket.complaint_type == complaint_type,
        Ticket.status.in_(OPEN_STATUSES),
        Ticket.created_at >= now - window,
        ~Ticket.id.in_(
            select(TicketFollower.ticket_id)
            .join(Citizen, Citizen.id == TicketFollower.citizen_id)
            .where(Citizen.line_user_id == line_user_id)
        ),
    )
    if latitude is not None and longitude is not None:
        # A bounding box in SQL, the exact distance in Python.
        dlat = radius_m / 111_320
        dlon = radius_m / (111_320 * max(0.1, math.cos(math.radians(latitude))))
        near = session.scalars(
            query.where(
                Ticket.latitude.between(latitude - dlat, latitude + dlat),
                Ticket.longitude.between(longitude - dlon, longitude + dlon),
            )
        ).all()
        scored = [
            (haversine((latitude, longitude), (t.latitude, t.longitude), unit=Unit.METERS), t)
            for t in near
            if t.latitude is not None and t.longitude is not None
        ]
        scored = [(d, t) for d, t in scored if d <= radius_m]
        if scored:
            return min(scored, key=lambda pair: pair[0])[1]
    if district:
        # Text similarity is for reports without a map point on either side.
        same_district = query.where(Ticket.district == district)
        if latitude is not None:
            same_district = same_district.where(Ticket.latitude.is_(None))
        candidates = session.scalars(same_district.limit(200)).all()
        best: tuple[float, Ticket] | None = None
        for ticket in candidates:
            score = fuzz.token_set_ratio(_words(description), _words(ticket.description)) / 100
            if score >= min_similarity and (best is None or score > best[0]):
                best = (score, ticket)
        if best is not None:
            return best[1]
    return None


def _words(text: str) -> str:
    from pythainlp.tokenize import word_tokenize

    return " ".join(w for w in word_tokenize(text[:1000], keep_whitespace=False) if w.strip())


def join(session: Session, ticket: Ticket, line_user_id: str) -> bool:
    """Adds the citizen as a follower (+1); False if they already follow it."""
    citizen = ensure_citizen(session, line_user_id)
    if session.get(TicketFollower, (ticket.id, citizen.id)) is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket.id, citizen_id=citizen.id, role="joined"))
    ticket.followers_count = (ticket.followers_count or 1) + 1
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="joined",
            actor_type="citizen",
            note=f"มีผู้ร่วมแจ้งเรื่องนี้ รวม {ticket.followers_count} คน",
        )
    )
    session.flush()
    changed(session, ticket, "joined")
    return True


# Satisfaction ----------------------------------------------------------------------


def rate(session: Session, ticket: Ticket, rating: int, *, now: datetime | None = None) -> None:
    """Stores the citizen's 1–5 rating of a resolved (or closed) ticket."""
    if not 1 <= rating <= 5:
        raise ValueError("rating must be 1..5")
    if ticket.status not in {"resolved", "closed"}:
        raise TransitionError("only a resolved ticket can be rated")
    now = now or utcnow()
    ticket.rating = rating
    ticket.rated_at = now
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            kind="rated",
            actor_type="citizen",
            public=False,
            note=f"{rating}/5",
            created_at=now,
        )
    )
    session.flush()


def comment(session: Session, ticket: Ticket, text: str) -> None:
    """The optional comment that goes with the rating."""
    ticket.rating_comment = text.strip()[:2000] or None
    session.flush()


def close_expired(
    session: Session, *, window: timedelta, now: datetime | None = None, limit: int = 200
) -> list[Notice]:
    """Closes resolved tickets nobody reopened within the window."""
    now = now or utcnow()
    notices: list[Notice] = []
    expired = session.scalars(
        select(Ticket)
        .where(Ticket.status == "resolved", Ticket.resolved_at < now - window)
        .limit(limit)
    ).all()
    for ticket in expired:
        notices += transition(session, ticket, "closed", actor="system", now=now)
    return notices


# Staff-side queries -----------------------------------------------------------------


@dataclass(frozen=True)
class TicketFilter:
    """Filters of the staff ticket list (the console's and the REST API's)."""

    agency_ids: Sequence[str] | None = None  # None: every agency (admins)
    ids: Sequence[str] = ()  # only these tickets (the ones ticked in a list)
    statuses: Sequence[str] = ()
    complaint_types: Sequence[str] = ()
    province: str | None = None
    district: str | None = None
    query: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    updated_from: datetime | None = None
    updated_to: datetime | None = None
    overdue: bool | None = None
    # SLA state of open tickets: on_time, due_soon (due before `due_soon_before`, one
    # business day ahead, computed by the caller's calendar) or overdue.
    sla: str | None = None
    due_soon_before: datetime | None = None
    min_followers: int | None = None
    # A staff id, or UNASSIGNED for tickets nobody works yet.
    assignee: int | None = None
    has_photos: bool | None = None


UNASSIGNED = 0  # `TicketFilter.assignee` for "nobody" (staff ids start at 1)
SORTS = {
    "created": "created_at",
    "updated": "updated_at",
    "due": "due_at",
    "followers": "followers_count",
}


# What a ticket id can look like: anything else asked for matches no ticket.
_TICKET_ID = re.compile(r"[A-Z0-9-]{1,20}")


def is_ticket_id(text: str) -> bool:
    """Whether `text` (upper-cased) can be a ticket's id at all (not NUL, not 500 chars)."""
    return _TICKET_ID.fullmatch(text) is not None


def _plain(text: str) -> str:
    """A filter's text as the database can compare it (PostgreSQL refuses NUL)."""
    return text.replace("\x00", "")


def filtered(filters: TicketFilter, *, with_status: bool = True) -> Select[Ticket]:
    """The tickets matching every filter (the status ones unless `with_status` is
    false: the counts by status). Values that cannot match (a malformed id, NUL bytes)
    match nothing rather than fail."""
    query = select(Ticket)
    if filters.agency_ids is not None:
        query = query.where(scopes.clause(Ticket.agency_id, filters.agency_ids))
    if filters.ids:
        wanted = [i for i in filters.ids if is_ticket_id(i)]
        query = query.where(Ticket.id.in_(wanted) if wanted else false())
    if with_status and filters.statuses:
        query = query.where(Ticket.status.in_(filters.statuses))
    if filters.complaint_types:
        query = query.where(Ticket.complaint_type.in_(filters.complaint_types))
    if filters.province:
        query = query.where(Ticket.province == _plain(filters.province))
    if filters.district:
        query = query.where(Ticket.district == _plain(filters.district))
    if filters.query:
        # Thai is written without spaces: a substring match finds a word anywhere.
        query = query.where(matching(_plain(filters.query)))
    if filters.assignee is not None:
        query = query.where(
            Ticket.assignee_id.is_(None)
            if filters.assignee == UNASSIGNED
            else Ticket.assignee_id == filters.assignee
        )
    if filters.has_photos is not None:
        photographed = select(Media.id).where(Media.ticket_id == Ticket.id).exists()
        query = query.where(photographed if filters.has_photos else ~photographed)
    for column, start, end in (
        (Ticket.created_at, filters.created_from, filters.created_to),
        (Ticket.updated_at, filters.updated_from, filters.updated_to),
    ):
        if start:
            query = query.where(column >= start)
        if end:
            query = query.where(column < end)
    now = utcnow()
    late = Ticket.status.in_(OPEN_STATUSES) & (Ticket.due_at < now)
    if filters.overdue is not None:
        query = query.where(late if filters.overdue else ~late)
    if filters.sla == "overdue":
        query = query.where(late)
    elif filters.sla in {"due_soon", "on_time"}:
        soon = filters.due_soon_before or now
        query = query.where(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at >= now)
        query = query.where(
            Ticket.due_at < soon if filters.sla == "due_soon" else Ticket.due_at >= soon
        )
    if filters.min_followers:
        query = query.where(Ticket.followers_count >= filters.min_followers)
    return query


def matching(text: str) -> ColumnElement[bool]:
    """Tickets whose id, description, address or a staff note holds `text` (Thai is
    written without spaces: any part of a word matches). One column (`search_text`), so
    on PostgreSQL one trigram index answers it (migration 0007)."""
    return Ticket.search_text.ilike(f"%{_escape_like(text)}%", escape="\\")


def _escape_like(text: str) -> str:
    """`text` matched literally by LIKE: % and _ typed in a search are not wildcards."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_tickets(
    session: Session, filters: TicketFilter, *, offset: int, limit: int
) -> tuple[list[Ticket], int]:
    """A page of tickets (newest first) and the total matching."""
    query = filtered(filters)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Ticket.created_at.desc(), Ticket.id).offset(offset).limit(limit)
    )
    return list(page), total


def browse_tickets(
    session: Session,
    filters: TicketFilter,
    *,
    sort: str = "created",
    after: tuple[datetime | int, str] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[Ticket]:
    """Keyset pagination: up to `limit` tickets after the (sort value, id) of the last
    one shown. Newest first for created and updated, soonest first for the due date, the
    most +1s first for followers."""
    column = getattr(Ticket, SORTS[sort])
    descending = sort != "due"
    query = filtered(filters)
    if after is not None:
        value, ticket_id = after
        beyond = column < value if descending else column > value
        query = query.where(or_(beyond, (column == value) & (Ticket.id > ticket_id)))
    order = column.desc() if descending else column.asc()
    return list(session.scalars(query.order_by(order, Ticket.id).offset(offset).limit(limit)))


def count_tickets(session: Session, filters: TicketFilter) -> int:
    """How many tickets match."""
    return session.scalar(select(func.count()).select_from(filtered(filters).subquery())) or 0


def cursor(ticket: Ticket, sort: str) -> str:
    """The opaque "after" of a page ending at `ticket` (browse_tickets' keyset)."""
    value = getattr(ticket, SORTS[sort])
    shown = str(value) if isinstance(value, int) else aware(value).isoformat()
    return base64.urlsafe_b64encode(f"{shown}|{ticket.id}".encode()).decode()


def after_cursor(given: str, sort: str) -> tuple[datetime | int, str]:
    """The keyset position of a `cursor`; ValueError for one the desk did not make."""
    try:
        value, ticket_id = base64.urlsafe_b64decode(given.encode()).decode().split("|", 1)
        return (int(value) if sort == "followers" else datetime.fromisoformat(value)), ticket_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor of this list") from None


def status_counts(session: Session, filters: TicketFilter) -> dict[str, int]:
    """How many tickets of each status match every filter but the status ones."""
    matching = filtered(filters, with_status=False).subquery()
    rows = session.execute(
        select(matching.c.status, func.count()).group_by(matching.c.status)
    ).all()
    return {str(status): int(count) for status, count in rows}
