"""What a citizen tapped, in words: transcripts show the label of the button, never its
payload ("/affirm", "/rate_ticket{…}").

A postback carries only its data. The label is found on the button the desk sent: the
latest message to this citizen offering that data (its `displayText`, else its `label`);
the rich menu's tiles; and, for buttons whose message is gone, a reading of the payload
itself ("ให้คะแนน 4").
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.catalogue.richmenu import TILES
from bot.line.buttons import buttons_in
from bot.line.models import OutboundMessage

RICH_MENU = {tile.postback: tile.label for tile in TILES if tile.postback}
# Payloads read without their message: what the button said, near enough.
INTENT_WORDS = {
    "affirm": "ใช่",
    "deny": "ไม่ใช่",
    "cancel": "ยกเลิก",
    "check_status": "ติดตามเรื่อง",
    "report_problem": "แจ้งปัญหา",
    "request_human": "คุยกับเจ้าหน้าที่",
    "service_lookup": "ค้นหาบริการ",
    "complaint_confirm": "ยืนยันส่งเรื่อง",
    "complaint_photos_done": "ไม่มีรูปเพิ่มแล้ว",
    "complaint_edit": "แก้ไข",
    "complaint_change_type": "เปลี่ยนประเภทเรื่อง",
    "reopen_ticket": "ยังไม่ได้รับการแก้ไข",
    "privacy_request": "ข้อมูลของฉัน",
    "privacy_erase": "ลบข้อมูลของฉัน",
    "privacy_erase_confirm": "ยืนยันลบข้อมูล",
}
RECENT = 30  # messages back to look for the button


def labels_in(messages: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Postback data → the words LINE showed for its button (its `displayText`, else its
    label), over LINE messages (the first one wins)."""
    found: dict[str, str] = {}
    for button in buttons_in(messages):
        if button.words:
            found.setdefault(button.data, button.words[-1])
    return found


def recent_labels(session: Session, citizen_id: int | None) -> dict[str, str]:
    """The buttons of the latest messages the desk sent this citizen (newest first)."""
    if citizen_id is None:
        return {}
    rows = session.scalars(
        select(OutboundMessage.messages)
        .where(OutboundMessage.citizen_id == citizen_id)
        .order_by(OutboundMessage.id.desc())
        .limit(RECENT)
    )
    return labels_in(message for messages in rows for message in messages or [])


def words(data: str, labels: dict[str, str] | None = None) -> str:
    """What the citizen tapped, for people to read."""
    if labels and data in labels:
        return labels[data]
    if data in RICH_MENU:
        return RICH_MENU[data]
    if not data.startswith("/"):
        return "กดปุ่ม"
    intent, _, raw = data[1:].partition("{")
    entities: dict[str, Any] = {}
    if raw:
        try:
            entities = json.loads("{" + raw)
        except ValueError:
            entities = {}
    if intent == "rate_ticket" and entities.get("rating"):
        return f"ให้คะแนน {entities['rating']}"
    if intent in INTENT_WORDS:
        return INTENT_WORDS[intent]
    return "กดปุ่ม"
