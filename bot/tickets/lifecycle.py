"""Ticket statuses, the one transition table, and the Thai words citizens see for them."""

from __future__ import annotations

import secrets
from typing import Literal

from bot.errors import Conflict
from nlu.entities.parsers import CROCKFORD_ALPHABET, TICKET_LENGTH, TICKET_PREFIX

Status = Literal[
    "received", "forwarded", "in_progress", "resolved", "closed", "rejected", "duplicate"
]
Actor = Literal["citizen", "staff", "system"]

STATUSES: tuple[Status, ...] = (
    "received",
    "forwarded",
    "in_progress",
    "resolved",
    "closed",
    "rejected",
    "duplicate",
)
OPEN_STATUSES: tuple[Status, ...] = ("received", "forwarded", "in_progress")
FINAL_STATUSES: tuple[Status, ...] = ("closed", "rejected", "duplicate")

# Who may move a ticket from one status to another. Staff run the lifecycle; a citizen
# may only reopen a resolved ticket ("not solved"), within the reopen window; the
# system closes resolved tickets once that window has passed.
TRANSITIONS: dict[tuple[Status, Status], frozenset[Actor]] = {
    ("received", "forwarded"): frozenset({"staff"}),
    ("received", "in_progress"): frozenset({"staff"}),
    ("received", "rejected"): frozenset({"staff"}),
    ("received", "duplicate"): frozenset({"staff"}),
    ("forwarded", "in_progress"): frozenset({"staff"}),
    ("forwarded", "resolved"): frozenset({"staff"}),
    ("forwarded", "rejected"): frozenset({"staff"}),
    ("forwarded", "duplicate"): frozenset({"staff"}),
    ("in_progress", "forwarded"): frozenset({"staff"}),
    ("in_progress", "resolved"): frozenset({"staff"}),
    ("in_progress", "rejected"): frozenset({"staff"}),
    ("in_progress", "duplicate"): frozenset({"staff"}),
    ("resolved", "in_progress"): frozenset({"staff", "citizen"}),
    ("resolved", "closed"): frozenset({"staff", "system"}),
}


class TransitionError(Conflict, ValueError):
    """A status change the transition table does not allow for this actor."""


class RetypeError(TransitionError):
    """A complaint type that cannot be set: unknown, or the one the ticket has."""

    status_code = 422


def check_transition(current: str, target: str, actor: Actor) -> None:
    """Raises TransitionError unless `actor` may move a ticket from `current` to `target`."""
    if target not in STATUSES:
        raise TransitionError(f"ไม่รู้จักสถานะ “{target}”")
    allowed = TRANSITIONS.get((current, target))  # type: ignore[arg-type]
    if not allowed or actor not in allowed:
        raise TransitionError(
            f"เปลี่ยนสถานะจาก “{STATUS_TH.get(current, current)}” เป็น “{STATUS_TH[target]}” ไม่ได้"
        )


def allowed_targets(current: str, actor: Actor) -> list[str]:
    """Statuses `actor` may move a ticket in `current` to (for UIs and the API)."""
    return [t for (s, t), actors in TRANSITIONS.items() if s == current and actor in actors]


def new_ticket_id() -> str:
    """``DS-`` + 8 random Crockford base-32 symbols (40 bits): never sequential."""
    body = "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(TICKET_LENGTH))
    return f"{TICKET_PREFIX}-{body}"


# Citizen-facing words ---------------------------------------------------------------

STATUS_TH: dict[str, str] = {
    "received": "รับเรื่องแล้ว",
    "forwarded": "ส่งต่อหน่วยงานแล้ว",
    "in_progress": "กำลังดำเนินการ",
    "resolved": "ดำเนินการเสร็จแล้ว",
    "closed": "ปิดเรื่องแล้ว",
    "rejected": "ไม่สามารถรับเรื่องได้",
    "duplicate": "รวมกับเรื่องที่แจ้งไว้แล้ว",
}

STATUS_COLOUR: dict[str, str] = {
    "received": "#5B6B7F",
    "forwarded": "#1F6FB2",
    "in_progress": "#C27C0E",
    "resolved": "#1E8E3E",
    "closed": "#3C4043",
    "rejected": "#B3261E",
    "duplicate": "#6A4C93",
}

COMPLAINT_TYPES_TH: dict[str, str] = {
    "complaint_road": "ถนน ทางเท้า สะพาน",
    "complaint_flooding": "น้ำท่วม ท่อระบายน้ำ คลอง",
    "complaint_garbage": "ขยะ ความสะอาด",
    "complaint_streetlight": "ไฟส่องสว่าง เสาไฟ สายไฟ",
    "complaint_noise": "เสียงดังรบกวน",
    "complaint_traffic": "จราจร ที่จอดรถ สิ่งกีดขวาง",
    "complaint_tree": "ต้นไม้",
    "complaint_stray_animal": "สัตว์จรจัด",
    "complaint_pollution": "ฝุ่น ควัน กลิ่น น้ำเสีย",
    "complaint_safety": "ความปลอดภัย",
    "complaint_consumer": "ผู้บริโภค สินค้าและบริการ",
    "complaint_corruption": "ทุจริต คอร์รัปชัน",
    "complaint_water_supply": "น้ำประปา",
    "complaint_official_conduct": "การให้บริการของเจ้าหน้าที่รัฐ",
}
COMPLAINT_TYPES: tuple[str, ...] = tuple(COMPLAINT_TYPES_TH)
# A message a citizen left for staff outside office hours (filed as a ticket of the
# hand-off queue's agency, not routed by complaint type).
LEFT_MESSAGE = "left_message"
TICKET_TYPES_TH: dict[str, str] = {**COMPLAINT_TYPES_TH, LEFT_MESSAGE: "ฝากข้อความถึงเจ้าหน้าที่"}
TICKET_TYPES: tuple[str, ...] = tuple(TICKET_TYPES_TH)
