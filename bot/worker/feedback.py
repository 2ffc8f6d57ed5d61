"""Citizens' answers to "ข้อมูลนี้ช่วยได้ไหม" on a service card (gateway postbacks
`action=service_feedback&s=<service>&v=helpful|unhelpful|wrong`), and the short note a
citizen may then type about what was wrong. Counted per entry for its owner agency
(bot.catalogue.store); the note is held like any message (erased with the citizen)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue import store
from bot.catalogue.models import ServiceFeedback
from bot.conversations import words as words_
from bot.conversations.service import citizen_by_line_id
from bot.db import aware, unit_of_work, utcnow

# How long after "ข้อมูลไม่ถูกต้อง" the citizen's next message is read as their note.
NOTE_WINDOW = timedelta(minutes=10)
MAX_NOTE = 500
# Besides "ยกเลิก" and its variants (bot.conversations.words): "no note".
SKIP = frozenset({"ข้าม", "ไม่มี", "ไม่เป็นไร", "skip"})
THANKS = {
    "helpful": "ขอบคุณที่บอกน้องนะคะ 😊 ถ้ามีเรื่องอื่นให้ช่วย พิมพ์มาได้เลยค่ะ",
    "unhelpful": (
        "ขอบคุณที่บอกน้องนะคะ น้องจะนำไปปรับปรุงข้อมูลค่ะ "
        'ถ้าต้องการสอบถามเพิ่ม พิมพ์คำถามใหม่ หรือกด "คุยกับเจ้าหน้าที่" ได้เลยนะคะ'
    ),
    "wrong": (
        "ขอบคุณที่แจ้งนะคะ น้องส่งให้หน่วยงานที่ดูแลข้อมูลตรวจสอบแล้วค่ะ "
        'ถ้าสะดวก ช่วยพิมพ์บอกสั้น ๆ ว่าส่วนไหนไม่ถูกต้อง (หรือพิมพ์ "ข้าม") นะคะ'
    ),
}
NOTED = "ขอบคุณค่ะ น้องส่งรายละเอียดให้หน่วยงานที่ดูแลข้อมูลแล้ว 🙏"
SKIPPED = "ได้เลยค่ะ ขอบคุณที่แจ้งนะคะ"
UNKNOWN = "ขออภัยค่ะ บริการนี้ไม่มีในรายการแล้ว รบกวนพิมพ์ถามน้องอีกครั้งนะคะ"


def record(sessions: sessionmaker[Session], line_user_id: str, service_id: str, vote: str) -> str:
    """Stores a tap; what to answer."""
    if vote not in store.VOTES:
        return UNKNOWN
    with unit_of_work(sessions) as session:
        found = store.entry(session, "service", service_id[:60])
        citizen = citizen_by_line_id(session, line_user_id)
        if found is None or found.retired or citizen is None:
            return UNKNOWN
        saved = store.record_feedback(session, citizen.id, found.key, vote)
        if vote == "wrong":
            saved.note = ""  # "" = a note is awaited (None: none asked for)
    return THANKS[vote]


def take_note(sessions: sessionmaker[Session], line_user_id: str, text: str) -> str | None:
    """The citizen's text as the awaited note of their last "ข้อมูลไม่ถูกต้อง"; what to
    answer, or None when no note is awaited (the text is a message like any other)."""
    with unit_of_work(sessions) as session:
        citizen = citizen_by_line_id(session, line_user_id)
        if citizen is None:
            return None
        return note(session, citizen.id, text)


def note(session: Session, citizen_id: int, text: str) -> str | None:
    """`take_note` in the caller's transaction, for a citizen already found."""
    awaited = _awaited(session, citizen_id)
    if awaited is None:
        return None
    words = text.strip()
    if words_.is_cancel(words) or words_.plain(words) in SKIP:
        awaited.note = None
        return SKIPPED
    awaited.note = words[:MAX_NOTE]
    return NOTED


def _awaited(session: Session, citizen_id: int) -> ServiceFeedback | None:
    found = session.scalar(
        select(ServiceFeedback)
        .where(ServiceFeedback.citizen_id == citizen_id, ServiceFeedback.note == "")
        .order_by(ServiceFeedback.created_at.desc())
        .limit(1)
    )
    if found is None:
        return None
    if utcnow() - aware(found.created_at) > NOTE_WINDOW:
        found.note = None  # too late: the citizen has moved on
        return None
    return found
