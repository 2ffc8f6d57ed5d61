"""The NLU inbox: what citizens wrote that the model did not understand well, grouped.

Messages come from stored webhook events with the model's reading (`nlu_intent`,
`nlu_confidence`, `nlu_guess`, written by the worker from the desk channel): those that
fell back, were read as out of scope, or were understood with low confidence — and the
descriptions of tickets whose complaint type an agent corrected (`nlu_correction`: the
agent's type is the pre-filled label, shown first), and the questions the service
catalogue could not answer (`catalogue_question`). Similar texts are grouped
(RapidFuzz on a normalised form) with counts, newest first, the model's best guess
pre-filled. Texts already labelled are left out. Admins label a group's texts with one
intent; the labels become `nlu_example` rows, exported as Rasa YAML and merged into the
training data at train time.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Any

import yaml
from rapidfuzz import fuzz
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.catalogue.models import CatalogueQuestion
from bot.config import ROOT
from bot.db import aware, utcnow
from bot.errors import Invalid
from bot.line.models import InboundEvent
from bot.teaching.models import NluExample
from bot.tickets.models import NluCorrection, Ticket

NOT_UNDERSTOOD = ("nlu_fallback", "out_of_scope")
# Intents given by buttons only (payloads), never labels for typed text.
_PAYLOAD_ONLY = re.compile(
    r"^(complaint_(change_type|set_type|edit|edit_field|confirm|photos_done)"
    r"|rate_ticket|reopen_ticket|privacy_erase_confirm|report_problem|share_.*)$"
)
SIMILAR = 85  # RapidFuzz token-set ratio at which two texts are one group
MAX_TEXT = 1000  # the longest example a label may carry
_REPEATS = re.compile(r"(.)\1{2,}")
_SPACES = re.compile(r"\s+")


@cache
def label_intents() -> tuple[str, ...]:
    """Intents an admin may give typed text: the domain's, minus button-only ones."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    names = [str(i if isinstance(i, str) else next(iter(i))) for i in domain["intents"]]
    return tuple(n for n in names if not _PAYLOAD_ONLY.match(n))


def normalise(text: str) -> str:
    """The form texts are compared in: NFC, lower case, one space, long repeats cut
    (ดังมากกกกก and ดังมากก are the same message)."""
    text = unicodedata.normalize("NFC", text).casefold().strip()
    return _SPACES.sub(" ", _REPEATS.sub(r"\1\1", text))


@dataclass
class Group:
    """Similar messages: how often, the distinct texts, and the model's guess."""

    key: str
    count: int = 0
    texts: list[str] = field(default_factory=list)
    guesses: Counter[str] = field(default_factory=Counter)
    intents: Counter[str] = field(default_factory=Counter)
    confidences: list[float] = field(default_factory=list)
    last_seen: datetime | None = None
    source: str = "message"  # or "ticket": an agent corrected these tickets' types
    tickets: list[str] = field(default_factory=list)

    def add(
        self,
        text: str,
        *,
        guess: str | None,
        read_as: str | None,
        confidence: float | None,
        seen: datetime,
    ) -> None:
        """One more message of the group."""
        self.count += 1
        if text not in self.texts:
            self.texts.append(text)
        if guess:
            self.guesses[guess] += 1
        if read_as:
            self.intents[read_as] += 1
        if confidence is not None:
            self.confidences.append(confidence)
        if self.last_seen is None or seen > self.last_seen:
            self.last_seen = seen

    def out(self) -> dict[str, Any]:
        """The group as the API shows it."""
        guess = self.guesses.most_common(1)[0][0] if self.guesses else None
        return {
            "key": self.key,
            "source": self.source,
            "ticket_ids": self.tickets[:20],
            "count": self.count,
            "texts": self.texts[:20],
            "guess": guess,
            "read_as": self.intents.most_common(1)[0][0] if self.intents else None,
            "confidence": round(sum(self.confidences) / len(self.confidences), 3)
            if self.confidences
            else None,
            "last_seen": self.last_seen.isoformat() if self.last_seen else None,
        }


def inbox(
    session: Session,
    *,
    max_confidence: float = 0.5,
    days: int = 30,
    limit_messages: int = 5000,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Groups of unlabelled messages the model was unsure about, most frequent first."""
    since = (now or utcnow()) - timedelta(days=days)
    rows = session.execute(
        select(
            InboundEvent.payload,
            InboundEvent.nlu_intent,
            InboundEvent.nlu_confidence,
            InboundEvent.nlu_guess,
            InboundEvent.received_at,
        )
        .where(
            InboundEvent.event_type == "message",
            InboundEvent.message_type == "text",
            InboundEvent.nlu_intent.is_not(None),
            InboundEvent.received_at >= since,
            or_(
                InboundEvent.nlu_intent.in_(NOT_UNDERSTOOD),
                InboundEvent.nlu_confidence < max_confidence,
            ),
        )
        .order_by(InboundEvent.id.desc())
        .limit(limit_messages)
    ).all()
    labelled = {normalise(t) for t in session.scalars(select(NluExample.text))}
    corrected = _corrections(session, since, labelled) + _unanswered(session, since, labelled)
    groups: list[Group] = []
    for row in rows:
        text = str(((row.payload or {}).get("message") or {}).get("text") or "").strip()
        key = normalise(text)
        if not key or key.startswith(("/", "／")) or key in labelled:
            continue
        _group_for(groups, key).add(
            text,
            guess=row.nlu_guess,
            read_as=row.nlu_intent,
            confidence=None if row.nlu_confidence is None else float(row.nlu_confidence),
            seen=aware(row.received_at),
        )
    groups.sort(key=lambda g: (-g.count, -(g.last_seen.timestamp() if g.last_seen else 0)))
    return [g.out() for g in corrected + groups]


def _group_for(groups: list[Group], key: str, source: str = "message") -> Group:
    """The group a normalised text belongs to (a new one when none is similar enough)."""
    for group in groups:
        if group.key == key or fuzz.token_set_ratio(group.key, key) >= SIMILAR:
            return group
    group = Group(key=key, source=source)
    groups.append(group)
    return group


def _corrections(session: Session, since: datetime, labelled: set[str]) -> list[Group]:
    """Tickets whose type an agent corrected: the description, labelled with the current
    type, read as what it was filed as (a ticket corrected twice counts once)."""
    rows = session.execute(
        select(
            NluCorrection.ticket_id,
            NluCorrection.from_type,
            NluCorrection.to_type,
            NluCorrection.created_at,
            Ticket.description,
            Ticket.complaint_type,
        )
        .join(Ticket, Ticket.id == NluCorrection.ticket_id)
        .where(NluCorrection.created_at >= since)
        .order_by(NluCorrection.id.desc())
    ).all()
    latest: dict[str, Any] = {}
    filed_as: dict[str, str] = {}  # what the ticket was before any correction
    for row in rows:  # newest first
        latest.setdefault(row.ticket_id, row)
        filed_as[row.ticket_id] = row.from_type
    groups: list[Group] = []
    for ticket_id, row in latest.items():
        text = _SPACES.sub(" ", row.description or "").strip()[:MAX_TEXT]
        key = normalise(text)
        if not key or key in labelled:
            continue
        group = _group_for(groups, key, source="ticket")
        group.add(
            text,
            guess=row.complaint_type,
            read_as=filed_as[ticket_id],
            confidence=None,
            seen=aware(row.created_at),
        )
        group.tickets.append(ticket_id)
    groups.sort(key=lambda g: -(g.last_seen.timestamp() if g.last_seen else 0))
    return groups


def _unanswered(session: Session, since: datetime, labelled: set[str]) -> list[Group]:
    """Questions the service catalogue had no confident answer for: a service or a name
    for it may be missing (the admin adds it in the catalogue editor), or the question
    was not about a service at all (the admin labels it)."""
    groups: list[Group] = []
    for row in session.scalars(
        select(CatalogueQuestion)
        .where(CatalogueQuestion.created_at >= since)
        .order_by(CatalogueQuestion.id.desc())
        .limit(2000)
    ):
        key = normalise(row.text)
        if not key or key in labelled:
            continue
        _group_for(groups, key, source="catalogue").add(
            row.text,
            guess="service_lookup",
            read_as="service_lookup",
            confidence=None,
            seen=aware(row.created_at),
        )
    groups.sort(key=lambda g: (-g.count, -(g.last_seen.timestamp() if g.last_seen else 0)))
    return groups


class LabelError(Invalid, ValueError):
    """A label the desk cannot take (unknown intent, empty text)."""


def clean_text(text: str) -> str:
    """An example's text as stored: NFC, whitespace runs as one space, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def taught_by(session: Session, citizen_id: int) -> list[NluExample]:
    """Examples labelled from the inbox whose text is one of this citizen's messages.

    They are copies of what the citizen wrote: a PDPA request shows and erases them.
    """
    payloads = session.scalars(
        select(InboundEvent.payload).where(
            InboundEvent.citizen_id == citizen_id, InboundEvent.event_type == "message"
        )
    )
    texts = {
        clean_text(str(message.get("text")))
        for payload in payloads
        if isinstance(message := (payload or {}).get("message"), dict) and message.get("text")
    }
    texts.discard("")
    if not texts:
        return []
    query = select(NluExample).where(NluExample.source == "inbox", NluExample.text.in_(texts))
    return list(session.scalars(query))


def label(
    session: Session, items: Iterable[tuple[str, str]], *, staff_id: int | None, source: str
) -> list[NluExample]:
    """Stores (text, intent) labels; a text labelled again takes the new intent."""
    allowed = set(label_intents())
    stored = []
    for text, intent in items:
        text = clean_text(text)
        if not text or len(text) > 1000:
            raise LabelError("text must be 1–1000 characters")
        if intent not in allowed:
            raise LabelError(f"unknown intent {intent!r}")
        example = session.scalar(select(NluExample).where(NluExample.text == text))
        if example is None:
            example = NluExample(text=text, intent=intent, source=source, created_by=staff_id)
            session.add(example)
        else:
            example.intent = intent
            example.active = True
        stored.append(example)
    session.flush()
    return stored


def examples(session: Session, intent: str | None = None) -> Sequence[NluExample]:
    """Active examples (of one intent), newest first."""
    query = select(NluExample).where(NluExample.active.is_(True))
    if intent:
        query = query.where(NluExample.intent == intent)
    return session.scalars(query.order_by(NluExample.id.desc())).all()


class _Literal(str):
    """A YAML block scalar (`examples: |`), as Rasa writes its training data."""


def _literal(dumper: yaml.SafeDumper, value: _Literal) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")


yaml.SafeDumper.add_representer(_Literal, _literal)


def to_rasa_yaml(rows: Iterable[NluExample]) -> str:
    """The examples as Rasa 3 NLU training data."""
    by_intent: dict[str, list[str]] = {}
    for row in rows:
        by_intent.setdefault(row.intent, []).append(row.text)
    nlu = [
        {"intent": intent, "examples": _Literal("".join(f"- {t}\n" for t in sorted(texts)))}
        for intent, texts in sorted(by_intent.items())
    ]
    header = (
        "# Examples admins labelled in the console (bot/teaching/inbox.py); merged at train time.\n"
    )
    return header + yaml.safe_dump(
        {"version": "3.1", "nlu": nlu}, allow_unicode=True, sort_keys=False, width=1000
    )
