"""What the desk says to citizens about a hand-off, as LINE messages.

The same voice as bot/messages.py and domain.yml: polite, warm, plain Thai; the bot
calls itself น้อง and ends with ค่ะ/คะ. Buttons are postbacks the gateway itself handles
(`action=...`, never sent to Rasa), but for the offer of a person again, which asks
Rasa (`/request_human`) as the menu does.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.catalogue.cards import thai_date
from bot.db import aware
from bot.tickets.cards import RATING_CHOICES

BANGKOK = ZoneInfo("Asia/Bangkok")
WEEKDAYS = ["จันทร์", "อังคาร", "พุธ", "พฤหัสบดี", "ศุกร์", "เสาร์", "อาทิตย์"]

ACTIVE = "เจ้าหน้าที่กำลังดูแลแชตนี้อยู่ค่ะ พิมพ์คุยต่อได้เลยนะคะ"
CANCELLED = (
    "ยกเลิกการรอเจ้าหน้าที่แล้วค่ะ กลับมาคุยกับน้องได้เลย หากต้องการคุยกับเจ้าหน้าที่อีก กดปุ่มหรือพิมพ์บอกได้ทุกเมื่อนะคะ"
)
NOT_WAITING = "ตอนนี้ไม่มีการรอเจ้าหน้าที่ค้างอยู่ค่ะ พิมพ์บอกน้องได้เลยว่าต้องการให้ช่วยเรื่องอะไร"
RATED = "ขอบคุณสำหรับคะแนนค่ะ 🙏 ความเห็นของคุณช่วยให้เจ้าหน้าที่บริการได้ดีขึ้น"
RATED_ALREADY = "น้องได้รับคะแนนของการสนทนานี้ไว้แล้วค่ะ ขอบคุณนะคะ"
LEAVE_PROMPT = (
    "พิมพ์ข้อความที่ต้องการฝากถึงเจ้าหน้าที่มาได้เลยค่ะ เล่าให้ครบในข้อความเดียว "
    "เช่น เรื่องอะไร ที่ไหน และเบอร์ติดต่อกลับ (ถ้าสะดวก)"
)
LEAVE_TEXT_ONLY = "รบกวนพิมพ์ข้อความที่ต้องการฝากเป็นตัวหนังสือนะคะ หรือกด “ไม่ฝากแล้ว” ได้ค่ะ"
LEAVE_STOPPED = "ไม่เป็นไรค่ะ กลับมาคุยกับน้องได้เลยนะคะ"
LEAVE_CANCELLED = "ยกเลิกการฝากข้อความแล้วค่ะ น้องไม่ได้บันทึกอะไรไว้ กลับมาคุยกับน้องได้เลยนะคะ"


def _chip(label: str, data: str, display: str) -> dict[str, Any]:
    return {
        "type": "action",
        "action": {"type": "postback", "label": label, "data": data, "displayText": display},
    }


def when(moment: datetime) -> str:
    """วันจันทร์ที่ 7 ธ.ค. 2569 เวลา 08:30 น. (Bangkok time)."""
    local = aware(moment).astimezone(BANGKOK)
    return f"วัน{WEEKDAYS[local.weekday()]}ที่ {thai_date(local.date())} เวลา {local:%H:%M} น."


def queued(handoff_id: int, position: int, wait_minutes: int) -> list[dict[str, Any]]:
    """In the queue: position, estimated wait, and a way to stop waiting."""
    ahead = "ตอนนี้คุณเป็นคิวถัดไปค่ะ" if position <= 1 else f"ตอนนี้คุณอยู่คิวที่ {position} ค่ะ"
    text = (
        f"น้องส่งแชตนี้ให้เจ้าหน้าที่แล้วค่ะ {ahead} คาดว่าจะรอประมาณ {wait_minutes} นาที\n"
        "ระหว่างนี้พิมพ์เล่าเรื่อง ส่งรูป หรือแชร์ตำแหน่งไว้ก่อนได้เลย เจ้าหน้าที่จะเห็นทั้งหมด "
        "ไม่ต้องเล่าซ้ำนะคะ"
    )
    return [
        {
            "type": "text",
            "text": text,
            "quickReply": {
                "items": [
                    _chip(
                        "ยกเลิกการรอ", f"action=cancel_handoff&h={handoff_id}", "ยกเลิกการรอเจ้าหน้าที่"
                    )
                ]
            },
        }
    ]


def closed(next_open: datetime, opens: time, closes: time) -> list[dict[str, Any]]:
    """Outside office hours: when staff are back, and the offer to leave a message."""
    text = (
        f"ขณะนี้อยู่นอกเวลาทำการค่ะ เจ้าหน้าที่ตอบแชตในวันทำการ {opens:%H:%M}–{closes:%H:%M} น. "
        f"(เว้นวันหยุดราชการ) และจะกลับมา{when(next_open)}\n"
        "ฝากข้อความไว้ได้เลยค่ะ น้องจะบันทึกเป็นเรื่องให้เจ้าหน้าที่ติดต่อกลับ "
        "หากเร่งด่วน โทรสายด่วน 1111 ได้ตลอด 24 ชั่วโมงนะคะ"
    )
    return [
        {
            "type": "text",
            "text": text,
            "quickReply": {
                "items": [
                    _chip("ฝากข้อความ", "action=leave_message", "ขอฝากข้อความถึงเจ้าหน้าที่"),
                    _chip("ไม่เป็นไร", "action=no_message", "ไม่เป็นไร"),
                ]
            },
        }
    ]


def leave_prompt() -> list[dict[str, Any]]:
    """Asks for the message to leave."""
    return [
        {
            "type": "text",
            "text": LEAVE_PROMPT,
            "quickReply": {"items": [_chip("ไม่ฝากแล้ว", "action=no_message", "ไม่ฝากข้อความแล้ว")]},
        }
    ]


def leave_text_only() -> list[dict[str, Any]]:
    """Only typed text can be left as a message."""
    return [
        {
            "type": "text",
            "text": LEAVE_TEXT_ONLY,
            "quickReply": {"items": [_chip("ไม่ฝากแล้ว", "action=no_message", "ไม่ฝากข้อความแล้ว")]},
        }
    ]


def left(ticket_id: str, next_open: datetime) -> str:
    """The message is filed as a ticket."""
    return (
        f"น้องบันทึกข้อความของคุณไว้แล้วค่ะ เลขที่เรื่อง {ticket_id}\n"
        f"เจ้าหน้าที่จะติดต่อกลับตั้งแต่{when(next_open)} "
        f'ติดตามเรื่องได้โดยพิมพ์ "ติดตาม {ticket_id}" นะคะ'
    )


def claimed(agent_name: str) -> str:
    """An agent has taken the conversation."""
    return f"สวัสดีค่ะ เจ้าหน้าที่ {agent_name} เข้ามาดูแลแล้วค่ะ เล่าเรื่องที่ต้องการให้ช่วยได้เลยนะคะ"


def transferred(agency_name: str, next_open: datetime | None = None) -> str:
    """The conversation moved to another agency's queue (`next_open`: when its staff are
    back, when they are out now)."""
    text = f"เจ้าหน้าที่ส่งต่อแชตนี้ให้ {agency_name} แล้วค่ะ ข้อความที่คุยไว้จะส่งไปด้วย ไม่ต้องเล่าซ้ำนะคะ"
    if next_open is not None:
        text += (
            f"\nขณะนี้อยู่นอกเวลาทำการ เจ้าหน้าที่จะตอบกลับ{when(next_open)} "
            "พิมพ์ฝากข้อความไว้ได้เลยค่ะ หากเร่งด่วน โทรสายด่วน 1111 ได้ตลอด 24 ชั่วโมง"
        )
    return text


# Every message telling a waiting citizen that staff are out says this (the worker looks
# for it before saying it again).
CLOSED_MARK = "นอกเวลาทำการ"


def waiting_closed(next_open: datetime) -> str:
    """A citizen writes while waiting for staff who are out: the message is kept."""
    return (
        f"ได้รับข้อความแล้วค่ะ ขณะนี้อยู่นอกเวลาทำการ เจ้าหน้าที่จะตอบกลับ{when(next_open)} "
        "หากเร่งด่วน โทรสายด่วน 1111 ได้ตลอด 24 ชั่วโมงนะคะ"
    )


def filed_by_staff(ticket_id: str, agency_name: str, due: str) -> str:
    """An agent filed a ticket from the chat: the citizen gets its number."""
    return (
        f"เจ้าหน้าที่บันทึกเรื่องของคุณแล้วค่ะ หมายเลข {ticket_id}\n"
        f"ส่งให้ {agency_name} ดูแล กำหนดดำเนินการภายใน {due}\n"
        "เมื่อมีความคืบหน้าจะแจ้งทาง LINE นี้ค่ะ "
        f'ติดตามเรื่องได้โดยพิมพ์ "ติดตาม {ticket_id}" นะคะ'
    )


def _rating_chips(handoff_id: int) -> dict[str, Any]:
    """1–5 for the chat that just ended."""
    return {
        "items": [
            _chip(label, f"action=rate_handoff&h={handoff_id}&score={score}", f"ให้คะแนน {label}")
            for score, label in RATING_CHOICES
        ]
    }


def ended(handoff_id: int) -> list[dict[str, Any]]:
    """The agent ended the conversation: back to the bot, and a 1–5 rating."""
    return [
        {
            "type": "text",
            "text": (
                "เจ้าหน้าที่ปิดการสนทนานี้แล้วค่ะ ตอนนี้กลับมาคุยกับน้องได้ตามเดิม\n"
                "รบกวนให้คะแนนการบริการของเจ้าหน้าที่ครั้งนี้หน่อยนะคะ"
            ),
            "quickReply": _rating_chips(handoff_id),
        }
    ]


def thanked_after_end(handoff_id: int) -> dict[str, Any]:
    """The citizen thanks the agent who just ended the chat: welcome, and the rating
    asked once more (the reply hides the end notice's chips)."""
    return {
        "type": "text",
        "text": (
            "ยินดีค่ะ 😊 ขอบคุณที่ติดต่อมานะคะ ถ้าสะดวก ช่วยให้คะแนนการบริการของเจ้าหน้าที่ครั้งนี้ด้วยนะคะ "
            "หากมีเรื่องอื่นให้ช่วย พิมพ์มาได้เลยค่ะ"
        ),
        "quickReply": _rating_chips(handoff_id),
    }


AGAIN_CHIP = _chip("คุยกับเจ้าหน้าที่", "/request_human", "ขอคุยกับเจ้าหน้าที่อีกครั้ง")


def offer_again() -> list[dict[str, Any]]:
    """The citizen says their matter is not done after staff ended the chat."""
    return [
        {
            "type": "text",
            "text": (
                "ขออภัยค่ะ ถ้าเรื่องยังไม่เรียบร้อย น้องส่งต่อให้เจ้าหน้าที่อีกครั้งได้เลยนะคะ "
                "กด “คุยกับเจ้าหน้าที่” ด้านล่าง หรือพิมพ์เล่าเพิ่มให้น้องฟังก็ได้ค่ะ"
            ),
            "quickReply": {"items": [AGAIN_CHIP]},
        }
    ]


# Why a hand-off step could not happen, for staff (HandoffError.code → the console).
ERRORS = {
    "taken": "มีเจ้าหน้าที่รับเรื่องนี้ไปแล้ว",
    "closed": "การสนทนานี้สิ้นสุดแล้ว",
    "not_yours": "เจ้าหน้าที่คนอื่นกำลังดูแลการสนทนานี้อยู่",
    "gone": "ผู้ใช้ขอลบข้อมูลแล้ว ส่งข้อความถึงผู้ใช้ไม่ได้",
    "queue": "ไม่พบหน่วยงานปลายทาง",
    "same_queue": "การสนทนานี้อยู่ในคิวของหน่วยงานนี้อยู่แล้ว",
    "agent": "เจ้าหน้าที่คนนี้ไม่ได้ประจำคิวนี้",
    "open": "การสนทนานี้อยู่กับเจ้าหน้าที่แล้ว",
}


# What staff read in the console about a hand-off: its status and why it was asked for.
STATUS_TH = {
    "waiting": "รอเจ้าหน้าที่",
    "active": "กำลังดูแล",
    "ended": "จบแล้ว",
    "cancelled": "ผู้ใช้ยกเลิก",
    "transferred": "โอนแล้ว",
    "closed": "ปิดแล้ว",
}
REASON_TH = {
    "requested": "ขอคุยกับเจ้าหน้าที่",
    "misunderstood": "บอทไม่เข้าใจ 2 ครั้ง",
    "form": "ขอระหว่างแจ้งเรื่อง",
    "takeover": "เจ้าหน้าที่รับช่วงต่อ",
    "transfer": "โอนมาจากหน่วยงานอื่น",
}
