"""Every table, imported in one place for Alembic and create_all."""

from bot.conversations.models import Citizen, Conversation
from bot.db import Base
from bot.line.models import InboundEvent, OutboundMessage

__all__ = ["Base", "Citizen", "Conversation", "InboundEvent", "OutboundMessage"]
