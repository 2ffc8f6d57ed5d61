"""Training examples admins add or approve (merged into data/ at train time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow
from bot.staff import models as _staff  # noqa: F401 - FK target


class NluExample(Base):
    """One labelled message: its text and intent (out_of_scope included).

    `source`: inbox (labelled from what citizens wrote), console (typed by an admin) or
    ticket (a complaint type an agent corrected). A text has one intent: relabelling
    updates the row. Removed examples stay (`active` false) so the change is audited and
    the next training leaves them out.
    """

    __tablename__ = "nlu_example"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text, unique=True)
    intent: Mapped[str] = mapped_column(String(60), index=True)
    source: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
