"""PDPA requests in the chat: what the desk holds about me, and erase it."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.desk import shared_desk
from bot import privacy
from bot.tickets import cards
from bot.tickets.lifecycle import STATUS_TH

# The custom payload that has the worker delete Rasa's record of this chat afterwards.
FORGET = {"desk": "forget_conversation"}
# Not erasing after all (actions/short_answers.py answers it).
ERASE_CANCEL = '/cancel{"step":"erasure"}'
# Words that ask for erasure, not only to see what is held ("ลบข้อมูลของฉัน", "ขอถอนความ
# ยินยอม", "ไม่ยินยอมให้เก็บข้อมูลแล้ว"): the summary is followed by the confirmation.
ERASE_WORDS = re.compile(r"ลบ|ถอน|ไม่ยินยอม|ไม่อนุญาต|ไม่ให้เก็บ|delete|erase|remove", re.I)
ERASE_QUESTION = (
    "ยืนยันการลบข้อมูลไหมคะ เมื่อลบแล้ว ข้อความ รูปที่ไม่ได้แนบกับเรื่อง ชื่อและเบอร์ของคุณ "
    "จะถูกลบ และคุณจะติดตามเรื่องเดิมในแชตนี้ไม่ได้อีก "
    "ส่วนเรื่องที่แจ้งไว้ หน่วยงานจะดำเนินการต่อแบบไม่ระบุตัวผู้แจ้งค่ะ"
)
ERASE_BUTTONS = [
    {"title": "ยืนยันลบข้อมูล", "payload": "/privacy_erase_confirm"},
    # Names its step: tapped even an hour later, it says what it cancels.
    {"title": "ยกเลิก", "payload": ERASE_CANCEL},
]


def _masked(phone: str) -> str:
    return phone[:3] + "-xxx-" + phone[-4:] if len(phone) >= 9 else "xxx"


class ActionPrivacyRequest(Action):
    """Shows what the desk holds about the citizen and offers erasure."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_privacy_request"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """A plain summary, then two choices."""
        desk = shared_desk()
        sender = tracker.sender_id

        def summary(session: Session) -> dict[str, Any]:
            found = privacy.summary(session, sender)
            found["ticket_lines"] = [
                f"• {t.id} {cards.type_label(t.complaint_type)} "
                f"({STATUS_TH.get(t.status, t.status)})"
                for t in found["tickets"][:10]
            ]
            return found

        held = await desk.transaction(summary)
        lines = ["ข้อมูลของคุณที่น้องเก็บไว้มีดังนี้ค่ะ"]
        if held.get("display_name"):
            lines.append(f"ชื่อใน LINE: {held['display_name']}")
        lines.append(f"ข้อความที่ส่งมา: {held['messages']} ข้อความ")
        lines.append(f"รูปภาพ: {held['photos']} รูป")
        if held.get("handoffs"):
            lines.append(f"การคุยกับเจ้าหน้าที่: {held['handoffs']} ครั้ง (ข้อความและบันทึกของเจ้าหน้าที่)")
        if held.get("feedback"):
            lines.append(f"ความเห็นของคุณต่อข้อมูลบริการ: {held['feedback']} รายการ")
        if held.get("examples"):
            lines.append(f"ข้อความของคุณที่เจ้าหน้าที่ใช้สอนให้น้องเข้าใจดีขึ้น: {held['examples']} ข้อความ")
        if held["phones"]:
            lines.append("เบอร์ติดต่อ: " + ", ".join(_masked(p) for p in held["phones"]))
        if held["ticket_lines"]:
            lines.append(f"เรื่องที่แจ้ง {len(held['tickets'])} เรื่อง:")
            lines += held["ticket_lines"]
        else:
            lines.append("เรื่องที่แจ้ง: ยังไม่มี")
        words = (tracker.latest_message or {}).get("text") or ""
        if ERASE_WORDS.search(words):
            # Asked in words to erase: what is held, then the confirmation at once.
            dispatcher.utter_message(text="\n".join(lines))
            dispatcher.utter_message(text=ERASE_QUESTION, buttons=ERASE_BUTTONS)
            return []
        lines.append(
            "ข้อมูลนี้ใช้เพื่อดำเนินเรื่องของคุณเท่านั้น หากต้องการ ขอลบข้อมูลได้เลยค่ะ "
            "เรื่องที่ส่งถึงหน่วยงานแล้วจะยังดำเนินการต่อ แต่จะไม่มีชื่อหรือเบอร์ของคุณอีก"
        )
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[
                {"title": "ขอลบข้อมูลของฉัน", "payload": "/privacy_erase"},
                {"title": "ไม่ต้องการ", "payload": "/deny"},
            ],
        )
        return []


class ActionPrivacyEraseAsk(Action):
    """Erasure is final: ask once more, saying exactly what happens."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_privacy_erase_ask"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The confirmation question."""
        dispatcher.utter_message(text=ERASE_QUESTION, buttons=ERASE_BUTTONS)
        return []


class ActionPrivacyErase(Action):
    """Erases, confirms, and has the chat record itself deleted."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_privacy_erase"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """One transaction; then Rasa's tracker is dropped by the worker."""
        desk = shared_desk()
        sender = tracker.sender_id
        await desk.transaction(lambda session: privacy.erase_citizen(session, sender))
        dispatcher.utter_message(
            text=(
                "ลบข้อมูลของคุณเรียบร้อยแล้วค่ะ ขอบคุณที่ไว้วางใจนะคะ หากต้องการแจ้งเรื่องหรือสอบถามอีก ทักมาได้ตลอดค่ะ"
            )
        )
        dispatcher.utter_message(json_message=FORGET)
        return []
