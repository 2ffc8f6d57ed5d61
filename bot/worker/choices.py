"""Typed instead of tapped: a citizen who answers the desk's buttons by typing gets what
the button would have done.

Citizens, the elderly most, often type "5", "ห้าดาว", "⭐⭐⭐⭐" or "ยังไม่ได้รับการแก้ไขเลย"
instead of tapping the chips the desk offered. The desk's own pushes (a resolution notice
asking for a rating) are not part of Rasa's conversation, so Rasa cannot know what such a
message answers. The worker does: before a typed message goes to Rasa, it is compared
with the buttons of the last message the desk sent this citizen, and when it plainly
picks one of them, that button's payload goes to Rasa instead (the transcript keeps
what was typed).

- a button whose words were typed (spaces, case and particles aside) is that button;
- a rating chip is picked by a number 1–5 (Thai digits too), a Thai number word, or
  stars;
- "not solved" is recognised in the citizen's own words, also later: the citizen's
  latest resolved ticket within the reopen window is reopened by text;
- right after staff ended a chat (the desk's last message asks to rate it), a rating
  rates the chat and "not finished yet" is answered with the offer of a person again
  (`AGAIN`), since the citizen is still answering the agent.

A button may be the gateway's own (`action=...`, bot/worker/handler.py's
POSTBACK_ACTIONS): the worker then does what its tap does, never sends it to Rasa.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.models import Citizen
from bot.conversations.words import plain
from bot.db import aware, utcnow
from bot.line.buttons import Button, buttons_in
from bot.line.models import OutboundMessage
from bot.tickets.cards import payload
from bot.tickets.models import Ticket, TicketFollower

RATE = "/rate_ticket"
REOPEN = "/reopen_ticket"
# The gateway's chips after staff end a chat (bot.handoff.texts.ended), and what a
# citizen who is not done with the agent gets (the offer of a person again).
HANDOFF_RATE = "action=rate_handoff"
AGAIN = "action=handoff_again"
# Only the buttons of a recent message are answered by typing: after this, the words
# are read afresh (a rating notice is answered within days, not weeks).
FRESH = timedelta(days=14)

_PARTICLES = re.compile(r"(ค่ะ|คะ|ครับ|คับ|จ้ะ|จ้า|นะ|น่ะ|ค่า+|ฮะ|เลย|ด้วย)+$")
_SPACE = re.compile(r"[\s\u200b.!,?~]+")
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_NUMBER_WORDS = {"หนึ่ง": 1, "สอง": 2, "สาม": 3, "สี่": 4, "ห้า": 5}
_STARS = re.compile(r"[⭐★🌟]")
# A rating, whole: "5", "5 คะแนน", "ให้ 4", "ห้าดาว", "4/5", "⭐⭐⭐".
_RATING = re.compile(r"^(ให้)?\s*(?P<n>[1-5]|หนึ่ง|สอง|สาม|สี่|ห้า)\s*(ดาว|คะแนน|แต้ม|/\s*5|เต็ม\s*5)?$")
# "Not solved" as citizens write it (after the particles are dropped).
NOT_SOLVED = re.compile(
    r"(ยัง\s*ไม่\s*(ได้\s*)?(รับ\s*การ\s*)?(แก้|ซ่อม|เสร็จ|เรียบร้อย|มา|ดำเนินการ|ทำ|เก็บ)"
    r"|ยัง\s*(เหมือน\s*เดิม|อยู่\s*เหมือน\s*เดิม|ไม่\s*หาย)"
    r"|ไม่\s*(ได้\s*)?(รับ\s*การ\s*)?แก้\s*(ไข|เลย)"
    r"|ไม่\s*เห็น\s*(มี\s*ใคร\s*)?มา\s*(แก้|ซ่อม|ทำ)"
    r"|ปัญหา\s*ยัง\s*อยู่)"
)


# "Not finished yet", said to the agent who just ended the chat.
UNFINISHED = re.compile(
    r"ยัง\s*ไม่\s*(จบ|ครบ|ชัดเจน|เข้าใจ|ได้\s*(คำตอบ|ข้อมูล|ความช่วยเหลือ|เรื่อง))"
    r"|ยัง\s*(มี\s*(คำถาม|เรื่อง)|สงสัย|ต้องการ\s*(ความช่วยเหลือ|คุย))"
    r"|ไม่\s*ได้\s*ช่วย\s*อะไร"
)


# A longer message is about the citizen's own report only when it says so ("the one I
# reported"); otherwise it may well be a new complaint ("another road is not fixed").
ABOUT_MINE = re.compile(r"แจ้งไว้|เรื่องเดิม|เรื่องที่แจ้ง|ที่แจ้งไป")


def rating_in(text: str) -> int | None:
    """A 1–5 rating if the whole message is one ("5", "ห้าดาว", "⭐⭐⭐⭐"), else None."""
    stars = _STARS.findall(text)
    if stars and not _STARS.sub("", _SPACE.sub("", text)):
        return len(stars) if 1 <= len(stars) <= 5 else None
    found = _RATING.match(_PARTICLES.sub("", _SPACE.sub(" ", text.translate(_THAI_DIGITS)).strip()))
    if found is None:
        return None
    number = found.group("n")
    return _NUMBER_WORDS.get(number) or int(number)


def not_solved(text: str) -> bool:
    """Whether the citizen says the problem is still there."""
    return bool(NOT_SOLVED.search(text)) and len(text) <= 200


def chosen(text: str, buttons: list[Button]) -> str | None:
    """The payload of the button the typed `text` picks, or None."""
    said = plain(text)
    if not said:
        return None
    for button in buttons:
        if any(plain(w) == said for w in button.words):
            return button.data
    rating = rating_in(text)
    if rating is not None:
        for button in buttons:
            if _score(button.data) == str(rating):
                return button.data
    if not_solved(text):
        return next((b.data for b in buttons if b.data.startswith(REOPEN)), None)
    return None


def _score(data: str) -> str | None:
    """The 1–5 a rating chip gives (a ticket's or a staff chat's), else None."""
    if data.startswith(RATE):
        return _entity(data, "rating")
    if data.startswith(HANDOFF_RATE):
        return _field(data, "score")
    return None


def _field(data: str, name: str) -> str | None:
    values = parse_qs(data).get(name)
    return values[0] if values else None


def ended_handoff(buttons: list[Button]) -> int | None:
    """The staff chat whose end the desk's message asks to rate, if it does."""
    for button in buttons:
        if button.data.startswith(HANDOFF_RATE):
            raw = _field(button.data, "h") or ""
            return int(raw) if raw.isdigit() else None
    return None


def unfinished(text: str) -> bool:
    """Whether the citizen says their matter is not done ("ยังไม่เสร็จเลย")."""
    return len(text) <= 200 and bool(NOT_SOLVED.search(text) or UNFINISHED.search(text))


def _entity(data: str, name: str) -> str | None:
    _, _, raw = data.partition("{")
    try:
        value = json.loads("{" + raw).get(name) if raw else None
    except ValueError:
        return None
    return None if value is None else str(value)


@dataclass(frozen=True)
class Typed:
    """What a typed message picks (`payload`: a Rasa payload "/..." or a gateway
    postback "action=..."; None: read the words), and the staff chat whose end the
    desk's last message asked to rate (`ended_handoff`), if the citizen is answering it."""

    payload: str | None = None
    ended_handoff: int | None = None


def _last_buttons(session: Session, line_user_id: str) -> list[Button]:
    """The buttons of the last message the desk sent this citizen, if it is recent."""
    last = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.line_user_id == line_user_id)
        .order_by(OutboundMessage.id.desc())
        .limit(1)
    ).first()
    if last is None or utcnow() - aware(last.created_at) > FRESH:
        return []
    return buttons_in(last.messages or [])


def typed_choice(
    session: Session, line_user_id: str, text: str, *, reopen_window: timedelta
) -> str | None:
    """The payload to send Rasa instead of what the citizen typed, or None (read it)."""
    return read_typed(session, line_user_id, text, reopen_window=reopen_window).payload


def read_typed(
    session: Session, line_user_id: str, text: str, *, reopen_window: timedelta
) -> Typed:
    """What the citizen's typed message picks, and whether it answers a chat's end."""
    if len(text) > 200:
        return Typed()
    buttons = _last_buttons(session, line_user_id)
    ended = ended_handoff(buttons)
    picked = chosen(text, buttons)
    if picked is not None:
        return Typed(picked, ended)
    if ended is not None and unfinished(text):
        # Still talking to the agent who just left: offer a person again, rather than
        # reopen a ticket or read it afresh.
        return Typed(f"{AGAIN}&h={ended}", ended)
    return Typed(_reopened(session, line_user_id, text, reopen_window), ended)


def _reopened(
    session: Session, line_user_id: str, text: str, reopen_window: timedelta
) -> str | None:
    """The reopen payload of the citizen's latest resolved ticket, when the words say
    it is not solved and the window is still open."""
    if not not_solved(text) or not (len(plain(text)) <= 40 or ABOUT_MINE.search(text)):
        return None
    # "Still not fixed", later: the citizen's latest resolved ticket, within the window.
    latest = session.scalars(
        select(Ticket)
        .join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
        .join(Citizen, Citizen.id == TicketFollower.citizen_id)
        .where(Citizen.line_user_id == line_user_id, Ticket.status == "resolved")
        .order_by(Ticket.resolved_at.desc())
        .limit(1)
    ).first()
    if latest is None or latest.resolved_at is None:
        return None
    if utcnow() - aware(latest.resolved_at) > reopen_window:
        return None
    return payload("reopen_ticket", ticket_id=latest.id)


def choice_for(
    sessions: sessionmaker[Session], line_user_id: str, text: str, *, reopen_window: timedelta
) -> Typed:
    """`read_typed` in a session of its own (the worker's step)."""
    with sessions() as session:
        return read_typed(session, line_user_id, text, reopen_window=reopen_window)
