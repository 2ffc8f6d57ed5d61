"""Every table, imported in one place for Alembic and create_all."""

from bot.catalogue.models import (
    CatalogueEntry,
    CatalogueQuestion,
    CatalogueRevision,
    ServiceFeedback,
)
from bot.conversations.models import Citizen, Conversation
from bot.db import Base
from bot.handoff.models import ConversationNote, Handoff
from bot.line.models import InboundEvent, OutboundMessage
from bot.staff.models import AuditEntry, Staff, StaffToken
from bot.teaching.models import NluExample, NluModel
from bot.tickets.models import Media, NluCorrection, Ticket, TicketEvent, TicketFollower

__all__ = [
    "AuditEntry",
    "Base",
    "CatalogueEntry",
    "CatalogueQuestion",
    "CatalogueRevision",
    "Citizen",
    "Conversation",
    "ConversationNote",
    "Handoff",
    "InboundEvent",
    "NluCorrection",
    "NluExample",
    "NluModel",
    "Media",
    "OutboundMessage",
    "ServiceFeedback",
    "Staff",
    "StaffToken",
    "Ticket",
    "TicketEvent",
    "TicketFollower",
]
