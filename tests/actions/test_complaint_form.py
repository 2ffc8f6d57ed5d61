"""The complaint actions as the action server runs them: tracker dicts in, events and
messages out, on a real (SQLite) database migrated like production. No Rasa process."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml
from rasa_sdk import Action, Tracker, utils
from rasa_sdk.executor import ActionExecutor, CollectingDispatcher
from sqlalchemy import func, select

from actions.complaint import asking, texts
from actions.complaint.followups import (
    ActionCheckStatus,
    ActionRateTicket,
    ActionReopenTicket,
    ActionSubmitRating,
    ValidateRatingForm,
)
from actions.complaint.form import (
    ActionFormButtonOutside,
    ActionRememberShared,
    ActionStartComplaint,
    ActionSubmitComplaint,
    ValidateComplaintForm,
)
from actions.complaint.questions import (
    ActionAskConsent,
    ActionAskDescription,
    ActionAskDuplicate,
    ActionAskLocation,
    ActionAskOutcome,
    ActionAskPhone,
    ActionAskPhotos,
)
from actions.complaint.slots import (
    ADDRESS,
    ASKED_FROM,
    ASKED_TEXT,
    CONSENT,
    DESCRIPTION,
    DISTRICT_SLOT,
    DUPLICATE,
    DUPLICATE_OF,
    EDITING,
    FIRST,
    INTAKE,
    INTAKE_SLOTS,
    LATITUDE,
    LOCATION,
    LONGITUDE,
    NEXT_TEXT,
    NEXT_TYPE,
    OUTCOME,
    PENDING_PHOTOS,
    PENDING_PLACE,
    PHONE,
    PHOTO_IDS,
    PHOTOS,
    PROVINCE_SLOT,
    RATING_COMMENT,
    RATING_TICKET,
    REQUESTED,
    SKIP,
    TYPE,
)
from bot.config import ROOT, Settings
from bot.context import Context
from bot.db import migrate, unit_of_work
from bot.tickets import cards
from bot.tickets import service as tickets
from bot.tickets.lifecycle import STATUS_TH
from bot.tickets.models import NluCorrection, Ticket, TicketFollower

REDIS_URL = "redis://127.0.0.1:6379/7"  # the machine's Redis, as tests/bot uses it
ME = "U" + "c1" * 16
NEIGHBOUR = "U" + "e2" * 16
BANGKOK = "กรุงเทพมหานคร"
ROAD = "ถนนหน้าบ้านเป็นหลุมลึกมาก รถจักรยานยนต์ล้มไปสองคันแล้วค่ะ"
# Near Sanam Luang, in Phra Nakhon.
LAT, LON = 13.7563, 100.4931
ADDRESS_PHRA_NAKHON = "ถนนราชดำเนินใน แขวงพระบรมมหาราชวัง เขตพระนคร กรุงเทพมหานคร 10200"


@pytest.fixture(scope="module")
def domain() -> dict[str, Any]:
    """domain.yml, as Rasa hands it to the action server."""
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text())
    return loaded


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Context]:
    """A desk on a fresh SQLite database; Redis is the machine's, under a key prefix of
    its own that is removed afterwards."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    migrate(url)
    prefix = f"acttest{uuid.uuid4().hex[:8]}"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        max_photos=2,
        office_always_open=True,
    )
    desk = Context(settings)
    yield desk
    desk.sessions.kw["bind"].dispose()
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def tracker(
    text: str = "",
    *,
    intent: str = "inform",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    confidence: float = 0.93,
    sender: str = ME,
) -> Tracker:
    """The tracker Rasa sends after the citizen's message, the intake form active."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": confidence},
        "entities": entities or [],
        "intent_ranking": [{"name": intent, "confidence": confidence}],
        "message_id": uuid.uuid4().hex,
        "metadata": {},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender,
            "slots": dict(slots or {}),
            "latest_message": latest,
            "events": [
                {"event": "action", "name": "action_listen", "timestamp": 1.0},
                {"event": "user", "text": text, "parse_data": latest, "timestamp": 1.1},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": "complaint_form"},
            "latest_action_name": "action_listen",
        }
    )


# Each question's answer in an intake that reaches a later one (the similar-ticket
# question is asked only when there is a similar ticket).
EARLIER = {DESCRIPTION: ROAD, LOCATION: SKIP, PHOTOS: SKIP, PHONE: SKIP, CONSENT: "no"}
ORDER = [DESCRIPTION, LOCATION, DUPLICATE, PHOTOS, PHONE, CONSENT, OUTCOME]


def asked(question: str, **slots: Any) -> dict[str, Any]:
    """The slots of an intake whose current question is `question`: the questions before
    it answered, `slots` on top."""
    answered = {
        slot: value for slot, value in EARLIER.items() if ORDER.index(slot) < ORDER.index(question)
    }
    base = {
        TYPE: "complaint_road",
        INTAKE: uuid.uuid4().hex,
        PHOTO_IDS: [],
        **answered,
        REQUESTED: question,
    }
    return {**base, **slots}


async def run(
    action: Any, given: Tracker, domain: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(slots the action set — the last value of each —, messages)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, given, domain)
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}, dispatcher.messages


def asks_next(before: dict[str, Any], set_: dict[str, Any], domain: dict[str, Any]) -> str | None:
    """The question the form asks next. rasa-sdk names it only when the questions differ
    from domain.yml's list; otherwise Rasa asks the first of that list still empty."""
    if REQUESTED in set_:
        return set_[REQUESTED]
    now = {**before, **set_}
    listed = domain["forms"]["complaint_form"]["required_slots"]
    return next((slot for slot in listed if now.get(slot) is None), None)


def said(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages if m.get("text")]


def line_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m["custom"]["line"] for m in messages if (m.get("custom") or {}).get("line")]


def file_ticket(desk: Context, sender: str, **extra: Any) -> str:
    """A ticket filed by `sender` (another citizen, unless said otherwise)."""
    fields: dict[str, Any] = {
        "complaint_type": "complaint_road",
        "description": ROAD,
        "province": BANGKOK,
        "district": "พระนคร",
        "latitude": LAT,
        "longitude": LON,
        **extra,
    }
    intake = tickets.Intake(intake_key=uuid.uuid4().hex, line_user_id=sender, **fields)
    with unit_of_work(desk.sessions) as session:
        ticket, _ = tickets.create_ticket(
            session, intake, router=desk.router, calendar=desk.calendar
        )
        return ticket.id


def resolve(desk: Context, ticket_id: str) -> None:
    with unit_of_work(desk.sessions) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.transition(session, ticket, "in_progress", actor="staff")
        tickets.transition(session, ticket, "resolved", actor="staff")


def stored(desk: Context, ticket_id: str) -> Ticket:
    with unit_of_work(desk.sessions) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        return ticket


def followers(desk: Context, ticket_id: str) -> int:
    with unit_of_work(desk.sessions) as session:
        query = select(func.count()).where(TicketFollower.ticket_id == ticket_id)
        return int(session.scalar(query) or 0)


# Registration ---------------------------------------------------------------------------


def test_every_action_in_the_domain_is_registered_once(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain["actions"]) <= set(executor.actions)
    ours = [
        cls().name()
        for cls in utils.all_subclasses(Action)
        if cls.__module__.startswith("actions.") and not getattr(cls, "__abstractmethods__", None)
    ]
    assert [name for name, count in Counter(ours).items() if count > 1] == []
    complaint = {
        cls().name()
        for cls in utils.all_subclasses(Action)
        if cls.__module__.startswith("actions.complaint.")
    }
    assert complaint == {
        "action_start_complaint",
        "action_form_button_outside",
        "action_remember_shared",
        "validate_complaint_form",
        *(f"action_ask_{slot}" for slot in (DESCRIPTION, LOCATION, DUPLICATE, PHOTOS)),
        *(f"action_ask_{slot}" for slot in (PHONE, CONSENT, OUTCOME)),
        "action_submit_complaint",
        "action_check_status",
        "action_rate_ticket",
        "validate_rating_form",
        "action_submit_rating",
        "action_reopen_ticket",
    }


# Starting -------------------------------------------------------------------------------


async def test_a_new_complaint_forgets_the_last_one(desk: Context, domain: dict[str, Any]) -> None:
    previous = {PHONE: "0811111111", CONSENT: "yes", OUTCOME: "confirmed", INTAKE: "old"}
    given = tracker(
        "ไฟถนนดับ",
        intent="complaint_streetlight",
        entities=[{"entity": "province", "value": "เชียงใหม่"}],
        slots=previous,
    )
    dispatcher = CollectingDispatcher()
    events = await ActionStartComplaint(desk).run(dispatcher, given, domain)
    # Every intake slot is cleared first, then the new intake's are set.
    assert [(e["name"], e["value"]) for e in events[: len(INTAKE_SLOTS)]] == [
        (slot, None) for slot in INTAKE_SLOTS
    ]
    now = {e["name"]: e["value"] for e in events}
    assert now[PHONE] is None and now[CONSENT] is None and now[OUTCOME] is None
    assert now[TYPE] == "complaint_streetlight"
    assert now[INTAKE] not in (None, "old")
    assert now[FIRST] == "ไฟถนนดับ" and now[DESCRIPTION] is None  # too thin: ask for more
    assert now[PROVINCE_SLOT] == "เชียงใหม่"
    assert cards.type_label("complaint_streetlight") in said(dispatcher.messages)[0]


# Reading the answers ----------------------------------------------------------------


async def answer(
    desk: Context, domain: dict[str, Any], text: str, slots: dict[str, Any], **message: Any
) -> tuple[dict[str, Any], list[dict[str, Any]], str | None]:
    """One message to the form: (slots set, what was said, the question asked next)."""
    given = tracker(text, slots=slots, **message)
    set_, messages = await run(ValidateComplaintForm(desk), given, domain)
    return set_, messages, asks_next(slots, set_, domain)


async def test_the_detail_is_added_to_the_first_words_and_where_is_asked_next(
    desk: Context, domain: dict[str, Any]
) -> None:
    slots = asked(DESCRIPTION, **{DESCRIPTION: None, FIRST: "ถนนพัง"})
    set_, messages, next_ = await answer(desk, domain, "ตรงหน้าวัดสุทัศน์ค่ะ", slots)
    assert set_[DESCRIPTION] == "ถนนพัง ตรงหน้าวัดสุทัศน์ค่ะ"
    assert set_[FIRST] is None
    assert next_ == LOCATION and messages == []


async def test_a_description_must_be_words(desk: Context, domain: dict[str, Any]) -> None:
    slots = asked(DESCRIPTION, **{DESCRIPTION: None})
    photo = cards.payload("share_photo", media_id="m1")
    set_, messages, next_ = await answer(
        desk,
        domain,
        photo,
        slots,
        intent="share_photo",
        entities=[{"entity": "media_id", "value": "m1"}],
    )
    # The photo is kept for the ticket; the words are asked for again.
    assert said(messages) == [texts.PHOTO_KEPT_DESCRIBE] and set_[PHOTO_IDS] == ["m1"]
    assert DESCRIPTION not in set_ and next_ == DESCRIPTION
    sticker = cards.payload("share_sticker")
    set_, messages, next_ = await answer(desk, domain, sticker, slots, intent="share_sticker")
    assert said(messages) == [texts.DESCRIPTION_AS_TEXT] and next_ == DESCRIPTION


async def test_a_line_location_keeps_its_coordinates_and_place(
    desk: Context, domain: dict[str, Any]
) -> None:
    shared = cards.payload(
        "share_location", latitude=LAT, longitude=LON, address=ADDRESS_PHRA_NAKHON
    )
    set_, messages, next_ = await answer(
        desk, domain, shared, asked(LOCATION), intent="share_location"
    )
    # Not the form's questions, yet kept: rasa-sdk alone would drop these.
    assert (set_[LATITUDE], set_[LONGITUDE]) == (LAT, LON)
    assert set_[ADDRESS] == ADDRESS_PHRA_NAKHON
    assert (set_[PROVINCE_SLOT], set_[DISTRICT_SLOT]) == (BANGKOK, "พระนคร")
    assert set_[LOCATION] == "map" and set_[DUPLICATE_OF] is None
    assert next_ == PHOTOS and messages == []


async def test_a_location_abroad_is_refused_and_asked_again(
    desk: Context, domain: dict[str, Any]
) -> None:
    tokyo = cards.payload("share_location", latitude=35.6812, longitude=139.7671, address="Tokyo")
    set_, messages, next_ = await answer(
        desk, domain, tokyo, asked(LOCATION), intent="share_location"
    )
    assert said(messages) == [texts.LOCATION_ABROAD]
    assert LOCATION not in set_ and LATITUDE not in set_
    assert next_ == LOCATION


async def test_a_typed_place(desk: Context, domain: dict[str, Any]) -> None:
    set_, _, next_ = await answer(desk, domain, "หน้าตลาดอำเภอเมืองเชียงใหม่", asked(LOCATION))
    assert set_[LOCATION] == "typed"
    assert (set_[PROVINCE_SLOT], set_[DISTRICT_SLOT]) == ("เชียงใหม่", "เมืองเชียงใหม่")
    assert next_ == PHOTOS


async def test_words_that_name_no_place_are_asked_again(
    desk: Context, domain: dict[str, Any]
) -> None:
    set_, messages, next_ = await answer(desk, domain, "ไม่รู้สิ", asked(LOCATION))
    assert said(messages) == [texts.LOCATION_UNKNOWN]
    assert LOCATION not in set_ and next_ == LOCATION


async def test_a_similar_ticket_nearby_is_offered_and_joined(
    desk: Context, domain: dict[str, Any]
) -> None:
    theirs = file_ticket(desk, NEIGHBOUR)
    near = cards.payload(
        "share_location", latitude=LAT + 0.0005, longitude=LON, address=ADDRESS_PHRA_NAKHON
    )
    set_, _, next_ = await answer(desk, domain, near, asked(LOCATION), intent="share_location")
    assert set_[DUPLICATE_OF] == theirs
    assert next_ == DUPLICATE

    slots = asked(DUPLICATE, **{k: v for k, v in set_.items() if k != REQUESTED})
    _, question = await run(ActionAskDuplicate(desk), tracker(slots=slots), domain)
    (card,) = line_messages(question)
    assert card["type"] == "flex"
    assert ROAD not in str(card)  # another citizen's words are never shown
    assert said(question) == [texts.ASK_DUPLICATE]

    joined, _, next_ = await answer(desk, domain, "/affirm", slots, intent="affirm")
    assert joined[DUPLICATE] == "joined" and joined[OUTCOME] == "joined"
    assert next_ is None  # the form is over
    assert followers(desk, theirs) == 2

    done, messages = await run(
        ActionSubmitComplaint(desk), tracker(slots={**slots, **joined}), domain
    )
    assert said(messages) == [texts.joined(theirs)]
    assert all(done[slot] is None for slot in INTAKE_SLOTS)
    with unit_of_work(desk.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1  # nothing new


async def test_a_similar_ticket_declined(desk: Context, domain: dict[str, Any]) -> None:
    theirs = file_ticket(desk, NEIGHBOUR)
    slots = asked(DUPLICATE, **{DUPLICATE_OF: theirs})
    set_, _, next_ = await answer(desk, domain, "/deny", slots, intent="deny")
    assert set_[DUPLICATE] == "new" and next_ == PHOTOS
    assert followers(desk, theirs) == 1


async def test_my_own_ticket_is_not_offered_as_similar(
    desk: Context, domain: dict[str, Any]
) -> None:
    file_ticket(desk, ME)
    near = cards.payload("share_location", latitude=LAT, longitude=LON, address="")
    set_, _, _ = await answer(desk, domain, near, asked(LOCATION), intent="share_location")
    assert set_[DUPLICATE_OF] is None


async def test_a_similar_ticket_that_is_gone_is_filed_anew(
    desk: Context, domain: dict[str, Any]
) -> None:
    slots = asked(DUPLICATE, **{DUPLICATE_OF: "DS-0000GONE"})
    set_, _, next_ = await answer(desk, domain, "ใช่ค่ะ", slots)
    assert set_[DUPLICATE] == "new" and set_[DUPLICATE_OF] is None
    assert next_ == PHOTOS


async def test_photos_then_how_many_more(desk: Context, domain: dict[str, Any]) -> None:
    first = cards.payload("share_photo", media_id="m1")
    set_, _, next_ = await answer(desk, domain, first, asked(PHOTOS), intent="share_photo")
    assert set_[PHOTO_IDS] == ["m1"] and next_ == PHOTOS

    slots = asked(PHOTOS, **{PHOTO_IDS: ["m1"]})
    _, question = await run(ActionAskPhotos(desk), tracker(slots=slots), domain)
    assert said(question) == [texts.ask_more_photos(1, desk.settings.max_photos)]
    payloads = [b["payload"] for b in question[0]["buttons"]]
    assert texts.PHOTOS_DONE_BUTTON["payload"] in payloads

    second = cards.payload("share_photo", media_id="m2")
    set_, messages, next_ = await answer(desk, domain, second, slots, intent="share_photo")
    assert set_[PHOTO_IDS] == ["m1", "m2"] and set_[PHOTOS] == "2"
    assert said(messages) == [texts.photos_full(2)]
    assert next_ == PHONE


async def test_no_photo_question_when_the_desk_takes_none(
    desk: Context, domain: dict[str, Any]
) -> None:
    desk.settings.max_photos = 0
    set_, _, next_ = await answer(desk, domain, "หน้าตลาดอำเภอเมืองเชียงใหม่", asked(LOCATION))
    assert set_[REQUESTED] == PHONE == next_  # rasa-sdk names it: the list differs


async def test_a_wrong_phone_then_a_right_one(desk: Context, domain: dict[str, Any]) -> None:
    slots = asked(PHONE, **{PHOTOS: SKIP})
    set_, messages, next_ = await answer(desk, domain, "12345", slots)
    assert said(messages) == [texts.PHONE_INVALID]
    assert PHONE not in set_ and next_ == PHONE
    set_, _, next_ = await answer(desk, domain, "081-234-5678", slots)
    assert set_[PHONE] == "0812345678" and next_ == CONSENT


@pytest.mark.parametrize("skip", ["ข้าม", "ไม่สะดวกค่ะ", "/deny"])
async def test_the_phone_may_be_skipped(desk: Context, domain: dict[str, Any], skip: str) -> None:
    intent = "deny" if skip.startswith("/") else "inform"
    set_, _, next_ = await answer(desk, domain, skip, asked(PHONE, **{PHOTOS: SKIP}), intent=intent)
    assert set_[PHONE] == SKIP and next_ == CONSENT


async def test_consent_then_the_summary(desk: Context, domain: dict[str, Any]) -> None:
    slots = asked(CONSENT, **{PHOTOS: SKIP, PHONE: SKIP})
    set_, _, next_ = await answer(desk, domain, "/affirm", slots, intent="affirm")
    assert set_[CONSENT] == "yes" and next_ == OUTCOME
    set_, _, next_ = await answer(desk, domain, "ไม่ยินยอมค่ะ", slots)
    assert set_[CONSENT] == "no" and next_ == OUTCOME


async def test_the_summary_names_the_agency_routing_chose(
    desk: Context, domain: dict[str, Any]
) -> None:
    slots = asked(
        OUTCOME,
        **{
            ADDRESS: "ซอย 5",
            PROVINCE_SLOT: BANGKOK,
            DISTRICT_SLOT: "พระนคร",
            PHONE: "0812345678",
            CONSENT: "yes",
            PHOTOS: SKIP,
        },
    )
    _, messages = await run(ActionAskOutcome(desk), tracker(slots=slots), domain)
    (card,) = line_messages(messages)
    agency = desk.router.route("complaint_road", BANGKOK, "พระนคร").agency.name
    assert agency in str(card) and "0812345678" in str(card)
    assert "ซอย 5" in str(card)

    _, choices = await run(
        ActionAskOutcome(desk), tracker(slots={**slots, EDITING: "choose"}), domain
    )
    assert said(choices) == [texts.ASK_EDIT]
    payloads = [b["payload"] for b in choices[0]["buttons"]]
    assert cards.payload("complaint_edit_field", field=LOCATION) in payloads


async def test_confirming_files_one_ticket(desk: Context, domain: dict[str, Any]) -> None:
    slots = asked(
        OUTCOME,
        **{
            LOCATION: "typed",
            ADDRESS: "ซอย 5",
            PROVINCE_SLOT: BANGKOK,
            DISTRICT_SLOT: "พระนคร",
            PHONE: "0812345678",
            CONSENT: "no",
            PHOTOS: SKIP,
        },
    )
    unclear, _, next_ = await answer(desk, domain, "อืม", slots)
    assert OUTCOME not in unclear and next_ == OUTCOME
    set_, _, next_ = await answer(
        desk, domain, "/complaint_confirm", slots, intent="complaint_confirm"
    )
    assert set_[OUTCOME] == "confirmed" and next_ is None
    confirmed = {**slots, **set_}

    done, messages = await run(ActionSubmitComplaint(desk), tracker(slots=confirmed), domain)
    assert all(done[slot] is None for slot in INTAKE_SLOTS)
    with unit_of_work(desk.sessions) as session:
        (ticket,) = session.scalars(select(Ticket)).all()
        ticket_id = ticket.id
    assert ticket_id in said(messages)[0]
    assert messages[0]["buttons"][0]["payload"] == cards.payload(
        "check_status", ticket_id=ticket_id
    )
    filed = stored(desk, ticket_id)
    assert filed.description == ROAD and filed.district == "พระนคร"
    assert filed.contact_phone == "0812345678" and filed.share_identity is False
    # The same intake confirmed twice (a retried request) files once.
    await run(ActionSubmitComplaint(desk), tracker(slots=confirmed), domain)
    with unit_of_work(desk.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 1


# Controls -----------------------------------------------------------------------------------


@pytest.mark.parametrize("question", [DESCRIPTION, LOCATION, PHOTOS, PHONE, CONSENT, OUTCOME])
async def test_cancel_at_any_question_ends_the_form(
    desk: Context, domain: dict[str, Any], question: str
) -> None:
    slots = asked(question)
    set_, _, next_ = await answer(desk, domain, "ยกเลิก", slots)
    # The form is over, so no question is required any more: the outcome must survive.
    assert set_[OUTCOME] == "cancelled" and next_ is None
    done, messages = await run(
        ActionSubmitComplaint(desk), tracker(slots={**slots, **set_}), domain
    )
    assert said(messages) == [texts.CANCELLED] and done[OUTCOME] is None


async def test_a_person_asked_for_mid_form(desk: Context, domain: dict[str, Any]) -> None:
    slots = asked(PHONE, **{PHOTOS: SKIP})
    typed = "ขอคุยกับเจ้าหน้าที่หน่อย"
    unsure, messages, next_ = await answer(
        desk, domain, typed, slots, intent="request_human", confidence=0.4
    )
    assert OUTCOME not in unsure and said(messages) == [texts.PHONE_INVALID]
    assert next_ == PHONE
    sure, _, next_ = await answer(
        desk, domain, typed, slots, intent="request_human", confidence=0.9
    )
    assert sure[OUTCOME] == "handoff" and next_ is None

    done, messages = await run(
        ActionSubmitComplaint(desk), tracker(slots={**slots, **sure}), domain
    )
    assert done["handoff_requested"] is True
    assert line_messages(messages)  # the queue position, as the hand-off says it
    assert all(done[slot] is None for slot in INTAKE_SLOTS)


async def test_changing_and_setting_the_type_mid_form(
    desk: Context, domain: dict[str, Any]
) -> None:
    slots = asked(CONSENT, **{PHOTOS: SKIP, PHONE: SKIP})
    set_, messages, next_ = await answer(
        desk, domain, "/complaint_change_type", slots, intent="complaint_change_type"
    )
    assert set_[EDITING] == "type" and next_ == CONSENT
    assert line_messages(messages) == [cards.type_choice_message()]

    chosen = cards.payload("complaint_set_type", complaint_type="complaint_flooding")
    set_, messages, next_ = await answer(
        desk, domain, chosen, {**slots, **set_}, intent="complaint_set_type"
    )
    assert set_[TYPE] == "complaint_flooding" and set_[EDITING] is None
    assert said(messages) == [texts.type_changed(cards.type_label("complaint_flooding"))]
    assert next_ == CONSENT


async def test_editing_the_place_on_the_summary_asks_where_again(
    desk: Context, domain: dict[str, Any]
) -> None:
    slots = asked(
        OUTCOME,
        **{
            LOCATION: "map",
            LATITUDE: LAT,
            LONGITUDE: LON,
            ADDRESS: "x",
            PHOTOS: SKIP,
            PHONE: SKIP,
            CONSENT: "no",
        },
    )
    set_, _, next_ = await answer(desk, domain, "แก้ไขค่ะ", slots)
    assert set_ == {EDITING: "choose"} and next_ == OUTCOME  # the choice is shown
    edit = cards.payload("complaint_edit_field", field=LOCATION)
    set_, _, next_ = await answer(
        desk, domain, edit, {**slots, EDITING: "choose"}, intent="complaint_edit_field"
    )
    assert set_[LOCATION] is None and set_[LATITUDE] is None and set_[ADDRESS] is None
    assert set_[EDITING] is None and next_ == LOCATION


async def test_a_message_for_another_question_is_not_read(
    desk: Context, domain: dict[str, Any]
) -> None:
    # No question asked yet (the form just started): nothing is read.
    slots = asked(PHONE, **{REQUESTED: None})
    set_, messages = await run(
        ValidateComplaintForm(desk), tracker("0812345678", slots=slots), domain
    )
    assert PHONE not in set_ and messages == []


async def test_validate_methods_are_still_called(desk: Context, domain: dict[str, Any]) -> None:
    form = ValidateComplaintForm(desk)
    seen: list[tuple[str, Any]] = []

    def masked(value: Any, *_: Any) -> dict[str, Any]:
        seen.append((PHONE, value))
        return {PHONE: "0800000000"}

    async def flooding(value: Any, *_: Any) -> dict[str, Any]:
        seen.append((TYPE, value))
        return {TYPE: "complaint_flooding"}

    # As a subclass would define them (set on the instance so no Action is registered).
    setattr(form, "validate_complaint_phone", masked)  # noqa: B010
    setattr(form, "validate_complaint_type", flooding)  # noqa: B010
    slots = asked(PHONE, **{PHOTOS: SKIP})
    set_, _ = await run(form, tracker("081-234-5678", slots=slots), domain)
    assert seen == [(PHONE, "0812345678")]
    assert set_[PHONE] == "0800000000"

    seen.clear()
    chosen = cards.payload("complaint_set_type", complaint_type="complaint_noise")
    set_, _ = await run(form, tracker(chosen, intent="complaint_set_type", slots=slots), domain)
    assert seen == [(TYPE, "complaint_noise")] and set_[TYPE] == "complaint_flooding"


# The questions -----------------------------------------------------------------------------


async def test_every_question_offers_a_person_last(desk: Context, domain: dict[str, Any]) -> None:
    theirs = file_ticket(desk, NEIGHBOUR)
    slots = asked(DESCRIPTION, **{DUPLICATE_OF: theirs, PROVINCE_SLOT: BANGKOK})
    questions: list[Action] = [
        ActionAskDescription(),
        ActionAskLocation(),
        ActionAskDuplicate(desk),
        ActionAskPhotos(desk),
        ActionAskPhone(),
        ActionAskConsent(),
    ]
    for question in questions:
        _, messages = await run(question, tracker(slots=slots), domain)
        assert messages[-1]["buttons"][-1] == texts.STAFF_CHIP, question.name()
    _, edit = await run(ActionAskOutcome(desk), tracker(slots={**slots, EDITING: "choose"}), domain)
    assert edit[-1]["buttons"][-1] == texts.STAFF_CHIP


async def test_the_consent_question_for_corruption_is_about_anonymity(
    domain: dict[str, Any],
) -> None:
    _, plain = await run(ActionAskConsent(), tracker(slots=asked(CONSENT)), domain)
    assert said(plain) == [texts.ASK_CONSENT]
    corruption = asked(CONSENT, **{TYPE: "complaint_corruption"})
    _, anonymous = await run(ActionAskConsent(), tracker(slots=corruption), domain)
    assert said(anonymous) == [texts.ASK_ANONYMITY]
    # "Stay anonymous" (deny) comes first: the safe choice for a whistle-blower.
    assert anonymous[0]["buttons"][0]["payload"] == "/deny"


# After the form --------------------------------------------------------------------------


async def test_status_of_my_ticket_and_of_someone_elses(
    desk: Context, domain: dict[str, Any]
) -> None:
    mine = file_ticket(desk, ME)
    theirs = file_ticket(desk, NEIGHBOUR)
    status = ActionCheckStatus(desk)

    _, messages = await run(
        status,
        tracker(
            f"ขอดูเรื่อง {mine.lower()}", entities=[{"entity": "ticket_id", "value": mine.lower()}]
        ),
        domain,
    )
    (card,) = line_messages(messages)
    assert mine in str(card)

    _, other = await run(
        status, tracker("x", entities=[{"entity": "ticket_id", "value": theirs}]), domain
    )
    unknown = "DS-" + "Z" * 8
    _, missing = await run(
        status, tracker("x", entities=[{"entity": "ticket_id", "value": unknown}]), domain
    )
    assert said(other) == [texts.unknown_ticket(theirs)]
    assert said(missing) == [texts.unknown_ticket(unknown)]

    _, none = await run(status, tracker("เรื่องของฉัน", sender="U" + "f0" * 16), domain)
    assert said(none) == [texts.NO_TICKETS]

    # A resolved ticket's card offers to reopen it ("still not fixed"), an open one not.
    assert "/reopen_ticket" not in str(card)
    resolve(desk, mine)
    asked = tracker("x", entities=[{"entity": "ticket_id", "value": mine}])
    _, messages = await run(status, asked, domain)
    (resolved,) = line_messages(messages)
    assert cards.payload("reopen_ticket", ticket_id=mine) in str(resolved)


async def test_rating_then_a_comment(desk: Context, domain: dict[str, Any]) -> None:
    ticket_id = file_ticket(desk, ME)
    button = [{"entity": "ticket_id", "value": ticket_id}, {"entity": "rating", "value": "4"}]
    # Not resolved yet: no rating.
    set_, messages = await run(ActionRateTicket(desk), tracker(entities=button), domain)
    assert said(messages) == [texts.RATING_NOT_NOW] and set_[RATING_TICKET] is None

    resolve(desk, ticket_id)
    set_, messages = await run(ActionRateTicket(desk), tracker(entities=button), domain)
    assert said(messages) == [texts.rated(4)]
    assert set_ == {RATING_TICKET: ticket_id, RATING_COMMENT: None}
    assert stored(desk, ticket_id).rating == 4

    slots = {RATING_TICKET: ticket_id, REQUESTED: RATING_COMMENT}
    comment, _ = await run(
        ValidateRatingForm(), tracker(" ซ่อมเร็วมาก ขอบคุณค่ะ ", slots=slots), domain
    )
    assert comment[RATING_COMMENT] == "ซ่อมเร็วมาก ขอบคุณค่ะ"
    done, messages = await run(
        ActionSubmitRating(desk), tracker(slots={**slots, **comment}), domain
    )
    assert said(messages) == [texts.COMMENT_RECEIVED]
    assert done == {RATING_TICKET: None, RATING_COMMENT: None}
    assert stored(desk, ticket_id).rating_comment == "ซ่อมเร็วมาก ขอบคุณค่ะ"


async def test_a_stale_rating_button(desk: Context, domain: dict[str, Any]) -> None:
    button = [{"entity": "ticket_id", "value": "nonsense"}, {"entity": "rating", "value": "5"}]
    set_, messages = await run(ActionRateTicket(desk), tracker(entities=button), domain)
    assert said(messages) == [texts.RATING_BUTTON_STALE] and set_ == {RATING_TICKET: None}


async def test_no_comment_after_a_rating(desk: Context, domain: dict[str, Any]) -> None:
    ticket_id = file_ticket(desk, ME)
    slots = {RATING_TICKET: ticket_id, REQUESTED: RATING_COMMENT}
    comment, _ = await run(
        ValidateRatingForm(), tracker("/deny", intent="deny", slots=slots), domain
    )
    assert comment[RATING_COMMENT] == SKIP
    _, messages = await run(ActionSubmitRating(desk), tracker(slots={**slots, **comment}), domain)
    assert said(messages) == [texts.NO_COMMENT]
    assert stored(desk, ticket_id).rating_comment is None


def queued(desk: Context) -> int:
    """Entries on the desk's event streams (notices the worker would push)."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        streams = client.scan_iter(f"{desk.settings.redis_prefix}:events:*")
        return sum(int(client.xlen(stream)) for stream in streams)
    finally:
        client.close()


async def test_reopening_tells_the_others_who_follow(desk: Context, domain: dict[str, Any]) -> None:
    ticket_id = file_ticket(desk, ME)
    with unit_of_work(desk.sessions) as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket is not None
        tickets.join(session, ticket, NEIGHBOUR)
    button = [{"entity": "ticket_id", "value": ticket_id}]
    _, still_open = await run(ActionReopenTicket(desk), tracker(entities=button), domain)
    assert said(still_open) == [texts.reopen_still_open(ticket_id, STATUS_TH["received"])]

    resolve(desk, ticket_id)
    before = queued(desk)
    _, messages = await run(ActionReopenTicket(desk), tracker(entities=button), domain)
    assert said(messages) == [texts.reopened(ticket_id)]
    reopened = stored(desk, ticket_id)
    assert reopened.status == "in_progress" and reopened.reopen_count == 1
    assert queued(desk) == before + 1  # the neighbour hears of it; the citizen was told here

    theirs = file_ticket(desk, NEIGHBOUR)
    _, other = await run(
        ActionReopenTicket(desk),
        tracker(entities=[{"entity": "ticket_id", "value": theirs}]),
        domain,
    )
    assert said(other) == [texts.REOPEN_UNKNOWN]


# Asking when unsure, and buttons outside the intake ------------------------------------


def ranked(text: str, *readings: tuple[str, float], slots: dict[str, Any] | None = None) -> Tracker:
    """A typed message with the model's ranking of it (the top one first)."""
    given = tracker(text, intent=readings[0][0], confidence=readings[0][1], slots=slots)
    given.latest_message["intent_ranking"] = [{"name": n, "confidence": c} for n, c in readings]
    return given


def buttons_of(messages: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


SIDEWALK = "มีรถกระบะจอดขวางทางเท้าหน้าปากซอยทุกวันเลยค่ะ คนเดินต้องลงไปเดินบนถนน"


async def test_an_unsure_complaint_is_asked_about_and_the_choice_keeps_the_words(
    desk: Context, domain: dict[str, Any]
) -> None:
    given = ranked(
        SIDEWALK,
        ("complaint_traffic", 0.44),
        ("complaint_road", 0.39),
        ("service_lookup", 0.08),
        ("greet", 0.05),
    )
    dispatcher = CollectingDispatcher()
    events = await ActionStartComplaint(desk).run(dispatcher, given, domain)
    assert events[-1] == {"event": "followup", "name": "action_listen", "timestamp": None}
    asked_slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert asked_slots == {ASKED_TEXT: SIDEWALK, ASKED_FROM: "complaint_traffic"}
    assert INTAKE not in asked_slots  # nothing started yet
    offered = buttons_of(dispatcher.messages)
    assert offered[0] == cards.payload("complaint_set_type", complaint_type="complaint_traffic")
    assert offered[1] == cards.payload("complaint_set_type", complaint_type="complaint_road")
    assert offered[2].startswith("/service_lookup") and "ทางเท้า" in offered[2]
    assert offered[-1] == "/complaint_change_type" and len(offered) == 4

    # The citizen taps "road": the intake starts with their words and that type.
    chose = tracker(
        '/complaint_set_type{"complaint_type":"complaint_road"}',
        intent="complaint_set_type",
        entities=[{"entity": "complaint_type", "value": "complaint_road"}],
        slots=asked_slots,
    )
    set_, messages = await run(ActionStartComplaint(desk), chose, domain)
    assert set_[TYPE] == "complaint_road" and set_[DESCRIPTION] == SIDEWALK
    assert set_[ASKED_TEXT] is None and ASKED_FROM not in set_  # kept for the label
    assert cards.type_label("complaint_road") in said(messages)[0]

    # Filed: their choice becomes a label in the NLU inbox (their words, their type).
    filing = tracker(
        slots={
            **asked(OUTCOME),
            DESCRIPTION: SIDEWALK,
            OUTCOME: "confirmed",
            ASKED_FROM: "complaint_traffic",
        }
    )
    set_, _ = await run(ActionSubmitComplaint(desk), filing, domain)
    assert set_[ASKED_FROM] is None
    with desk.sessions() as session:
        [label] = session.scalars(
            select(NluCorrection).where(NluCorrection.from_type == "complaint_traffic")
        ).all()
        assert label.to_type == "complaint_road" and label.staff_id is None
        assert session.get_one(Ticket, label.ticket_id).description == SIDEWALK


@pytest.mark.parametrize("case", ["sure", "the close one is not a complaint"])
async def test_a_sure_reading_starts_the_intake_at_once(
    desk: Context, domain: dict[str, Any], case: str
) -> None:
    # Just above the shipped threshold (data/ask_when_unsure.yml), whatever it is.
    sure = asking.thresholds().min_confidence + 0.01
    readings = {
        "sure": [("complaint_road", 0.91), ("complaint_traffic", 0.04)],
        "the close one is not a complaint": [("complaint_road", sure), ("greet", 1 - sure)],
    }[case]
    set_, messages = await run(ActionStartComplaint(desk), ranked(ROAD, *readings), domain)
    assert set_[TYPE] == "complaint_road" and set_[DESCRIPTION] == ROAD
    assert ASKED_TEXT not in buttons_of(messages)


async def test_a_form_button_after_the_form_says_what_it_refers_to(
    desk: Context, domain: dict[str, Any]
) -> None:
    intake = uuid.uuid4().hex
    filed = tickets.Intake(
        intake_key=intake, line_user_id=ME, complaint_type="complaint_road", description=ROAD
    )
    with unit_of_work(desk.sessions) as session:
        ticket, _ = tickets.create_ticket(
            session, filed, router=desk.router, calendar=desk.calendar
        )
    again = tracker(
        f'/complaint_confirm{{"intake":"{intake}"}}',
        intent="complaint_confirm",
        entities=[{"entity": "intake", "value": intake}],
    )
    _, messages = await run(ActionFormButtonOutside(desk), again, domain)
    assert f"เรื่องนี้ส่งแล้วค่ะ หมายเลข {ticket.id}" in said(messages)[0]
    assert cards.payload("check_status", ticket_id=ticket.id) in buttons_of(messages)

    # Another citizen's intake, or one that filed nothing: nothing to point at.
    other = tracker(
        f'/complaint_confirm{{"intake":"{intake}"}}',
        intent="complaint_confirm",
        entities=[{"entity": "intake", "value": intake}],
        sender=NEIGHBOUR,
    )
    _, messages = await run(ActionFormButtonOutside(desk), other, domain)
    assert said(messages) == [texts.STALE_NO_TICKET]
    types = tracker("/complaint_change_type", intent="complaint_change_type")
    _, messages = await run(ActionFormButtonOutside(desk), types, domain)
    assert line_messages(messages)[0]["altText"] == "เลือกประเภทเรื่องที่ต้องการแจ้ง"


async def test_an_earlier_summarys_button_confirms_nothing(
    desk: Context, domain: dict[str, Any]
) -> None:
    set_, messages, next_ = await answer(
        desk,
        domain,
        '/complaint_confirm{"intake":"an-earlier-one"}',
        asked(OUTCOME),
        intent="complaint_confirm",
        entities=[{"entity": "intake", "value": "an-earlier-one"}],
    )
    assert set_.get(OUTCOME) is None and next_ == OUTCOME  # the summary is asked again
    assert said(messages) == [texts.OLD_SUMMARY_BUTTON]


async def test_another_complaint_typed_mid_intake_waits_its_turn(
    desk: Context, domain: dict[str, Any]
) -> None:
    other = "แล้วก็ไฟถนนหน้าบ้านดับมาสามวันแล้วค่ะ"
    slots = asked(PHONE)
    set_, messages, next_ = await answer(
        desk, domain, other, slots, intent="complaint_streetlight", confidence=0.91
    )
    assert set_[NEXT_TEXT] == other and set_[NEXT_TYPE] == "complaint_streetlight"
    assert next_ == PHONE and set_.get(PHONE) is None  # the phone is asked again
    assert cards.type_label("complaint_streetlight") in said(messages)[0]
    # Unsure it is another complaint: it is read as the answer, as before.
    set_, _, _ = await answer(
        desk, domain, other, slots, intent="complaint_streetlight", confidence=0.5
    )
    assert NEXT_TEXT not in set_

    done = tracker(
        slots={
            **asked(OUTCOME),
            OUTCOME: "confirmed",
            NEXT_TEXT: other,
            NEXT_TYPE: "complaint_streetlight",
        }
    )
    set_, messages = await run(ActionSubmitComplaint(desk), done, domain)
    assert "DS-" in said(messages)[0]  # this one is filed first
    offer = messages[-1]
    assert cards.type_label("complaint_streetlight") in offer["text"]
    assert offer["buttons"][0]["payload"] == cards.payload(
        "complaint_set_type", complaint_type="complaint_streetlight"
    )
    assert set_[ASKED_TEXT] == other and set_[NEXT_TEXT] is None  # its words wait for the tap


async def test_a_neighbour_who_joined_never_reads_the_first_reporters_words(
    desk: Context, domain: dict[str, Any]
) -> None:
    words = "ถนนหน้าบ้านเลขที่ 99/1 ของนางสมศรี เป็นหลุมลึกมากค่ะ"
    ticket_id = file_ticket(desk, ME, description=words)
    with unit_of_work(desk.sessions) as session:
        tickets.join(session, session.get_one(Ticket, ticket_id), NEIGHBOUR)
    status = ActionCheckStatus(desk)
    asked = [{"entity": "ticket_id", "value": ticket_id}]
    _, theirs = await run(status, tracker("x", entities=asked, sender=NEIGHBOUR), domain)
    _, listed = await run(status, tracker("เรื่องของฉัน", sender=NEIGHBOUR), domain)
    for card in (*line_messages(theirs), *line_messages(listed)):
        assert "99/1" not in str(card) and "สมศรี" not in str(card)
        assert cards.NOT_YOURS in str(card) and ticket_id in str(card)
    _, mine = await run(status, tracker("x", entities=asked), domain)
    assert "99/1" in str(line_messages(mine))  # the reporter still reads their own words


async def test_the_first_question_lets_the_citizen_correct_the_type(
    desk: Context, domain: dict[str, Any]
) -> None:
    # LINE shows only the last message's chips: the question after "รับแจ้งเรื่อง" must
    # carry "change type", or it is never seen.
    _, messages = await run(ActionAskLocation(), tracker(slots=asked(LOCATION)), domain)
    assert "/complaint_change_type" in buttons_of(messages)
    editing = tracker(slots=asked(LOCATION, **{EDITING: "location"}))
    _, messages = await run(ActionAskLocation(), editing, domain)
    assert "/complaint_change_type" not in buttons_of(messages)
    assert len(texts.CHANGE_TYPE_BUTTON["title"]) <= 20  # a LINE chip label


async def test_a_place_and_photos_shared_first_belong_to_the_complaint_told_next(
    desk: Context, domain: dict[str, Any]
) -> None:
    remember = ActionRememberShared()
    shared = {"latitude": str(LAT + 0.05), "longitude": str(LON), "address": ADDRESS_PHRA_NAKHON}
    set_, messages = await run(
        remember,
        tracker(
            "/share_location",
            intent="share_location",
            entities=[{"entity": k, "value": v} for k, v in shared.items()],
        ),
        domain,
    )
    place = set_[PENDING_PLACE]
    assert messages[0]["response"] == "utter_got_location"
    set_, _ = await run(
        remember,
        tracker(
            "/share_photo", intent="share_photo", entities=[{"entity": "media_id", "value": "m1"}]
        ),
        domain,
    )
    photos = set_[PENDING_PHOTOS]
    assert photos["ids"] == ["m1"]

    told = tracker(
        ROAD, intent="complaint_road", slots={PENDING_PLACE: place, PENDING_PHOTOS: photos}
    )
    set_, _ = await run(ActionStartComplaint(desk), told, domain)
    assert set_[LOCATION] == "map" and set_[LATITUDE] == LAT + 0.05
    assert set_[PROVINCE_SLOT] == BANGKOK and set_[PHOTO_IDS] == ["m1"]
    assert set_[PENDING_PLACE] is None and set_[PENDING_PHOTOS] is None
    # Shared long ago: not this complaint's.
    old = {**place, "at": place["at"] - 7200}
    set_, _ = await run(
        ActionStartComplaint(desk),
        tracker(ROAD, intent="complaint_road", slots={PENDING_PLACE: old}),
        domain,
    )
    assert set_.get(LOCATION) is None
