"""Training examples admins add or approve (merged into data/ at train time)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, utcnow
from bot.staff import models as _staff  # noqa: F401 - FK target
from bot.tickets import models as _tickets  # noqa: F401 - FK target


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


class NluModel(Base):
    """One trained model in the registry: its file, data fingerprint, metrics, who and when.

    status: queued → training → evaluating → ready (or failed); one ready model at a time
    is `active` (what Rasa runs). `metrics` is the held-out (and Traffy, when present)
    report of nlu/evaluate.py; `progress` the current stage, and `log_tail` the last lines
    of the training log, for the console and `desk nlu train`.
    """

    __tablename__ = "nlu_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    stage: Mapped[str | None] = mapped_column(String(80))
    path: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    examples: Mapped[int] = mapped_column(default=0)
    metrics: Mapped[dict[str, Any] | None]
    log_tail: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    trained_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=False)
    activated_at: Mapped[datetime | None]
    activated_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    activation_note: Mapped[str | None] = mapped_column(Text)
