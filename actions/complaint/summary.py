"""What the citizen checks before filing, and what is filed: the summary and the intake."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from actions.complaint import texts
from actions.complaint.slots import (
    ADDRESS,
    CONSENT,
    DESCRIPTION,
    DISTRICT_SLOT,
    INTAKE,
    LATITUDE,
    LONGITUDE,
    PHONE,
    PHOTO_IDS,
    PROVINCE_SLOT,
    SKIP,
    TYPE,
)
from actions.complaint.texts import Reply
from bot.tickets import cards
from bot.tickets.service import Intake

Slots = Mapping[str, Any]
BANGKOK = "กรุงเทพมหานคร"  # whose districts are เขต; elsewhere อำเภอ (อ.)


def location_text(slots: Slots) -> str | None:
    """The place as the summary shows it: the address, then district and province unless
    the address already names the province."""
    address = slots.get(ADDRESS)
    parts = [address]
    district, province = slots.get(DISTRICT_SLOT), slots.get(PROVINCE_SLOT)
    if district and province:
        prefix = "เขต" if province == BANGKOK else "อ."
        place = (
            f"{prefix}{district} {province}"
            if not str(district).startswith(("เขต", "อ"))
            else f"{district} {province}"
        )
        if not address or province not in str(address):
            parts.append(place)
    elif province and (not address or province not in str(address)):
        parts.append(str(province))
    text = " ".join(str(p) for p in parts if p)
    return cards.clip(text, 120) if text else None


def phone_given(slots: Slots) -> str | None:
    """The contact phone, unless skipped."""
    number = slots.get(PHONE)
    return number if number and number != SKIP else None


def district_for_routing(slots: Slots) -> str | None:
    """The district, as routing and the ticket take it."""
    district = slots.get(DISTRICT_SLOT)
    return str(district) if district else None


def edit_choices() -> Reply:
    """What the citizen may change before filing."""
    buttons = [
        {"title": label, "payload": cards.payload("complaint_edit_field", field=slot)}
        for label, slot in texts.EDIT_CHOICES
    ]
    buttons.append(
        {
            "title": texts.NO_MORE_EDITS,
            "payload": cards.payload("complaint_edit_field", field="none"),
        }
    )
    return texts.ask(texts.ASK_EDIT, buttons)


def type_choices() -> list[Reply]:
    """Changing the type from the summary: every type, and a way back to the summary."""
    keep = {
        "title": texts.KEEP_TYPE,
        "payload": cards.payload("complaint_edit_field", field="none"),
    }
    return [
        texts.line(cards.type_choice_message()),
        texts.ask(texts.CHOOSE_TYPE_FROM_SUMMARY, [keep]),
    ]


def summary(slots: Slots, *, agency_name: str) -> Reply:
    """The card the citizen checks before filing: where it goes, confirm, edit, cancel."""
    return texts.line(
        cards.summary_message(
            complaint_type=str(slots.get(TYPE)),
            description=str(slots.get(DESCRIPTION) or ""),
            location=location_text(slots),
            photos=len(slots.get(PHOTO_IDS) or []),
            phone=phone_given(slots),
            share_identity=slots.get(CONSENT) == "yes",
            agency_name=agency_name,
            intake_id=str(slots.get(INTAKE)) if slots.get(INTAKE) else None,
        )
    )


def intake(slots: Slots, *, line_user_id: str, fallback_key: str) -> Intake:
    """The confirmed intake, ready to be filed (one ticket per intake key)."""
    return Intake(
        intake_key=str(slots.get(INTAKE) or fallback_key),
        line_user_id=line_user_id,
        complaint_type=str(slots.get(TYPE)),
        description=str(slots.get(DESCRIPTION) or ""),
        province=slots.get(PROVINCE_SLOT),
        district=district_for_routing(slots),
        latitude=slots.get(LATITUDE),
        longitude=slots.get(LONGITUDE),
        address=slots.get(ADDRESS),
        contact_phone=phone_given(slots),
        share_identity=slots.get(CONSENT) == "yes",
        media_ids=list(slots.get(PHOTO_IDS) or []),
    )
