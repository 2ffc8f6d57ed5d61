"""LINE Flex messages for tickets: the intake summary, status cards, the change notice.

Large text, few words, one obvious button: many citizens are elderly. Every card stays
within LINE's limits (altText ≤ 1500, labels ≤ 20, 12 carousel bubbles, 13 quick
replies). Postback data that starts with "/" goes to Rasa as an intent with entities.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.catalogue.cards import clip, cut, thai_date
from bot.db import aware
from bot.tickets.lifecycle import COMPLAINT_TYPES_TH, STATUS_COLOUR, STATUS_TH, TICKET_TYPES_TH

if TYPE_CHECKING:
    from bot.tickets.models import Ticket, TicketEvent

BANGKOK = ZoneInfo("Asia/Bangkok")
MUTED = "#6B7280"
ACCENT = "#06C755"
MAX_BUBBLES = 12
MAX_TIMELINE = 6
PREVIEW_CHARS = 160


def payload(intent: str, **entities: Any) -> str:
    """``/intent{"key":"value"}``: a button that asks Rasa for an intent directly."""
    if not entities:
        return f"/{intent}"
    return f"/{intent}" + json.dumps(entities, ensure_ascii=False, separators=(",", ":"))


def type_label(complaint_type: str) -> str:
    """The Thai name of a complaint type."""
    return TICKET_TYPES_TH.get(complaint_type, "เรื่องร้องเรียน")


def local_time(moment: datetime) -> str:
    """22 พ.ย. 2569 14:05 in Bangkok time."""
    local = aware(moment).astimezone(BANGKOK)
    return f"{thai_date(local.date())} {local:%H:%M}"


def _progress_footer(ticket: Ticket) -> dict[str, Any]:
    """The footer with the button that shows the ticket's progress."""
    return {
        "type": "box",
        "layout": "vertical",
        "contents": [
            _action_button(
                "ดูความคืบหน้า",
                payload("check_status", ticket_id=ticket.id),
                f"ติดตามเรื่อง {ticket.id}",
            )
        ],
    }


def _text(text: str, **style: Any) -> dict[str, Any]:
    return {"type": "text", "text": text or " ", "wrap": True, **style}


def _row(label: str, value: str) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "baseline",
        "spacing": "sm",
        "margin": "md",
        "contents": [
            _text(label, size="sm", color=MUTED, flex=2),
            _text(value, size="md", flex=5),
        ],
    }


def _action_button(label: str, data: str, display: str, *, primary: bool = False) -> dict[str, Any]:
    return {
        "type": "button",
        "style": "primary" if primary else "secondary",
        "height": "md",
        "margin": "sm",
        **({"color": ACCENT} if primary else {}),
        "action": {
            "type": "postback",
            "label": clip(label, 20),
            "data": data[:300],
            "displayText": clip(display, 300),
        },
    }


def _flex(alt: str, contents: dict[str, Any]) -> dict[str, Any]:
    return {"type": "flex", "altText": cut(alt, 1500), "contents": contents}


# The intake summary -----------------------------------------------------------------


def summary_message(
    *,
    complaint_type: str,
    description: str,
    location: str | None,
    photos: int,
    phone: str | None,
    share_identity: bool,
    agency_name: str,
    intake_id: str | None = None,
) -> dict[str, Any]:
    """The card the citizen checks before the complaint is filed: confirm, edit, cancel.
    Its buttons name the intake, so a tap after the form answers what it refers to."""
    which = {"intake": intake_id} if intake_id else {}
    preview = clip(description, PREVIEW_CHARS)
    if len(description) > PREVIEW_CHARS:
        preview += f" (ทั้งหมด {len(description):,} ตัวอักษร)"
    rows = [
        _row("เรื่อง", type_label(complaint_type)),
        _row("รายละเอียด", preview),
        _row("สถานที่", location or "ไม่ระบุ"),
        _row("รูปภาพ", f"{photos} รูป" if photos else "ไม่มี"),
        _row("เบอร์ติดต่อ", phone or "ไม่ระบุ"),
        _row("ข้อมูลของคุณ", "ส่งให้หน่วยงาน" if share_identity else "ไม่เปิดเผยต่อหน่วยงาน"),
        _row("ส่งถึง", agency_name),
    ]
    bubble = {
        "type": "bubble",
        "size": "mega",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                _text("ตรวจสอบก่อนส่งเรื่อง", weight="bold", size="xl"),
                *rows,
            ],
        },
        "footer": {
            "type": "box",
            "layout": "vertical",
            "contents": [
                _action_button(
                    "ยืนยันส่งเรื่อง",
                    payload("complaint_confirm", **which),
                    "ยืนยันส่งเรื่อง",
                    primary=True,
                ),
                _action_button("แก้ไข", payload("complaint_edit", **which), "ขอแก้ไข"),
                _action_button("ยกเลิก", payload("cancel", **which), "ยกเลิก"),
            ],
        },
    }
    alt = (
        f"ตรวจสอบก่อนส่งเรื่อง: {type_label(complaint_type)} — {clip(description, 200)} กดยืนยันเพื่อส่งเรื่อง"
    )
    return _flex(alt, bubble)


def type_choice_message() -> dict[str, Any]:
    """Every complaint type as a button (14 types: more than quick replies can hold)."""
    buttons = [
        _action_button(
            label,
            payload("complaint_set_type", complaint_type=name),
            f"เปลี่ยนเป็นเรื่อง{label}",
        )
        for name, label in COMPLAINT_TYPES_TH.items()
    ]
    bubble = {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": [_text("เลือกประเภทเรื่องค่ะ", weight="bold", size="lg"), *buttons],
        },
    }
    return _flex("เลือกประเภทเรื่องที่ต้องการแจ้ง", bubble)


# Status ------------------------------------------------------------------------------


def _status_header(ticket: Ticket) -> dict[str, Any]:
    return {
        "type": "box",
        "layout": "vertical",
        "backgroundColor": STATUS_COLOUR.get(ticket.status, MUTED),
        "paddingAll": "lg",
        "contents": [
            _text(
                STATUS_TH.get(ticket.status, ticket.status),
                color="#FFFFFF",
                weight="bold",
                size="xl",
            ),
            _text(ticket.id, color="#FFFFFF", size="md"),
        ],
    }


def _timeline_rows(events: list[TicketEvent]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for event in events[-MAX_TIMELINE:]:
        what = STATUS_TH.get(event.to_status or "", "") if event.to_status else ""
        if event.kind == "joined":
            what = "มีผู้ร่วมแจ้งเพิ่ม"
        if event.kind == "reopened":
            what = "แจ้งว่ายังไม่ได้รับการแก้ไข เปิดเรื่องอีกครั้ง"
        if event.kind == "retyped":
            what = "เจ้าหน้าที่ปรับประเภทเรื่อง"
        line = what + (
            f" — {clip(event.note, 120)}" if event.note and event.kind != "joined" else ""
        )
        rows.append(
            {
                "type": "box",
                "layout": "vertical",
                "margin": "md",
                "contents": [
                    _text(local_time(event.created_at), size="xs", color=MUTED),
                    _text(line or what or "อัปเดต", size="sm"),
                ],
            }
        )
    return rows


NOT_YOURS = "คุณร่วมแจ้ง (+1) · รายละเอียดของผู้แจ้งไม่แสดงเพื่อความเป็นส่วนตัว"


def area_of(ticket: Ticket) -> str:
    """Where, as anyone may know it: the district and province (never the address)."""
    return " ".join(part for part in (ticket.district, ticket.province) if part)


def what_shown(ticket: Ticket, mine: bool) -> str:
    """The ticket's words for the citizen looking: their own, or (joined with a +1) only
    the area: the first reporter's words may hold a house number or a name (PDPA)."""
    if mine:
        return ticket.description
    area = area_of(ticket)
    return f"{NOT_YOURS} · บริเวณ{area}" if area else NOT_YOURS


def status_bubble(
    ticket: Ticket, events: list[TicketEvent], agency_name: str, *, mine: bool = True
) -> dict[str, Any]:
    """One ticket: status, what, where it went, when due, and its public timeline; its
    description only for the citizen who wrote it (`mine`)."""
    body: list[dict[str, Any]] = [
        _row("เรื่อง", type_label(ticket.complaint_type)),
        _row("รายละเอียด", clip(what_shown(ticket, mine), 100)),
        _row("หน่วยงาน", agency_name),
        _row("แจ้งเมื่อ", local_time(ticket.created_at)),
    ]
    if ticket.status in {"received", "forwarded", "in_progress"}:
        body.append(_row("กำหนดเสร็จ", local_time(ticket.due_at)))
    if ticket.followers_count > 1:
        body.append(_row("ผู้ร่วมแจ้ง", f"{ticket.followers_count} คน"))
    if events:
        body.append(_text("ความคืบหน้า", weight="bold", size="sm", color=MUTED, margin="lg"))
        body += _timeline_rows(events)
    bubble: dict[str, Any] = {
        "type": "bubble",
        "size": "mega",
        "header": _status_header(ticket),
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    if ticket.status == "resolved":
        # The problem is still there: reopen from the card itself (a rating is asked
        # with the resolution notice).
        bubble["footer"] = {
            "type": "box",
            "layout": "vertical",
            "contents": [
                _action_button(
                    "ยังไม่ได้รับการแก้ไข",
                    payload("reopen_ticket", ticket_id=ticket.id),
                    "ยังไม่ได้รับการแก้ไข",
                )
            ],
        }
    return bubble


def similar_message(ticket: Ticket, agency_name: str) -> dict[str, Any]:
    """Another citizen's open ticket, offered to join (+1): only what anyone may know.

    Never its number, description, address, notes or photos (PDPA): the citizen
    offered it did not write it. The type, the district, the agency and how many
    already joined are enough to recognise the same problem.
    """
    area = " ".join(part for part in (ticket.district, ticket.province) if part)
    body: list[dict[str, Any]] = [
        _row("เรื่อง", type_label(ticket.complaint_type)),
        _row("บริเวณ", area or "ใกล้ตำแหน่งที่แจ้ง"),
        _row("หน่วยงาน", agency_name),
        _row("แจ้งเมื่อ", local_time(ticket.created_at)),
        _row("ผู้ร่วมแจ้ง", f"{ticket.followers_count} คน"),
    ]
    header = {
        "type": "box",
        "layout": "vertical",
        "backgroundColor": STATUS_COLOUR.get(ticket.status, MUTED),
        "paddingAll": "lg",
        "contents": [
            _text(STATUS_TH.get(ticket.status, ticket.status), color="#FFFFFF", weight="bold"),
            _text("เรื่องที่มีผู้แจ้งไว้แล้ว", color="#FFFFFF", size="sm"),
        ],
    }
    bubble = {
        "type": "bubble",
        "size": "mega",
        "header": header,
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    return _flex(f"มีผู้แจ้ง{type_label(ticket.complaint_type)}ในบริเวณนี้ไว้แล้ว", bubble)


def status_message(
    ticket: Ticket, events: list[TicketEvent], agency_name: str, *, mine: bool = True
) -> dict[str, Any]:
    """The status card of one ticket (`mine`: the citizen looking filed it)."""
    alt = f"เรื่อง {ticket.id}: {STATUS_TH.get(ticket.status, ticket.status)}"
    return _flex(alt, status_bubble(ticket, events, agency_name, mine=mine))


def tickets_message(
    tickets: list[Ticket], agency_names: dict[str, str], mine: set[str] | None = None
) -> dict[str, Any]:
    """The citizen's recent tickets as a carousel; tap one for its full status. Only the
    ones they filed (`mine`, ids; all when not given) show their words."""
    bubbles = []
    for ticket in tickets[:MAX_BUBBLES]:
        bubbles.append(
            {
                "type": "bubble",
                "size": "kilo",
                "header": _status_header(ticket),
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        _text(type_label(ticket.complaint_type), weight="bold", size="md"),
                        _text(
                            clip(what_shown(ticket, mine is None or ticket.id in mine), 80),
                            size="sm",
                        ),
                        _text(agency_names.get(ticket.agency_id, ""), size="xs", color=MUTED),
                        _text(local_time(ticket.created_at), size="xs", color=MUTED),
                    ],
                },
                "footer": _progress_footer(ticket),
            }
        )
    alt = "เรื่องที่คุณแจ้งไว้: " + ", ".join(
        f"{t.id} {STATUS_TH.get(t.status, t.status)}" for t in tickets[:MAX_BUBBLES]
    )
    return _flex(alt, {"type": "carousel", "contents": bubbles})


RATING_CHOICES = [(5, "5 ดีมาก"), (4, "4 ดี"), (3, "3 พอใช้"), (2, "2 ควรปรับปรุง"), (1, "1 ไม่พอใจ")]


def rating_quick_reply(ticket_id: str) -> dict[str, Any]:
    """1–5 and "not solved" as quick-reply chips."""
    items = [
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": label,
                "data": payload("rate_ticket", ticket_id=ticket_id, rating=str(score)),
                "displayText": f"ให้คะแนน {label}",
            },
        }
        for score, label in RATING_CHOICES
    ]
    items.append(
        {
            "type": "action",
            "action": {
                "type": "postback",
                "label": "ยังไม่ได้รับการแก้ไข",
                "data": payload("reopen_ticket", ticket_id=ticket_id),
                "displayText": "ปัญหายังไม่ได้รับการแก้ไข",
            },
        }
    )
    return {"items": items}


def status_notice(ticket: Ticket, event: TicketEvent) -> dict[str, Any]:
    """The push a follower gets when the ticket changes; asks for a rating on resolution."""
    status = STATUS_TH.get(ticket.status, ticket.status)
    lines = [_text(f"เรื่อง{type_label(ticket.complaint_type)}", weight="bold", size="md")]
    if event.note:
        lines.append(_text(clip(event.note, 300), size="md", margin="md"))
    if ticket.status == "resolved":
        lines.append(
            _text(
                "หน่วยงานแจ้งว่าดำเนินการเสร็จแล้วค่ะ ช่วยให้คะแนนความพึงพอใจ 1–5 "
                "หรือกด “ยังไม่ได้รับการแก้ไข” หากปัญหายังอยู่นะคะ",
                size="sm",
                margin="md",
            )
        )
    bubble = {
        "type": "bubble",
        "size": "mega",
        "header": _status_header(ticket),
        "body": {"type": "box", "layout": "vertical", "contents": lines},
        "footer": _progress_footer(ticket),
    }
    message = _flex(f"อัปเดตเรื่อง {ticket.id}: {status}", bubble)
    if ticket.status == "resolved":
        message["quickReply"] = rating_quick_reply(ticket.id)
    return message
