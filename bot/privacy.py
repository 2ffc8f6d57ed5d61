"""A citizen's PDPA rights: see what the desk holds about them, and have it erased.

Erasure keeps what agencies need to finish the work and nothing that identifies the
person: tickets stay (their description and place are the problem itself) but lose the
link to the citizen, the contact phone, any phone or national id number typed into the
description ("ติดต่อกลับ 081…") and the consent to share identity; messages lose
their content; photos not attached to a ticket are deleted; the citizen's record keeps
only an anonymous id (rows elsewhere point at it); an open hand-off is closed and staff
notes about the person deleted; messages an admin labelled to teach the bot are deleted
from the examples. Rasa's own record of the chat is
deleted by the worker once the turn is over (bot.worker.handler.FORGET).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from bot.catalogue.models import CatalogueQuestion, ServiceFeedback
from bot.conversations.models import Conversation, ConversationHandler
from bot.conversations.service import citizen_by_line_id
from bot.db import utcnow
from bot.handoff.models import OPEN_STATUSES, ConversationNote, Handoff
from bot.line.models import InboundEvent, OutboundMessage
from bot.staff.models import AuditEntry
from bot.teaching import inbox
from bot.tickets import service as tickets_service
from bot.tickets.models import Media, Ticket, TicketEvent, TicketFollower
from nlu.entities.extract import extract_entities
from nlu.entities.parsers import NATIONAL_ID, PHONE

ERASED_NUMBER = "[ลบแล้ว]"


def without_numbers(text: str) -> str:
    """`text` with every phone and national id number replaced by ERASED_NUMBER: a
    description keeps the problem, not the number the citizen left to be called at."""
    # The desk's entity extraction: spans into `text` itself, overlaps already dropped.
    found = extract_entities(text, entity_types=(PHONE, NATIONAL_ID))
    out, at = [], 0
    for match in sorted(found, key=lambda m: m.start):
        out += [text[at : match.start], ERASED_NUMBER]
        at = match.end
    return "".join([*out, text[at:]])


def erase_citizen(session: Session, line_user_id: str) -> dict[str, int]:
    """Erases the citizen's personal data; counts of what was touched."""
    citizen = citizen_by_line_id(session, line_user_id)
    if citizen is None:
        return {"tickets": 0, "messages": 0, "photos": 0, "examples": 0}
    owned = list(session.scalars(select(Ticket).where(Ticket.citizen_id == citizen.id)))
    # Copies of their messages that admins labelled to teach the bot: gone with the
    # messages (the next training leaves them out; tickets' descriptions stay, as tickets do).
    taught = inbox.taught_by(session, citizen.id)
    for example in taught:
        session.delete(example)
    for ticket in owned:
        ticket.citizen_id = None
        ticket.contact_phone = None
        ticket.share_identity = False
        ticket.description = without_numbers(ticket.description)
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                kind="anonymised",
                actor_type="citizen",
                public=False,
                note="ผู้แจ้งขอลบข้อมูลส่วนบุคคล (PDPA): เรื่องนี้ไม่ระบุตัวผู้แจ้งแล้ว",
            )
        )
    session.execute(delete(TicketFollower).where(TicketFollower.citizen_id == citizen.id))
    # Their votes on service cards, and the notes they typed about what was wrong.
    session.execute(delete(ServiceFeedback).where(ServiceFeedback.citizen_id == citizen.id))
    session.execute(delete(CatalogueQuestion).where(CatalogueQuestion.citizen_id == citizen.id))
    loose = select(Media.id).where(Media.citizen_id == citizen.id, Media.ticket_id.is_(None))
    photos = len(session.scalars(loose).all())
    session.execute(delete(Media).where(Media.id.in_(loose)))
    session.execute(update(Media).where(Media.citizen_id == citizen.id).values(citizen_id=None))
    events = list(
        session.scalars(
            select(InboundEvent).where(
                (InboundEvent.citizen_id == citizen.id)
                | (InboundEvent.line_user_id == line_user_id)
            )
        )
    )
    for event in events:
        payload = event.payload or {}
        event.payload = {
            "type": payload.get("type"),
            "webhookEventId": payload.get("webhookEventId"),
            "timestamp": payload.get("timestamp"),
            "erased": True,
        }
        event.line_user_id = None
        event.reply_token = None
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.line_user_id == line_user_id)
        .values(messages=[], line_user_id="erased")
    )
    # Hand-offs: an open one is closed (nobody can be answered any more), staff notes
    # about the person are deleted; the hand-off rows stay as anonymous counts.
    conversations = select(Conversation.id).where(Conversation.citizen_id == citizen.id)
    session.execute(
        delete(ConversationNote).where(ConversationNote.conversation_id.in_(conversations))
    )
    session.execute(
        update(Handoff)
        .where(Handoff.citizen_id == citizen.id, Handoff.status.in_(OPEN_STATUSES))
        .values(status="closed", ended_at=utcnow(), ended_by="citizen")
    )
    session.execute(
        update(Conversation)
        .where(Conversation.citizen_id == citizen.id)
        .values(handler=ConversationHandler.BOT)
    )
    citizen.line_user_id = f"erased:{uuid.uuid4().hex}"
    citizen.display_name = None
    citizen.following = False
    session.add(
        AuditEntry(
            staff_id=None,
            action="citizen_erased",
            target=None,
            detail={"tickets": len(owned), "messages": len(events), "examples": len(taught)},
        )
    )
    session.flush()
    return {
        "tickets": len(owned),
        "messages": len(events),
        "photos": photos,
        "examples": len(taught),
    }


def summary(session: Session, line_user_id: str) -> dict[str, Any]:
    """What the desk holds about a citizen (for their PDPA request)."""
    citizen = citizen_by_line_id(session, line_user_id)
    if citizen is None:
        return {
            "known": False,
            "tickets": [],
            "phones": [],
            "messages": 0,
            "photos": 0,
            "handoffs": 0,
            "examples": 0,
            "feedback": 0,
        }
    tickets = tickets_service.recent_for_citizen(session, line_user_id, limit=100)
    phones = sorted({t.contact_phone for t in tickets if t.contact_phone})
    messages = session.scalar(
        select(func.count()).where(
            InboundEvent.citizen_id == citizen.id, InboundEvent.event_type == "message"
        )
    )
    photo_count = session.scalar(select(func.count()).where(Media.citizen_id == citizen.id))
    handoffs = session.scalar(select(func.count()).where(Handoff.citizen_id == citizen.id))
    return {
        "known": True,
        "display_name": citizen.display_name,
        "tickets": tickets,
        "phones": phones,
        "messages": messages or 0,
        "photos": photo_count or 0,
        "handoffs": handoffs or 0,
        "examples": len(inbox.taught_by(session, citizen.id)),
        "feedback": session.scalar(
            select(func.count()).where(ServiceFeedback.citizen_id == citizen.id)
        )
        or 0,
        "since": citizen.created_at,
    }
