"""Reading the citizen's answers to the intake form, as pure functions.

Each question has one reader, `(text, entities, intent, slots) -> Answer`: the slots to
set and what to say. `text` is the citizen's free text (None for a button or a LINE
event), `entities` what NLU (or a payload) found, `slots` the conversation's current
slot values. Nothing here touches Rasa or the database: the gazetteer, finding a similar
ticket and joining one are handed in as callables, so every answer can be tested alone.

Every message the citizen sends while the form is active is an answer to the current
question or a control (cancel, a person, change the type, edit a field), so the form
never stalls on an unexpected message, which matters for elderly citizens who type freely.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from actions.complaint import texts
from actions.complaint.slots import (
    ADDRESS,
    ASKED_FROM,
    ASKED_TEXT,
    CANCEL_WORDS,
    CONSENT,
    DESCRIPTION,
    DISTRICT_SLOT,
    DONE_WORDS,
    DUPLICATE,
    DUPLICATE_OF,
    EDIT_WORD,
    EDITING,
    FINAL_OUTCOMES,
    FIRST,
    HANDOFF_CONFIDENCE,
    INTAKE,
    LATITUDE,
    LOCATION,
    LONGITUDE,
    NEW_COMPLAINT_CONFIDENCE,
    NEXT_TEXT,
    NEXT_TYPE,
    NO_WORDS,
    NOT_THERE_WORDS,
    OUTCOME,
    PHONE,
    PHOTO_IDS,
    PHOTOS,
    PLACE_WORDS,
    PROVINCE_SLOT,
    REQUESTED,
    SAID_PHONE,
    SAID_PLACE,
    SKIP,
    SKIP_WORDS,
    SUMMARY_TYPE,
    THAILAND,
    TYPE,
    YES_WORDS,
)
from actions.complaint.texts import Reply
from bot.conversations.words import is_cancel
from bot.tickets import cards
from bot.tickets.lifecycle import COMPLAINT_TYPES
from nlu.entities.extract import extract_entities
from nlu.entities.parsers import (
    DISTRICT,
    PROVINCE,
    find_phones,
    normalize_phone,
    normalize_ticket_id,
)
from nlu.entities.places import PlaceMatcher

Slots = Mapping[str, Any]
Entities = Mapping[str, str]
# (province, district) a typed or LINE address names, from the gazetteer.
Places = Callable[[str], tuple[str | None, str | None]]

DEFAULT_TYPE = "complaint_official_conduct"  # when nothing says which kind of complaint


@dataclass(frozen=True)
class Answer:
    """What one message changes: the slots to set, in order, and what to say."""

    updates: dict[str, Any]
    replies: list[Reply] = field(default_factory=list)


@dataclass(frozen=True)
class SimilarQuery:
    """What finding a similar open ticket needs to know about this complaint."""

    complaint_type: str
    latitude: float | None
    longitude: float | None
    district: str | None
    description: str


def places_in(matcher: PlaceMatcher, text: str) -> tuple[str | None, str | None]:
    """(province, district) that `matcher` (the gazetteer's PlaceMatcher) finds in a typed
    or LINE address; the last district wins (Thai addresses run sub-district, district,
    province)."""
    found = extract_entities(text, places=matcher, entity_types=(PROVINCE, DISTRICT))
    province = next((m.value for m in reversed(found) if m.entity == PROVINCE), None)
    districts = [m for m in found if m.entity == DISTRICT]
    if province:
        districts = [m for m in districts if m.extra.get("province") == province] or districts
    district = districts[-1] if districts else None
    if district is not None and province is None:
        province = district.extra.get("province")
    return province, (district.value if district else None)


def _unchanged(slots: Slots, *replies: Reply) -> Answer:
    """Not an answer: the question is asked again (the editing marker is kept)."""
    return Answer({EDITING: slots.get(EDITING)}, list(replies))


def _clean(text: str | None) -> str:
    return (text or "").strip()


# Starting -----------------------------------------------------------------------------


def start(
    text: str | None,
    entities: Entities,
    intent: str,
    *,
    intake_id: str,
    min_description_chars: int,
    places: Places | None = None,
) -> Answer:
    """A new intake from the message that was understood as a complaint: its type, its
    words (as the description if long enough, else kept to prefix the detail asked for)
    and any place it names (the province and district; the address itself is offered
    when the form asks where). The caller clears the previous intake's slots first."""
    complaint_type = intent if intent in COMPLAINT_TYPES else entities.get(TYPE)
    if complaint_type not in COMPLAINT_TYPES:
        complaint_type = DEFAULT_TYPE
    updates: dict[str, Any] = {INTAKE: intake_id, TYPE: complaint_type, PHOTO_IDS: []}
    if text and len(text.strip()) >= min_description_chars:
        updates[DESCRIPTION] = text.strip()
    elif text:
        updates[FIRST] = text.strip()
    province, district = entities.get("province"), entities.get("district")
    if province or district:
        updates[PROVINCE_SLOT], updates[DISTRICT_SLOT] = province, district
    if places is not None and (place := said_place(text, places)):
        updates[SAID_PLACE] = place
    if entities.get("phone"):
        updates[SAID_PHONE] = entities["phone"]
    hint = texts.CORRUPTION_HINT if complaint_type == "complaint_corruption" else ""
    reply = texts.say(
        texts.started(cards.type_label(complaint_type), hint), [texts.CHANGE_TYPE_BUTTON]
    )
    return Answer(updates, [reply])


# Where an address starts in a complaint's own words: the words that name a place on a
# map (not "หน้า", "ข้าง" or "แถว", which also describe the problem: "ป้ายหน้าบ้านล้ม"), a
# house number, a kilometre stone, or "ถนน" followed by a name rather than by what is
# wrong with it ("ถนนรามอินทรา", never "ถนนพัง" or "ถนนเส้นนี้").
_PLACE_START = re.compile(
    r"ซอย|ซ\.\s?[ก-๙\d]|ตรอก|หมู่บ้าน|ชุมชน|แขวง|เขต(?!ทาง)|ตำบล|ต\.\s?[ก-๙]|อำเภอ|อ\.\s?[ก-๙]|"
    r"จังหวัด|จ\.\s?[ก-๙]|บ้านเลขที่|เลขที่\s?\d|\d+/\d+|หมู่(ที่)?\s?\d|ม\.\s?\d|กม\.|"
    r"(ถนน|ถ\.)\s?(?!(เป็น|พัง|ชำรุด|ทรุด|แตก|มี|ขาด|ไม่|เสีย|ยุบ|ร้าว|หลุม|น้ำ|ลื่น|มืด|ใน|หน้า|"
    r"ตรง|แถว|ที่|เส้น|สาย|ตรงนี้|ลูกรัง|ลาดยาง|คอนกรีต|ขรุขระ|เละ|โดน|ถูก|ก็|จะ|ทั้ง|ตัด|ทาง))[ก-๙A-Za-z]|"
    r"\b(soi|road|rd\.)\b|กรุงเทพ|กทม",
    re.I,
)
# A word after the address's first that still belongs to it: a number, another place word,
# or the capital's name ("ซอยลาดพร้าว 71 เขตวังทองหลาง กรุงเทพฯ"); or a province.
_PLACE_MORE = re.compile(rf"^(\d[\d/\-.]*|({_PLACE_START.pattern}).*)$", re.I)
_PLACE_TAIL = re.compile(r"(ค่ะ|ค่า+|คะ|ครับ|คับ|จ้า|จ้ะ|นะ|ด้วย|[\s.,!?~…])+$")
_SAID_PLACE_MAX = 120


def said_place(text: str | None, places: Places) -> str | None:
    """The address a complaint's own words give, to offer when the form asks where
    ("ไฟทางดับหน้าบ้านค่ะ ซอยลาดพร้าว 71 เขตวังทองหลาง" → "ซอยลาดพร้าว 71 เขตวังทองหลาง");
    None when they name no place a map would find: the words must hold a number (a soi,
    a house, a kilometre stone, a village's หมู่) or a district or province the gazetteer
    (`places`) knows, so "ไฟดับทั้งซอย" offers nothing. The citizen confirms it: a wrong
    cut costs a tap, never a wrong place on the ticket."""
    for found in _PLACE_START.finditer(text or ""):
        first, *rest = (text or "")[found.start() :].split()
        place = [first]
        for word in rest:
            if not (_PLACE_MORE.match(word) or places(word)[0]):
                break
            place.append(word)
        # "ซอยอ่อนนุช17ไฟดับค่ะ": a number followed by Thai letters ends the place.
        joined = re.split(r"(?<=\d)(?=[ก-ฮ])", " ".join(place), maxsplit=1)[0]
        joined = _PLACE_TAIL.sub("", joined)
        if not 4 <= len(joined) <= _SAID_PLACE_MAX:
            continue
        if re.search(r"\d", joined) or any(places(joined)):
            return joined
    return None


@dataclass(frozen=True)
class Reading:
    """One of the model's readings of a message: an intent and how sure it is."""

    intent: str
    confidence: float


@dataclass(frozen=True)
class Asking:
    """When the desk asks what a complaint is about (data/ask_when_unsure.yml). `groups`
    are the complaint types that reach the same agency: they count together."""

    min_confidence: float
    min_margin: float
    max_choices: int = 3
    floor: float = 0.05  # a reading less likely than this is not offered
    groups: tuple[tuple[str, ...], ...] = ()


def _askable(intent: str) -> bool:
    return intent in COMPLAINT_TYPES or intent == "service_lookup"


def _by_agency(
    readings: list[Reading], asking: Asking, keep: Callable[[str], bool]
) -> tuple[dict[str, str], dict[str, float], dict[str, Reading]]:
    """Each reading's agency group (`asking.groups`; a type alone is its own), the summed
    confidence of each group and its best reading, over the readings `keep` accepts."""
    member = {intent: group[0] for group in asking.groups for intent in group}
    mass: dict[str, float] = {}
    best: dict[str, Reading] = {}
    for reading in readings:
        if keep(reading.intent):
            group = member.get(reading.intent, reading.intent)
            mass[group] = mass.get(group, 0.0) + reading.confidence
            best.setdefault(group, reading)
    return member, mass, best


def unsure(readings: list[Reading], asking: Asking) -> list[str]:
    """The readings to offer, one per agency, the top one first; empty when the desk is
    sure: the top reading's agency holds at least `min_confidence` and leads the next
    agency (or a service question) by `min_margin`. The rule that
    `nlu.evaluation.ask.offer` measures in cross-validation."""
    if not readings or readings[0].intent not in COMPLAINT_TYPES:
        return []
    member, mass, best = _by_agency(readings, asking, _askable)
    top = member.get(readings[0].intent, readings[0].intent)
    others = sorted((g for g in mass if g != top), key=lambda g: -mass[g])
    second = mass[others[0]] if others else 0.0
    if mass[top] >= asking.min_confidence and mass[top] - second >= asking.min_margin:
        return []
    offered = [readings[0], *(best[g] for g in others if best[g].confidence >= asking.floor)]
    return [r.intent for r in offered[: asking.max_choices]]


def complaint_beneath(readings: list[Reading], asking: Asking, *, floor: float) -> list[str]:
    """For a message read as no complaint (a detail with nothing asked, chat, nothing the
    model knows): the complaint readings to offer, one per agency, best first, when the
    best of them holds at least `floor` ("ไฟหน้าบ้านดับ … ติดต่อกลับ 081…" read as a
    detail, the street light second); empty otherwise."""
    _, _, best = _by_agency(readings, asking, lambda intent: intent in COMPLAINT_TYPES)
    offered = sorted(best.values(), key=lambda r: -r.confidence)
    if not offered or offered[0].confidence < floor:
        return []
    return [r.intent for r in offered if r.confidence >= asking.floor][: asking.max_choices]


def ask_reading(
    text: str,
    offered: list[str],
    *,
    question: str = texts.ASK_READING,
    model_reading: str | None = None,
) -> Answer:
    """Asks which of the readings the citizen meant; their words wait in a slot. A choice
    other than `model_reading` (by default the first offered) becomes an NLU label."""
    buttons: list[texts.Button] = []
    for intent in offered:
        if intent == "service_lookup":
            query = text[:200]
            buttons.append(
                {
                    "title": texts.READING_SERVICE,
                    "payload": cards.payload("service_lookup", query=query),
                }
            )
        else:
            label = cards.type_label(intent)
            buttons.append(
                {
                    "title": label,
                    "payload": cards.payload("complaint_set_type", complaint_type=intent),
                }
            )
    buttons.append(texts.READING_OTHER)
    return Answer(
        {ASKED_TEXT: text, ASKED_FROM: model_reading or offered[0]},
        [texts.say(question, buttons)],
    )


def questions(slots: Slots, *, max_photos: int) -> list[str]:
    """The form's questions, in order; none once the citizen confirmed, cancelled, joined
    or asked for a person. The similar-ticket question only when there is one, photos
    only when the desk takes them."""
    if slots.get(OUTCOME) in FINAL_OUTCOMES:
        return []
    asked = [DESCRIPTION, LOCATION]
    if slots.get(DUPLICATE_OF):
        asked.append(DUPLICATE)
    if max_photos:
        asked.append(PHOTOS)
    return [*asked, PHONE, CONSENT, OUTCOME]


# Controls, whatever the question ------------------------------------------------------


def control(
    text: str | None, entities: Entities, intent: str, slots: Slots, *, confidence: float
) -> Answer | None:
    """Cancel, a person, change the type, edit a field; None when the message is none of
    these (it is then the answer to the current question)."""
    if _cancels(text, intent, slots):
        given = entities.get("intake")
        if given and given != slots.get(INTAKE):
            # The cancel button of an earlier summary: this intake goes on.
            return _unchanged(slots, texts.say(texts.OLD_CANCEL_BUTTON))
        return Answer({OUTCOME: "cancelled"})
    if intent == "request_human" and (text is None or confidence >= HANDOFF_CONFIDENCE):
        return Answer({OUTCOME: "handoff"})  # a person is asked for, not an answer
    if intent == "complaint_change_type":
        return _choose_type(slots)
    chosen = entities.get(TYPE)
    if intent == "complaint_set_type" and chosen in COMPLAINT_TYPES:
        return Answer(
            {TYPE: chosen, EDITING: None}, [texts.say(texts.type_changed(cards.type_label(chosen)))]
        )
    if intent == "complaint_edit_field" and entities.get("field"):
        if entities["field"] == TYPE:
            return _choose_type(slots)
        return edit(entities["field"])
    later = slots.get(REQUESTED) in {DUPLICATE, PHOTOS, PHONE, CONSENT, OUTCOME}
    if later and text and intent in COMPLAINT_TYPES and confidence >= NEW_COMPLAINT_CONFIDENCE:
        # Another problem, in the middle of this one: it waits until this one is done.
        return Answer(
            {NEXT_TEXT: text.strip(), NEXT_TYPE: intent, EDITING: slots.get(EDITING)},
            [texts.say(texts.one_at_a_time(cards.type_label(intent)))],
        )
    return None


def _cancels(text: str | None, intent: str, slots: Slots) -> bool:
    """Whether the message stops the intake: "ยกเลิก…", an everyday variant said whole,
    or what the model reads as cancel, except "พอแล้ว" to the photo question (enough
    photos, not enough of the report)."""
    typed = _clean(text)
    if CANCEL_WORDS.match(typed):
        return True
    if slots.get(REQUESTED) == PHOTOS and DONE_WORDS.match(typed):
        return False
    return intent == "cancel" or is_cancel(text)


def _choose_type(slots: Slots) -> Answer:
    """The type list: said now at an early question (which is asked again below it);
    from the summary it is the question itself (ActionAskOutcome), so the summary with
    the old type is not shown again until a type is chosen."""
    if slots.get(REQUESTED) == OUTCOME:
        return Answer({EDITING: SUMMARY_TYPE})
    return Answer({EDITING: "type"}, [texts.line(cards.type_choice_message())])


def edit(field: str) -> Answer:
    """The citizen chose what to change on the summary: that question is asked again."""
    if field == TYPE:
        return Answer({EDITING: "type"}, [texts.line(cards.type_choice_message())])
    if field == PHOTOS:
        return Answer({PHOTOS: None, PHOTO_IDS: [], OUTCOME: None, EDITING: None})
    if field == LOCATION:
        # A new place may have its own similar ticket (or none).
        forget = (LOCATION, LATITUDE, LONGITUDE, ADDRESS, DUPLICATE_OF, DUPLICATE, OUTCOME)
        return Answer({**dict.fromkeys(forget), EDITING: None})
    if field in {DESCRIPTION, PHONE, CONSENT}:
        return Answer({field: None, OUTCOME: None, EDITING: None})
    return Answer({EDITING: None})  # "no more edits"


# One reader per question --------------------------------------------------------------


def _photo_early(entities: Entities, intent: str, slots: Slots, ask_again: str) -> Answer | None:
    """A photo sent before the photo question: kept for the ticket (nothing a citizen
    sends is lost), and the question asked again."""
    media_id = entities.get("media_id")
    if intent != "share_photo" or not media_id:
        return None
    ids = list(slots.get(PHOTO_IDS) or [])
    if media_id not in ids and len(ids) < MAX_EARLY_PHOTOS:
        ids.append(media_id)
    return Answer({PHOTO_IDS: ids, EDITING: slots.get(EDITING)}, [texts.say(ask_again)])


MAX_EARLY_PHOTOS = 3


def description(text: str | None, entities: Entities, intent: str, slots: Slots) -> Answer:
    """More detail; a thin first message is kept in front of it."""
    if kept := _photo_early(entities, intent, slots, texts.PHOTO_KEPT_DESCRIBE):
        return kept
    if not text:
        return _unchanged(slots, texts.say(texts.DESCRIPTION_AS_TEXT))
    earlier = slots.get(FIRST)
    detail = f"{earlier} {text}".strip() if earlier else text.strip()
    updates: dict[str, Any] = {DESCRIPTION: detail, FIRST: None, EDITING: None}
    if entities.get("province") and not slots.get(PROVINCE_SLOT):
        updates[PROVINCE_SLOT] = entities["province"]
        updates[DISTRICT_SLOT] = entities.get("district")
    return Answer(updates)


def location(
    text: str | None,
    entities: Entities,
    intent: str,
    slots: Slots,
    *,
    places: Places,
    similar: Callable[[SimilarQuery], str | None],
) -> Answer:
    """Where: a LINE location (in Thailand), a typed address that names a place, or skip;
    then the id of a similar open ticket to offer joining, if there is one."""
    if kept := _photo_early(entities, intent, slots, texts.PHOTO_KEPT_WHERE):
        return kept
    updates: dict[str, Any]
    said = _said_answer(SAID_PLACE, text, intent, slots, other=_PLACE_START.search)
    if said == "no":
        # Not there: the question is asked again without the offer.
        return Answer({EDITING: slots.get(EDITING), SAID_PLACE: None})
    if said == "yes":
        address = str(slots[SAID_PLACE])
        province, district = places(address)
        updates = {LOCATION: "typed", ADDRESS: address}
        if province:
            updates[PROVINCE_SLOT], updates[DISTRICT_SLOT] = province, district
    elif intent == "share_location" and entities.get("latitude"):
        try:
            lat, lon = float(entities["latitude"]), float(entities["longitude"])
        except (KeyError, ValueError):
            return _unchanged(slots, texts.say(texts.LOCATION_UNREADABLE))
        south, north, west, east = THAILAND
        if not (south <= lat <= north and west <= lon <= east):
            return _unchanged(slots, texts.say(texts.LOCATION_ABROAD))
        address = (entities.get("address") or "").strip()[:300]
        province, district = places(address) if address else (None, None)
        updates = {
            LOCATION: "map",
            LATITUDE: lat,
            LONGITUDE: lon,
            ADDRESS: address or texts.coordinates(lat, lon),
        }
        if province:
            updates[PROVINCE_SLOT], updates[DISTRICT_SLOT] = province, district
    elif (intent == "deny" and text is None) or (text and SKIP_WORDS.match(text.strip())):
        updates = {LOCATION: SKIP}
    elif text:
        province, district = places(text)
        province = province or entities.get("province")
        district = district or entities.get("district")
        if not province and not PLACE_WORDS.search(text):
            return _unchanged(slots, texts.say(texts.LOCATION_UNKNOWN))
        updates = {LOCATION: "typed", ADDRESS: text.strip()[:300]}
        if province:
            updates[PROVINCE_SLOT], updates[DISTRICT_SLOT] = province, district
    else:
        return _unchanged(slots, texts.say(texts.LOCATION_EXPECTED))
    if slots.get(SAID_PLACE):
        updates[SAID_PLACE] = None  # answered: never offered again in this intake
    updates[DUPLICATE_OF] = similar(similar_query(slots, updates))
    return Answer(updates)


def _said_answer(
    slot: str, text: str | None, intent: str, slots: Slots, *, other: Callable[[str], Any]
) -> str | None:
    """The answer to what the complaint's words gave (SAID_PLACE, SAID_PHONE), offered
    back at its question: "yes" ("ใช่", "ใช่ค่ะ", "ถูกต้องครับ", the chip; a yes whose words
    `other` finds something else in is that other answer), "no" ("ไม่ใช่"), or None (no
    offer, or an answer of another kind)."""
    if not slots.get(slot) or slots.get(EDITING):
        return None
    if intent == "affirm" and text is None:
        return "yes"
    if text and YES_WORDS.match(text.strip()) and not other(text):
        return "yes"
    if text and NOT_THERE_WORDS.match(text.strip()):
        return "no"
    return None


def similar_query(slots: Slots, updates: Mapping[str, Any]) -> SimilarQuery:
    """The complaint as the similar-ticket search sees it, with the place just given."""
    return SimilarQuery(
        complaint_type=str(slots.get(TYPE)),
        latitude=updates.get(LATITUDE),
        longitude=updates.get(LONGITUDE),
        district=updates.get(DISTRICT_SLOT) or slots.get(DISTRICT_SLOT),
        description=str(slots.get(DESCRIPTION) or ""),
    )


def duplicate(
    text: str | None,
    entities: Entities,
    intent: str,
    slots: Slots,
    *,
    join: Callable[[str], bool],
) -> Answer:
    """Join the similar ticket (+1) or file a new one. `join(ticket_id)` adds the citizen
    to the ticket's followers; False when the ticket is gone (then it is a new one)."""
    if intent == "affirm" or (text and YES_WORDS.match(text.strip())):
        if join(str(slots.get(DUPLICATE_OF))):
            return Answer({DUPLICATE: "joined", OUTCOME: "joined"})
        return Answer({DUPLICATE: "new", DUPLICATE_OF: None})
    if intent == "deny" or (text and NO_WORDS.match(text.strip())):
        return Answer({DUPLICATE: "new"})
    return _unchanged(slots)


def photos(
    text: str | None, entities: Entities, intent: str, slots: Slots, *, limit: int
) -> Answer:
    """A photo (up to `limit`), or done; words instead are added to the description."""
    ids = list(slots.get(PHOTO_IDS) or [])
    if intent == "share_photo":
        media_id = entities.get("media_id")
        if not media_id:
            return Answer({PHOTO_IDS: ids}, [texts.say(texts.PHOTO_UNREADABLE)])
        if media_id not in ids:
            ids.append(media_id)
        if len(ids) >= limit:
            return Answer(
                {PHOTO_IDS: ids, PHOTOS: str(len(ids))}, [texts.say(texts.photos_full(limit))]
            )
        return Answer({PHOTO_IDS: ids})  # the question, asked again, says how many more
    if intent in {"complaint_photos_done", "deny"} or (
        text and (DONE_WORDS.match(text.strip()) or SKIP_WORDS.match(text.strip()))
    ):
        return Answer({PHOTOS: str(len(ids)) if ids else SKIP})
    # Words instead of a photo: take them as more detail rather than lose them.
    if text:
        detail = f"{slots.get(DESCRIPTION) or ''} {text.strip()}".strip()
        return Answer(
            {DESCRIPTION: detail, PHOTO_IDS: ids}, [texts.say(texts.WORDS_ADDED_TO_DESCRIPTION)]
        )
    return Answer({PHOTO_IDS: ids})


def phone(text: str | None, entities: Entities, intent: str, slots: Slots) -> Answer:
    """A Thai phone number, or skip; when the complaint's words gave a number, "yes" to
    it (and "ไม่ใช่" asks for another)."""
    said = _said_answer(SAID_PHONE, text, intent, slots, other=find_phones)
    forget = {SAID_PHONE: None} if slots.get(SAID_PHONE) else {}
    if said == "yes":
        return Answer({PHONE: str(slots[SAID_PHONE]), **forget})
    if said == "no":
        return Answer({EDITING: slots.get(EDITING), SAID_PHONE: None})
    if intent == "deny" or (text and SKIP_WORDS.match(text.strip())):
        return Answer({PHONE: SKIP, **forget})
    number = entities.get("phone") or (normalize_phone(text) if text else None)
    if number:
        return Answer({PHONE: number, **forget})
    return _unchanged(slots, texts.say(texts.PHONE_INVALID))


def consent(text: str | None, entities: Entities, intent: str, slots: Slots) -> Answer:
    """Yes or no to passing the citizen's name and phone to the agency."""
    clean = _clean(text)
    if intent == "affirm" or (text and YES_WORDS.match(clean) and not NO_WORDS.match(clean)):
        return Answer({CONSENT: "yes"})
    if intent == "deny" or (text and NO_WORDS.match(clean)):
        return Answer({CONSENT: "no"})
    return _unchanged(slots)


def outcome(text: str | None, entities: Entities, intent: str, slots: Slots) -> Answer:
    """On the summary: confirm, or ask what to edit (cancel is a control). A button of an
    earlier intake's summary confirms nothing here."""
    given = entities.get("intake")
    if given and given != slots.get(INTAKE):
        return _unchanged(slots, texts.say(texts.OLD_SUMMARY_BUTTON))
    if slots.get(EDITING) == SUMMARY_TYPE and intent != "complaint_confirm":
        # Choosing a type, the summary out of sight: "ใช่" or "โอเค" confirms nothing.
        return _unchanged(slots)
    if intent in {"complaint_confirm", "affirm"} or (text and YES_WORDS.match(text.strip())):
        return Answer({OUTCOME: "confirmed"})
    if intent == "complaint_edit" or (text and text.strip().startswith(EDIT_WORD)):
        return Answer({EDITING: "choose"})  # the question, asked again, lists what to edit
    return _unchanged(slots)


# After the form -----------------------------------------------------------------------


def ticket_id_asked(entities: Entities) -> str | None:
    """The ticket id a status question names, normalised when it parses (DS-XXXXXXXX),
    else as typed, upper-cased (it then matches no ticket)."""
    raw = entities.get("ticket_id")
    if not raw:
        return None
    return normalize_ticket_id(raw) or raw.strip().upper()


def ticket_id_given(entities: Entities) -> str | None:
    """The ticket id a button carries, if it is a well-formed one."""
    return normalize_ticket_id(entities.get("ticket_id") or "")


def rating_given(entities: Entities) -> tuple[str | None, int]:
    """(ticket id, rating) from a rating button; a rating of 0 when there is none."""
    ticket_id = ticket_id_given(entities)
    try:
        rating = int(entities.get("rating") or 0)
    except ValueError:
        rating = 0
    return ticket_id, rating


def rating_comment(text: str | None, intent: str) -> str:
    """Any words are the comment; "no", "cancel", a skip word or a button skips it."""
    if intent in {"deny", "cancel"} or not text or SKIP_WORDS.match(text.strip()):
        return SKIP
    if CANCEL_WORDS.match(text.strip()) or is_cancel(text):
        return SKIP
    return text.strip()
