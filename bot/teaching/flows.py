"""What admins do to teach the bot, each one function run inside `Context.transaction`:
label what citizens wrote, correct or remove an example, export them. Each is audited;
domain errors (bot.errors) say what cannot be done."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.errors import Conflict, Invalid, NotFound
from bot.staff.auth import StaffUser, audit
from bot.teaching import inbox, training
from bot.teaching.models import NluExample, NluModel


def label(
    session: Session, staff: StaffUser, items: list[tuple[str, str]], source: str
) -> list[NluExample]:
    """Labels texts (typically a whole inbox group) with intents (LabelError, Invalid)."""
    stored = inbox.label(session, items, staff_id=staff.id, source=source)
    audit(session, staff, "nlu_label", None, count=len(stored))
    return stored


def _example(session: Session, example_id: int) -> NluExample:
    example = session.get(NluExample, example_id)
    if example is None or not example.active:
        raise NotFound("example not found")
    return example


def change_example(
    session: Session, staff: StaffUser, example_id: int, *, intent: str | None, text: str | None
) -> NluExample:
    """Corrects an example's text or intent."""
    example = _example(session, example_id)
    if intent is not None:
        if intent not in inbox.label_intents():
            raise Invalid("unknown intent")
        example.intent = intent
    if text is not None:
        example.text = " ".join(text.split())
    try:
        session.flush()
    except IntegrityError:
        raise Conflict("that text is already an example") from None
    audit(session, staff, "nlu_example_change", str(example.id))
    return example


def remove_example(session: Session, staff: StaffUser, example_id: int) -> None:
    """Removes an example from the next training (kept, inactive, for the record)."""
    example = _example(session, example_id)
    example.active = False
    audit(session, staff, "nlu_example_remove", str(example.id))


def export(session: Session, staff: StaffUser) -> str:
    """The admins' examples as Rasa YAML (what training merges with data/nlu), audited."""
    audit(session, staff, "nlu_export", None)
    return inbox.to_rasa_yaml(inbox.examples(session))


def models(session: Session, model_id: int | None = None) -> list[dict[str, Any]]:
    """The registry, newest first (or one model), each against the active model."""
    active = session.scalar(select(NluModel).where(NluModel.active.is_(True)))
    query = select(NluModel).order_by(NluModel.id.desc())
    if model_id is not None:
        query = query.where(NluModel.id == model_id)
    return [
        training.model_out(m, active.metrics if active else None)
        for m in session.scalars(query.limit(100))
    ]


def previous_model(session: Session) -> int:
    """The model active before the current one (Conflict when there is none)."""
    found = training.previous_model(session)
    if found is None:
        raise Conflict("no earlier model", detail={"message": "no earlier model"})
    return found.id
