"""Complaint intake (the `complaint_form`), status, ratings and reopening.

The form asks, in order: more detail (only when the first message is too thin), where,
whether to join a similar open ticket (only when there is one), photos, a contact phone,
consent to pass personal data to the agency, and a summary to confirm. Every message the
citizen sends while the form is active is an answer to the current question (or a
control: cancel, change the type, edit, staff), so the form never stalls on an
unexpected message, which matters for elderly citizens who type freely.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.catalogue import read_request
from actions.desk import Desk, shared_desk
from actions.handoff import hand_off
from bot.tickets import cards
from bot.tickets import service as tickets
from bot.tickets.lifecycle import COMPLAINT_TYPES, STATUS_TH, TransitionError
from nlu.entities.extract import extract_entities
from nlu.entities.parsers import DISTRICT, PROVINCE, normalize_phone, normalize_ticket_id

logger = logging.getLogger(__name__)

FORM = "complaint_form"
# Slots the form fills, in the order it asks (see required_slots for the conditions).
DESCRIPTION = "complaint_description"
LOCATION = "complaint_location"
DUPLICATE = "complaint_duplicate"
PHOTOS = "complaint_photos"
PHONE = "complaint_phone"
CONSENT = "complaint_consent"
OUTCOME = "complaint_outcome"
# Slots set alongside.
TYPE = "complaint_type"
INTAKE = "complaint_intake_id"
PROVINCE_SLOT = "complaint_province"
DISTRICT_SLOT = "complaint_district"
LATITUDE = "complaint_latitude"
LONGITUDE = "complaint_longitude"
ADDRESS = "complaint_address"
PHOTO_IDS = "complaint_photo_ids"
DUPLICATE_OF = "complaint_duplicate_of"
EDITING = "complaint_editing"
FIRST = "complaint_first_words"

INTAKE_SLOTS = (
    DESCRIPTION,
    LOCATION,
    DUPLICATE,
    PHOTOS,
    PHONE,
    CONSENT,
    OUTCOME,
    TYPE,
    INTAKE,
    PROVINCE_SLOT,
    DISTRICT_SLOT,
    LATITUDE,
    LONGITUDE,
    ADDRESS,
    PHOTO_IDS,
    DUPLICATE_OF,
    EDITING,
    FIRST,
)

SKIP = "-"  # the value of a question the citizen skipped
# How sure NLU must be that a typed message asks for a person before the intake stops
# (anything less is read as the answer to the current question).
HANDOFF_CONFIDENCE = 0.6
# Thailand's bounding box (with a margin): a LINE location outside it is not ours.
THAILAND = (5.3, 20.8, 97.0, 106.0)

_SKIP_WORDS = re.compile(
    r"^(ข้าม|ไม่มี|ไม่ระบุ|ไม่สะดวก|ไม่ต้อง|ไม่ให้|ไม่|skip|no|-)\s*(ค่ะ|คะ|ครับ|จ้า|จ้ะ|นะ)?$", re.I
)
# Words (and house numbers) that place a typed answer on a map: without one of these or a
# place the gazetteer knows, the answer is not a location ("ค่ะ", "5555", "ไม่รู้สิ").
_PLACE_WORDS = re.compile(
    r"ถนน|ถ\.|ซอย|ซ\.|ตรอก|หมู่|ม\.\s*\d|ตำบล|ต\.|แขวง|เขต|อำเภอ|อ\.|จังหวัด|จ\.|"
    r"หมู่บ้าน|ชุมชน|บ้านเลขที่|เลขที่|\d+/\d+|ตลาด|หน้า|ข้าง|ใกล้|ตรง|แยก|สี่แยก|สามแยก|"
    r"สะพาน|โรงเรียน|วัด|โรงพยาบาล|รพ\.|ปากซอย|ท้าย|คอนโด|อาคาร|ตึก|ห้าง|สถานี|ป้าย|"
    r"คลอง|ริม|ทางเข้า|กม\.|กิโล|หลัง|ฝั่ง|บริเวณ|แถว|road|soi|street|rd\.?\b",
    re.I,
)
_DONE_WORDS = re.compile(
    r"^(เสร็จ|เสร็จแล้ว|ครบแล้ว|พอแล้ว|แค่นี้|ไม่มีแล้ว|หมดแล้ว|done|ok|โอเค)\s*(ค่ะ|คะ|ครับ|จ้า)?$", re.I
)
_YES_WORDS = re.compile(r"^(ใช่|ได้|ยินยอม|ตกลง|โอเค|ok|yes|ยืนยัน|ถูกต้อง|ส่งเลย|เอา)", re.I)
_NO_WORDS = re.compile(r"^(ไม่|no|ปฏิเสธ|ไม่ยินยอม|ไม่เอา|ไม่ต้อง)", re.I)
_CANCEL_WORDS = re.compile(r"^(ยกเลิก|cancel|ไม่แจ้งแล้ว|เลิก)", re.I)

EDIT_CHOICES = [
    ("ประเภทเรื่อง", TYPE),
    ("รายละเอียด", DESCRIPTION),
    ("สถานที่", LOCATION),
    ("รูปภาพ", PHOTOS),
    ("เบอร์ติดต่อ", PHONE),
    ("การเปิดเผยข้อมูล", CONSENT),
]


def _intent(tracker: Tracker) -> str:
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


def _say(
    dispatcher: CollectingDispatcher, text: str, buttons: list[dict[str, str]] | None = None
) -> None:
    dispatcher.utter_message(text=text, buttons=buttons or [])


def _line(dispatcher: CollectingDispatcher, message: dict[str, Any]) -> None:
    """A whole LINE message (Flex, or text with LINE-only quick replies)."""
    dispatcher.utter_message(json_message={"line": message})


def _location_text(tracker: Tracker) -> str | None:
    parts = [tracker.get_slot(ADDRESS)]
    district, province = tracker.get_slot(DISTRICT_SLOT), tracker.get_slot(PROVINCE_SLOT)
    if district and province:
        prefix = "เขต" if province == "กรุงเทพมหานคร" else "อ."
        place = (
            f"{prefix}{district} {province}"
            if not str(district).startswith(("เขต", "อ"))
            else f"{district} {province}"
        )
        if not parts[0] or province not in str(parts[0]):
            parts.append(place)
    elif province and (not parts[0] or province not in str(parts[0])):
        parts.append(str(province))
    text = " ".join(str(p) for p in parts if p)
    return cards.clip(text, 120) if text else None


def places_in(desk: Desk, text: str) -> tuple[str | None, str | None]:
    """(province, district) named in a typed or LINE address; the last district wins
    (Thai addresses run sub-district, district, province)."""
    found = extract_entities(text, places=desk.places, entity_types=(PROVINCE, DISTRICT))
    province = next((m.value for m in reversed(found) if m.entity == PROVINCE), None)
    districts = [m for m in found if m.entity == DISTRICT]
    if province:
        districts = [m for m in districts if m.extra.get("province") == province] or districts
    district = districts[-1] if districts else None
    if district is not None and province is None:
        province = district.extra.get("province")
    return province, (district.value if district else None)


class ActionStartComplaint(Action):
    """A complaint was understood: remember its type and first words, start the form."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_start_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Resets the intake slots and fills what the first message already says."""
        intent = _intent(tracker)
        text, entities = read_request(tracker)
        complaint_type = intent if intent in COMPLAINT_TYPES else entities.get(TYPE)
        if complaint_type not in COMPLAINT_TYPES:
            complaint_type = "complaint_official_conduct"
        desk = shared_desk()
        events: list[EventType] = [SlotSet(slot, None) for slot in INTAKE_SLOTS]
        events += [
            SlotSet(INTAKE, uuid.uuid4().hex),
            SlotSet(TYPE, complaint_type),
            SlotSet(PHOTO_IDS, []),
        ]
        if text and len(text.strip()) >= desk.settings.min_description_chars:
            events.append(SlotSet(DESCRIPTION, text.strip()))
        elif text:
            events.append(SlotSet(FIRST, text.strip()))  # kept, prefixed to the detail
        province = entities.get("province")
        district = entities.get("district")
        if province or district:
            events += [SlotSet(PROVINCE_SLOT, province), SlotSet(DISTRICT_SLOT, district)]
        label = cards.type_label(complaint_type)
        anonymous_hint = (
            " เรื่องทุจริตแจ้งแบบไม่เปิดเผยตัวตนได้นะคะ" if complaint_type == "complaint_corruption" else ""
        )
        _say(
            dispatcher,
            f"รับแจ้งเรื่อง “{label}” ค่ะ น้องจะถามอีกไม่กี่ข้อเพื่อส่งต่อให้หน่วยงานที่รับผิดชอบ "
            f"ยกเลิกได้ทุกเมื่อโดยพิมพ์ว่า ยกเลิก{anonymous_hint}",
            [{"title": "ไม่ใช่เรื่องนี้ เปลี่ยนประเภท", "payload": "/complaint_change_type"}],
        )
        return events


class ValidateComplaintForm(FormValidationAction):
    """Reads every answer of the intake form (see the module docstring)."""

    def name(self) -> str:
        """As in domain.yml."""
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """The questions still to ask; none once the citizen confirmed, cancelled or joined."""
        if tracker.get_slot(OUTCOME) in {"confirmed", "cancelled", "joined", "handoff"}:
            return []
        slots = [DESCRIPTION, LOCATION]
        if tracker.get_slot(DUPLICATE_OF):
            slots.append(DUPLICATE)
        if shared_desk().settings.max_photos:
            slots.append(PHOTOS)
        slots += [PHONE, CONSENT, OUTCOME]
        return slots

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Every slot the reader set, not only the form's questions (rasa-sdk drops the
        others: coordinates, photo ids, the type)."""
        return [SlotSet(name, value) for name, value in tracker.slots_to_validate().items()]

    async def extract_complaint_outcome(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Every turn: reads the citizen's message as the answer to the current question."""
        requested = tracker.get_slot("requested_slot")
        if not requested or tracker.latest_message.get("text") is None:
            return {}
        text, entities = read_request(tracker)
        intent = _intent(tracker)
        clean = (text or "").strip()
        # Controls, whatever the question.
        if intent == "cancel" or (clean and _CANCEL_WORDS.match(clean)):
            return {OUTCOME: "cancelled"}
        confidence = float(
            ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0
        )
        if intent == "request_human" and (text is None or confidence >= HANDOFF_CONFIDENCE):
            return {OUTCOME: "handoff"}  # a person is asked for: not an answer to the question
        if intent == "complaint_change_type":
            _line(dispatcher, cards.type_choice_message())
            return {EDITING: "type"}
        if intent == "complaint_set_type" and entities.get(TYPE) in COMPLAINT_TYPES:
            chosen = entities[TYPE]
            _say(dispatcher, f"เปลี่ยนเป็นเรื่อง “{cards.type_label(chosen)}” แล้วค่ะ")
            return {TYPE: chosen, EDITING: None}
        if intent == "complaint_edit_field" and entities.get("field"):
            field = entities["field"]
            if field == TYPE:
                _line(dispatcher, cards.type_choice_message())
                return {EDITING: "type"}
            if field == PHOTOS:
                return {PHOTOS: None, PHOTO_IDS: [], OUTCOME: None, EDITING: None}
            if field == LOCATION:
                return {
                    LOCATION: None,
                    LATITUDE: None,
                    LONGITUDE: None,
                    ADDRESS: None,
                    DUPLICATE_OF: None,
                    DUPLICATE: None,
                    OUTCOME: None,
                    EDITING: None,
                }
            if field in {DESCRIPTION, PHONE, CONSENT}:
                return {field: None, OUTCOME: None, EDITING: None}
            return {EDITING: None}
        handler = getattr(self, f"_answer_{requested.removeprefix('complaint_')}", None)
        if handler is None:
            return {}
        result: dict[str, Any] = await handler(dispatcher, tracker, text, entities, intent)
        return result

    # One reader per question ------------------------------------------------------

    async def _answer_description(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        if not text:
            _say(dispatcher, "รบกวนพิมพ์เล่าเป็นข้อความนะคะ ว่าพบปัญหาอะไร ที่ไหน ตั้งแต่เมื่อไร")
            return {EDITING: tracker.get_slot(EDITING)}
        earlier = tracker.get_slot(FIRST)
        description = f"{earlier} {text}".strip() if earlier else text.strip()
        update: dict[str, Any] = {DESCRIPTION: description, FIRST: None, EDITING: None}
        if entities.get("province") and not tracker.get_slot(PROVINCE_SLOT):
            update[PROVINCE_SLOT] = entities["province"]
            update[DISTRICT_SLOT] = entities.get("district")
        return update

    async def _answer_location(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        desk = shared_desk()
        update: dict[str, Any]
        if intent == "share_location" and entities.get("latitude"):
            try:
                lat, lon = float(entities["latitude"]), float(entities["longitude"])
            except (KeyError, ValueError):
                _say(dispatcher, "ขออภัยค่ะ น้องอ่านตำแหน่งนี้ไม่ได้")
                return {EDITING: tracker.get_slot(EDITING)}
            south, north, west, east = THAILAND
            if not (south <= lat <= north and west <= lon <= east):
                _say(dispatcher, "ตำแหน่งนี้อยู่นอกประเทศไทยค่ะ น้องรับแจ้งเฉพาะปัญหาในประเทศไทยนะคะ")
                return {EDITING: tracker.get_slot(EDITING)}
            address = (entities.get("address") or "").strip()[:300]
            province, district = places_in(desk, address) if address else (None, None)
            update = {
                LOCATION: "map",
                LATITUDE: lat,
                LONGITUDE: lon,
                ADDRESS: address or f"พิกัด {lat:.5f}, {lon:.5f}",
            }
            if province:
                update[PROVINCE_SLOT], update[DISTRICT_SLOT] = province, district
        elif text and _SKIP_WORDS.match(text.strip()):
            update = {LOCATION: SKIP}
        elif text:
            province, district = places_in(desk, text)
            province = province or entities.get("province")
            district = district or entities.get("district")
            if not province and not _PLACE_WORDS.search(text):
                _say(
                    dispatcher,
                    "ขออภัยค่ะ น้องยังไม่ทราบว่าปัญหาอยู่ที่ไหน รบกวนบอกชื่อถนน ซอย "
                    "ตำบลหรือแขวง อำเภอหรือเขต หรือสถานที่ใกล้เคียง "
                    "หรือกดปุ่มส่งตำแหน่งด้านล่างได้เลยค่ะ",
                )
                return {EDITING: tracker.get_slot(EDITING)}
            update = {LOCATION: "typed", ADDRESS: text.strip()[:300]}
            if province:
                update[PROVINCE_SLOT], update[DISTRICT_SLOT] = province, district
        else:
            _say(dispatcher, "ขออภัยค่ะ ขั้นนี้ขอเป็นตำแหน่งหรือที่อยู่นะคะ")
            return {EDITING: tracker.get_slot(EDITING)}
        similar = await desk.run(lambda s: _similar(s, desk, tracker, update))
        update[DUPLICATE_OF] = similar
        return update

    async def _answer_duplicate(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        if intent == "affirm" or (text and _YES_WORDS.match(text.strip())):
            ticket_id = str(tracker.get_slot(DUPLICATE_OF))
            desk = shared_desk()
            sender = tracker.sender_id

            def join(session: Session) -> bool:
                ticket = session.get(tickets.Ticket, ticket_id)
                return ticket is not None and (tickets.join(session, ticket, sender) or True)

            if await desk.run(join):
                return {DUPLICATE: "joined", OUTCOME: "joined"}
            return {DUPLICATE: "new", DUPLICATE_OF: None}
        if intent == "deny" or (text and _NO_WORDS.match(text.strip())):
            return {DUPLICATE: "new"}
        return {EDITING: tracker.get_slot(EDITING)}

    async def _answer_photos(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        limit = shared_desk().settings.max_photos
        ids = list(tracker.get_slot(PHOTO_IDS) or [])
        if intent == "share_photo":
            media_id = entities.get("media_id")
            if not media_id:
                _say(dispatcher, "ขออภัยค่ะ น้องเปิดรูปนี้ไม่ได้")
                return {PHOTO_IDS: ids}
            if media_id not in ids:
                ids.append(media_id)
            if len(ids) >= limit:
                _say(dispatcher, f"ได้รับรูปครบ {limit} รูปแล้วค่ะ")
                return {PHOTO_IDS: ids, PHOTOS: str(len(ids))}
            return {PHOTO_IDS: ids}  # the question, asked again, says how many more
        if intent in {"complaint_photos_done", "deny"} or (
            text and (_DONE_WORDS.match(text.strip()) or _SKIP_WORDS.match(text.strip()))
        ):
            return {PHOTOS: str(len(ids)) if ids else SKIP}
        # Words instead of a photo: take them as more detail rather than lose them.
        if text:
            description = f"{tracker.get_slot(DESCRIPTION) or ''} {text.strip()}".strip()
            _say(dispatcher, "เพิ่มในรายละเอียดให้แล้วค่ะ")
            return {DESCRIPTION: description, PHOTO_IDS: ids}
        return {PHOTO_IDS: ids}

    async def _answer_phone(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        if intent == "deny" or (text and _SKIP_WORDS.match(text.strip())):
            return {PHONE: SKIP}
        phone = entities.get("phone") or (normalize_phone(text) if text else None)
        if phone:
            return {PHONE: phone}
        _say(dispatcher, "ขออภัยค่ะ เบอร์นี้ดูไม่ถูกต้อง เบอร์มือถือมี 10 หลัก เช่น 081 234 5678")
        return {EDITING: tracker.get_slot(EDITING)}

    async def _answer_consent(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        if intent == "affirm" or (
            text and _YES_WORDS.match(text.strip()) and not _NO_WORDS.match(text.strip())
        ):
            return {CONSENT: "yes"}
        if intent == "deny" or (text and _NO_WORDS.match(text.strip())):
            return {CONSENT: "no"}
        return {EDITING: tracker.get_slot(EDITING)}

    async def _answer_outcome(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        text: str | None,
        entities: dict[str, str],
        intent: str,
    ) -> dict[str, Any]:
        if intent in {"complaint_confirm", "affirm"} or (text and _YES_WORDS.match(text.strip())):
            return {OUTCOME: "confirmed"}
        if intent == "complaint_edit" or (text and text.strip().startswith("แก้")):
            return {EDITING: "choose"}  # the question, asked again, lists what to edit
        return {EDITING: tracker.get_slot(EDITING)}


def _similar(session: Session, desk: Desk, tracker: Tracker, update: dict[str, Any]) -> str | None:
    settings = desk.settings
    found = tickets.find_similar(
        session,
        complaint_type=str(tracker.get_slot(TYPE)),
        latitude=update.get(LATITUDE),
        longitude=update.get(LONGITUDE),
        district=update.get(DISTRICT_SLOT) or tracker.get_slot(DISTRICT_SLOT),
        description=str(tracker.get_slot(DESCRIPTION) or ""),
        line_user_id=tracker.sender_id,
        window=timedelta(days=settings.duplicate_window_days),
        radius_m=settings.duplicate_radius_m,
        min_similarity=settings.duplicate_min_similarity,
    )
    return found.id if found else None


# Every question of the intake offers a person (the hand-off's "staff button in forms").
STAFF_CHIP = {"title": "คุยกับเจ้าหน้าที่", "payload": "/request_human"}


def _ask(
    dispatcher: CollectingDispatcher, text: str, buttons: list[dict[str, str]] | None = None
) -> None:
    """A question of the intake form, with the staff chip last."""
    _say(dispatcher, text, [*(buttons or []), STAFF_CHIP])


def _location_buttons() -> list[dict[str, str]]:
    return [
        {"title": "ส่งตำแหน่งปัจจุบัน", "payload": "@location"},
        {"title": "ข้าม", "payload": "ข้าม"},
    ]


def _duplicate_buttons() -> list[dict[str, str]]:
    return [
        {"title": "ร่วมแจ้ง (+1)", "payload": "/affirm"},
        {"title": "แจ้งเรื่องใหม่", "payload": "/deny"},
    ]


def _consent_buttons(tracker: Tracker) -> list[dict[str, str]]:
    if tracker.get_slot(TYPE) == "complaint_corruption":
        return [
            {"title": "ไม่เปิดเผยตัวตน", "payload": "/deny"},
            {"title": "เปิดเผยตัวตนได้", "payload": "/affirm"},
        ]
    return [
        {"title": "ยินยอม", "payload": "/affirm"},
        {"title": "ไม่ยินยอม", "payload": "/deny"},
    ]


# The questions ---------------------------------------------------------------------


class ActionAskDescription(Action):
    """Asks for more detail when the first message was too thin."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """One question, with an example."""
        _ask(
            dispatcher,
            "ช่วยเล่ารายละเอียดเพิ่มอีกนิดนะคะ เช่น พบปัญหาอะไร ที่ไหน ตั้งแต่เมื่อไร เจ้าหน้าที่จะได้เข้าไปดูได้ถูกจุดค่ะ",
        )
        return []


class ActionAskLocation(Action):
    """Asks where: LINE's location picker, a typed address, or skip."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The question with a "send my location" chip."""
        _ask(
            dispatcher,
            "ปัญหานี้อยู่ที่ไหนคะ 📍 กดปุ่ม “ส่งตำแหน่งปัจจุบัน” หรือพิมพ์ที่อยู่ "
            "เช่น ซอย ถนน ตำบล อำเภอ จังหวัด ถ้าไม่สะดวกกด “ข้าม” ได้ค่ะ",
            _location_buttons(),
        )
        return []


class ActionAskDuplicate(Action):
    """Offers to join a similar open ticket instead of filing a new one."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_duplicate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Shows the similar ticket's public outline and asks."""
        desk = shared_desk()
        ticket_id = str(tracker.get_slot(DUPLICATE_OF))

        def load(session: Session) -> dict[str, Any] | None:
            ticket = session.get(tickets.Ticket, ticket_id)
            if ticket is None:
                return None
            # Another citizen's ticket: its public outline only, never their words.
            return cards.similar_message(ticket, _agency_name(desk, ticket.agency_id))

        card = await desk.run(load)
        if card is not None:
            _line(dispatcher, card)
        _ask(
            dispatcher,
            "มีคนแจ้งเรื่องแบบเดียวกันในบริเวณนี้ไว้แล้วค่ะ ร่วมแจ้งเรื่องนี้ (+1) "
            "เพื่อรับแจ้งความคืบหน้าไปด้วยกันไหมคะ หรือจะแจ้งเป็นเรื่องใหม่ก็ได้ค่ะ",
            _duplicate_buttons(),
        )
        return []


class ActionAskPhotos(Action):
    """Asks for up to N photos."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_photos"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The question with camera and album chips (after a photo: how many more)."""
        limit = shared_desk().settings.max_photos
        got = len(tracker.get_slot(PHOTO_IDS) or [])
        if got:
            _ask(
                dispatcher,
                f"ได้รับรูปที่ {got} แล้วค่ะ ส่งเพิ่มได้อีก {limit - got} รูป หรือกด “เสร็จแล้ว”",
                [
                    {"title": "ถ่ายรูป", "payload": "@camera"},
                    {"title": "เลือกจากอัลบั้ม", "payload": "@cameraRoll"},
                    {"title": "เสร็จแล้ว", "payload": "/complaint_photos_done"},
                ],
            )
            return []
        _ask(
            dispatcher,
            f"มีรูปถ่ายไหมคะ 📷 ส่งได้สูงสุด {limit} รูป ถ้าไม่มีกด “ไม่มีรูป” ได้เลยค่ะ",
            [
                {"title": "ถ่ายรูป", "payload": "@camera"},
                {"title": "เลือกจากอัลบั้ม", "payload": "@cameraRoll"},
                {"title": "ไม่มีรูป", "payload": "/complaint_photos_done"},
            ],
        )
        return []


class ActionAskPhone(Action):
    """Asks for an optional contact phone."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The question with a skip chip."""
        _ask(
            dispatcher,
            "ขอเบอร์โทรสำหรับให้เจ้าหน้าที่ติดต่อกลับได้ไหมคะ (ไม่บังคับ) พิมพ์เบอร์มาได้เลย หรือกด “ข้าม” ค่ะ",
            [{"title": "ข้าม", "payload": "/deny"}],
        )
        return []


class ActionAskConsent(Action):
    """Asks for consent to pass personal data to the agency (anonymity for corruption)."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """The question; for corruption reports it is framed as anonymity."""
        if tracker.get_slot(TYPE) == "complaint_corruption":
            text = (
                "ต้องการแจ้งแบบไม่เปิดเผยตัวตนไหมคะ ถ้าไม่เปิดเผย หน่วยงานจะไม่เห็นชื่อ LINE "
                "และเบอร์โทรของคุณเลย แต่คุณยังติดตามเรื่องในแชตนี้ได้ตามปกติค่ะ"
            )
        else:
            text = (
                "ยินยอมให้ส่งชื่อ LINE และเบอร์โทรของคุณให้หน่วยงานที่รับเรื่องไหมคะ "
                "เพื่อให้เจ้าหน้าที่ติดต่อกลับได้ ถ้าไม่ยินยอม หน่วยงานจะเห็นเฉพาะรายละเอียดปัญหาค่ะ"
            )
        _ask(dispatcher, text, _consent_buttons(tracker))
        return []


class ActionAskOutcome(Action):
    """The summary card: confirm, edit or cancel."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Shows where the ticket will go before the citizen confirms (or what to edit)."""
        if tracker.get_slot(EDITING) == "choose":
            buttons = [
                {"title": label, "payload": cards.payload("complaint_edit_field", field=slot)}
                for label, slot in EDIT_CHOICES
            ]
            buttons.append(
                {"title": "ไม่แก้แล้ว", "payload": cards.payload("complaint_edit_field", field="none")}
            )
            _ask(dispatcher, "ต้องการแก้ไขข้อไหนคะ", buttons)
            return []
        desk = shared_desk()
        complaint_type = str(tracker.get_slot(TYPE))
        route = desk.router.route(
            complaint_type, tracker.get_slot(PROVINCE_SLOT), _district_for_routing(tracker)
        )
        phone = tracker.get_slot(PHONE)
        _line(
            dispatcher,
            cards.summary_message(
                complaint_type=complaint_type,
                description=str(tracker.get_slot(DESCRIPTION) or ""),
                location=_location_text(tracker),
                photos=len(tracker.get_slot(PHOTO_IDS) or []),
                phone=phone if phone and phone != SKIP else None,
                share_identity=tracker.get_slot(CONSENT) == "yes",
                agency_name=route.agency.name,
            ),
        )
        return []


def _district_for_routing(tracker: Tracker) -> str | None:
    district = tracker.get_slot(DISTRICT_SLOT)
    return str(district) if district else None


def _agency_name(desk: Desk, agency_id: str) -> str:
    try:
        return desk.router.agency(agency_id).name
    except KeyError:
        return agency_id


class ActionSubmitComplaint(Action):
    """The form is over: file the ticket, or say it was cancelled or joined."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Files once per intake (a repeated confirmation finds the same ticket)."""
        outcome = tracker.get_slot(OUTCOME)
        reset = [SlotSet(slot, None) for slot in INTAKE_SLOTS]
        if outcome == "cancelled":
            _say(dispatcher, "ยกเลิกการแจ้งเรื่องนี้แล้วค่ะ หากต้องการแจ้งใหม่ พิมพ์เล่ามาได้เลยนะคะ")
            return reset
        if outcome == "handoff":
            return [*reset, *await hand_off(dispatcher, tracker, "form")]
        if outcome == "joined":
            ticket_id = tracker.get_slot(DUPLICATE_OF)
            _say(
                dispatcher,
                f"ร่วมแจ้งเรื่อง {ticket_id} เรียบร้อยแล้วค่ะ 🙏 เมื่อเรื่องมีความคืบหน้า น้องจะแจ้งให้ทราบในแชตนี้ค่ะ",
                [
                    {
                        "title": "ดูความคืบหน้า",
                        "payload": cards.payload("check_status", ticket_id=str(ticket_id)),
                    }
                ],
            )
            return reset
        if outcome != "confirmed":
            return reset
        desk = shared_desk()
        phone = tracker.get_slot(PHONE)
        intake = tickets.Intake(
            intake_key=str(tracker.get_slot(INTAKE) or uuid.uuid4().hex),
            line_user_id=tracker.sender_id,
            complaint_type=str(tracker.get_slot(TYPE)),
            description=str(tracker.get_slot(DESCRIPTION) or ""),
            province=tracker.get_slot(PROVINCE_SLOT),
            district=_district_for_routing(tracker),
            latitude=tracker.get_slot(LATITUDE),
            longitude=tracker.get_slot(LONGITUDE),
            address=tracker.get_slot(ADDRESS),
            contact_phone=phone if phone and phone != SKIP else None,
            share_identity=tracker.get_slot(CONSENT) == "yes",
            media_ids=list(tracker.get_slot(PHOTO_IDS) or []),
        )

        def file(session: Session) -> tuple[str, str, str]:
            ticket, _created = tickets.create_ticket(
                session, intake, router=desk.router, calendar=desk.calendar
            )
            return ticket.id, ticket.agency_id, cards.local_time(ticket.due_at)

        ticket_id, agency_id, due = await desk.run(file)
        _say(
            dispatcher,
            f"ส่งเรื่องเรียบร้อยแล้วค่ะ ✅\nเลขที่เรื่อง: {ticket_id}\n"
            f"หน่วยงานที่รับผิดชอบ: {_agency_name(desk, agency_id)}\n"
            f"กำหนดดำเนินการภายใน: {due}\n"
            "เมื่อมีความคืบหน้า น้องจะแจ้งในแชตนี้ หรือพิมพ์เลขที่เรื่องเพื่อติดตามได้ทุกเมื่อค่ะ",
            [{"title": "ดูสถานะ", "payload": cards.payload("check_status", ticket_id=ticket_id)}],
        )
        return reset


# After the form ----------------------------------------------------------------------


class ActionCheckStatus(Action):
    """A ticket's status card, or the citizen's recent tickets."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Only the citizen's own tickets: another's id answers like an unknown one."""
        text, entities = read_request(tracker)
        raw = entities.get("ticket_id")
        ticket_id = normalize_ticket_id(raw) if raw else None
        if raw and ticket_id is None:
            ticket_id = raw.strip().upper()
        desk = shared_desk()
        sender = tracker.sender_id

        def look(session: Session) -> dict[str, Any] | str | None:
            if ticket_id:
                ticket = tickets.for_citizen(session, ticket_id, sender)
                if ticket is None:
                    return "unknown"
                events = tickets.timeline(session, ticket.id)
                return cards.status_message(ticket, events, _agency_name(desk, ticket.agency_id))
            recent = tickets.recent_for_citizen(session, sender, limit=cards.MAX_BUBBLES)
            if not recent:
                return None
            names = {t.agency_id: _agency_name(desk, t.agency_id) for t in recent}
            return cards.tickets_message(recent, names)

        found = await desk.run(look)
        if found == "unknown":
            _say(
                dispatcher,
                f"ไม่พบเรื่องเลขที่ {ticket_id} ในเรื่องที่คุณแจ้งไว้ค่ะ รบกวนตรวจสอบเลขที่เรื่องอีกครั้ง "
                "(ขึ้นต้นด้วย DS- ตามด้วยตัวอักษรและตัวเลข 8 ตัว) หรือกดดูเรื่องทั้งหมดของคุณได้ค่ะ",
                [{"title": "เรื่องทั้งหมดของฉัน", "payload": "/check_status"}],
            )
        elif found is None:
            _say(
                dispatcher,
                "ยังไม่มีเรื่องที่คุณแจ้งไว้ในแชตนี้ค่ะ หากพบปัญหา พิมพ์เล่ามาได้เลย น้องจะช่วยส่งเรื่องให้ค่ะ",
            )
        else:
            assert isinstance(found, dict)
            _line(dispatcher, found)
        return []


class ActionRateTicket(Action):
    """Stores a 1–5 rating from the resolution notice and asks for a comment."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_rate_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Rates only the citizen's own resolved ticket."""
        _text, entities = read_request(tracker)
        ticket_id = normalize_ticket_id(entities.get("ticket_id") or "")
        try:
            rating = int(entities.get("rating") or 0)
        except ValueError:
            rating = 0
        desk = shared_desk()
        sender = tracker.sender_id

        def save(session: Session) -> str:
            ticket = tickets.for_citizen(session, ticket_id or "", sender)
            if ticket is None:
                return "unknown"
            try:
                tickets.rate(session, ticket, rating)
            except (ValueError, TransitionError):
                return "not_now"
            return "ok"

        none = [SlotSet("rating_ticket_id", None)]  # rating_form then asks nothing
        if not ticket_id or not 1 <= rating <= 5:
            _say(dispatcher, "ขออภัยค่ะ ปุ่มนี้ใช้ไม่ได้แล้ว")
            return none
        result = await desk.run(save)
        if result != "ok":
            _say(dispatcher, "ขออภัยค่ะ เรื่องนี้ยังให้คะแนนไม่ได้ในตอนนี้")
            return none
        _say(dispatcher, f"ขอบคุณสำหรับคะแนน {rating} จาก 5 ค่ะ 🙏")
        # rating_form then asks for an optional comment.
        return [SlotSet("rating_ticket_id", ticket_id), SlotSet("rating_comment", None)]


class ValidateRatingForm(FormValidationAction):
    """The one question after a rating: an optional comment."""

    def name(self) -> str:
        """As in domain.yml."""
        return "validate_rating_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: dict[str, Any],
    ) -> list[str]:
        """Nothing to ask when the rating was not taken."""
        return ["rating_comment"] if tracker.get_slot("rating_ticket_id") else []

    async def extract_rating_comment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> dict[str, Any]:
        """Any text is the comment; "no" or a button skips it."""
        if tracker.get_slot("requested_slot") != "rating_comment":
            return {}
        text, _entities = read_request(tracker)
        if _intent(tracker) == "deny" or not text or _SKIP_WORDS.match(text.strip()):
            return {"rating_comment": SKIP}
        return {"rating_comment": text.strip()}


class ActionSubmitRating(Action):
    """Stores the comment (if any) and thanks the citizen."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_submit_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Saves the comment to the ticket the rating was for."""
        comment = tracker.get_slot("rating_comment")
        ticket_id = str(tracker.get_slot("rating_ticket_id") or "")
        if not ticket_id:
            return []
        if comment and comment != SKIP:
            desk = shared_desk()
            sender = tracker.sender_id

            def save(session: Session) -> None:
                ticket = tickets.for_citizen(session, ticket_id, sender)
                if ticket is not None:
                    tickets.comment(session, ticket, str(comment))

            await desk.run(save)
            _say(dispatcher, "ได้รับความคิดเห็นแล้วค่ะ น้องจะส่งต่อให้หน่วยงานนะคะ ขอบคุณมากค่ะ")
        else:
            _say(dispatcher, "ขอบคุณค่ะ หากพบปัญหาอื่นอีก แจ้งน้องได้ตลอดนะคะ")
        return [SlotSet("rating_ticket_id", None), SlotSet("rating_comment", None)]


class ActionReopenTicket(Action):
    """ "Not solved": reopens the citizen's resolved ticket within the window."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_reopen_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Reopens, tells the other followers, and says what happens next."""
        _text, entities = read_request(tracker)
        ticket_id = normalize_ticket_id(entities.get("ticket_id") or "") or ""
        desk = shared_desk()
        sender = tracker.sender_id
        window = timedelta(days=desk.settings.reopen_window_days)

        def reopen(session: Session) -> tuple[str, list[tickets.Notice]]:
            ticket = tickets.for_citizen(session, ticket_id, sender)
            if ticket is None:
                return "unknown", []
            try:
                notices = tickets.transition(
                    session,
                    ticket,
                    "in_progress",
                    actor="citizen",
                    note="ผู้แจ้งแจ้งว่าปัญหายังไม่ได้รับการแก้ไข",
                    reopen_window=window,
                    quiet_for=sender,
                )
            except TransitionError:
                return ticket.status, []
            return "reopened", notices

        result, notices = await desk.run(reopen)
        if result == "reopened":
            await desk.announce(notices)
            _say(
                dispatcher,
                f"รับทราบค่ะ เปิดเรื่อง {ticket_id} อีกครั้งแล้ว และแจ้งหน่วยงานให้ดำเนินการต่อ "
                "น้องจะแจ้งความคืบหน้าในแชตนี้นะคะ",
            )
        elif result == "unknown":
            _say(dispatcher, "ขออภัยค่ะ ไม่พบเรื่องนี้ในเรื่องที่คุณแจ้งไว้")
        elif result == "closed":
            _say(
                dispatcher,
                f"เรื่อง {ticket_id} ปิดไปแล้วค่ะ หากปัญหายังอยู่ พิมพ์เล่ามาใหม่ได้เลย "
                "น้องจะช่วยแจ้งเป็นเรื่องใหม่ให้ค่ะ",
            )
        else:
            _say(
                dispatcher,
                f"เรื่อง {ticket_id} ยังอยู่ระหว่างดำเนินการค่ะ ({STATUS_TH.get(result, result)})",
            )
        return []
