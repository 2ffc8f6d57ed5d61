"""`complaint_form`: start it, read each answer, file the ticket (the questions are in
`questions`).

The form asks, in order: more detail (only when the first message is too thin), where,
whether to join a similar open ticket (only when there is one), photos, a contact phone,
consent to pass personal data to the agency, and a summary to confirm. The actions here
are thin: they read the tracker, call the pure readers in `answers`, and say what those
return; the database is reached only through the desk.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import timedelta
from functools import partial
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker, utils
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.complaint import answers, asking, summary, texts
from actions.complaint.shell import Message, OnDesk, agency_name, read_message, utter
from actions.complaint.slots import (
    ASKED_FROM,
    ASKED_TEXT,
    CONSENT,
    DESCRIPTION,
    DUPLICATE,
    DUPLICATE_OF,
    FIRST,
    INTAKE,
    INTAKE_SLOTS,
    LOCATION,
    NEXT_TEXT,
    NEXT_TYPE,
    OUTCOME,
    PENDING_PHOTOS,
    PENDING_PLACE,
    PHONE,
    PHOTO_IDS,
    PHOTOS,
    REQUESTED,
    TYPE,
)
from actions.handoff import hand_off
from bot.config import Settings
from bot.tickets import cards
from bot.tickets import service as tickets

DomainDict = dict[str, Any]


def _reset() -> list[EventType]:
    """Forgets the previous intake."""
    return [SlotSet(slot, None) for slot in INTAKE_SLOTS]


def expired_intake(
    slots: Mapping[str, Any], *, cancel: bool
) -> tuple[list[texts.Reply], list[EventType]]:
    """An intake the conversation's time-out cut short (its slots are still there, the
    form is not): a button or answer of it is told so, and offered to go on with the
    same type and words, which wait as when the desk asks; "ยกเลิก" just ends it."""
    forget = [*_reset(), SlotSet(REQUESTED, None)]
    if cancel:
        return [texts.say(texts.CANCELLED)], forget
    complaint_type = str(slots.get(TYPE) or answers.DEFAULT_TYPE)
    words = slots.get(DESCRIPTION) or slots.get(FIRST)
    buttons = [
        {
            "title": texts.NEXT_YES,
            "payload": cards.payload("complaint_set_type", complaint_type=complaint_type),
        },
        {"title": texts.NEXT_NO, "payload": "/deny"},
    ]
    reply = texts.say(texts.expired(cards.type_label(complaint_type)), buttons)
    return [reply], [*forget, SlotSet(ASKED_TEXT, words or None), SlotSet(ASKED_FROM, None)]


class ActionStartComplaint(OnDesk, Action):
    """A complaint was understood: remember its type and first words, start the form."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_start_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Resets the intake slots and fills what the first message already says; when
        the model is unsure which complaint it is, asks first (and the form waits)."""
        message = read_message(tracker)
        if message.text is not None:
            ranking = (tracker.latest_message or {}).get("intent_ranking") or []
            readings = [
                answers.Reading(str(r.get("name")), float(r.get("confidence") or 0))
                for r in ranking
            ]
            offered = answers.unsure(readings, asking.thresholds())
            if offered:
                asked = answers.ask_reading(message.text, offered)
                utter(dispatcher, asked.replies)
                slots = [SlotSet(slot, value) for slot, value in asked.updates.items()]
                return [*slots, FollowupAction("action_listen")]
        text = message.text
        pending = tracker.get_slot(ASKED_TEXT)
        chose = message.text is None and message.intent == "complaint_set_type" and pending
        if chose:
            text = str(pending)  # the words the citizen wrote before choosing
        answer = answers.start(
            text,
            message.entities,
            message.intent,
            intake_id=uuid.uuid4().hex,
            min_description_chars=self.desk.settings.min_description_chars,
            places=partial(answers.places_in, self.desk.places),
        )
        utter(dispatcher, answer.replies)
        updates = dict(answer.updates)
        updates.update(await self._shared_first(tracker, updates))
        kept = [] if chose else [SlotSet(ASKED_FROM, None)]
        return [
            *_reset(),
            *(SlotSet(slot, value) for slot, value in updates.items()),
            SlotSet(ASKED_TEXT, None),
            SlotSet(PENDING_PLACE, None),
            SlotSet(PENDING_PHOTOS, None),
            *kept,
        ]

    async def _shared_first(self, tracker: Tracker, updates: dict[str, Any]) -> dict[str, Any]:
        """The place and photos the citizen sent before telling the problem: the form
        then does not ask for them again (nothing a citizen sends is lost)."""
        found: dict[str, Any] = {}
        photos = _fresh(tracker.get_slot(PENDING_PHOTOS))
        if photos and photos.get("ids"):
            found[PHOTO_IDS] = [str(p) for p in photos["ids"]][: self.desk.settings.max_photos]
        place = _fresh(tracker.get_slot(PENDING_PLACE))
        if not place or not place.get("latitude"):
            return found
        desk, sender = self.desk, tracker.sender_id
        slots = {**tracker.slots, **updates}

        def read(session: Session) -> answers.Answer:
            return answers.location(
                None,
                {k: str(v) for k, v in place.items() if v is not None and k != "at"},
                "share_location",
                slots,
                places=partial(answers.places_in, desk.places),
                similar=partial(_similar, session, desk.settings, sender),
            )

        located = await desk.transaction(read)
        if LOCATION in located.updates:
            found.update(located.updates)  # the map point wins over an address in the words
        return found


class ActionRememberShared(Action):
    """A photo or a place sent before any complaint: acknowledged, and kept for the
    complaint the citizen tells next."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_remember_shared"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Says what to do next and remembers what was shared."""
        message = read_message(tracker)
        now = time.time()
        if message.intent == "share_location":
            dispatcher.utter_message(response="utter_got_location")
            place: dict[str, Any] = {
                k: message.entities.get(k) for k in ("latitude", "longitude", "address")
            }
            return [SlotSet(PENDING_PLACE, {**place, "at": now})]
        dispatcher.utter_message(response="utter_got_photo")
        media_id = message.entities.get("media_id")
        earlier = _fresh(tracker.get_slot(PENDING_PHOTOS))
        photos = list(earlier["ids"]) if earlier else []
        if media_id and media_id not in photos and len(photos) < MAX_PENDING_PHOTOS:
            photos.append(media_id)
        return [SlotSet(PENDING_PHOTOS, {"ids": photos, "at": now})]


MAX_PENDING_PHOTOS = 10
# What was shared first belongs to the complaint told soon after, not to one days later.
PENDING_FOR_S = 3600.0


def _fresh(value: Any) -> dict[str, Any] | None:
    """A remembered place or photos, if shared within the last hour."""
    if not isinstance(value, dict):
        return None
    try:
        at = float(value.get("at") or 0)
    except (TypeError, ValueError):
        return None
    return value if time.time() - at <= PENDING_FOR_S else None


class ActionFormButtonOutside(OnDesk, Action):
    """A button of the intake form tapped when no form is running: the type list asked
    for, or a stale button answered with what it refers to (never "not understood")."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_form_button_outside"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The type choice, the ticket the button's intake became, or what to do now."""
        message = read_message(tracker)
        if message.intent == "complaint_change_type":
            utter(dispatcher, [texts.line(cards.type_choice_message())])
            return []
        intake_id = message.entities.get("intake")
        left = tracker.get_slot(INTAKE)
        if left and intake_id in {None, left}:
            # A button of the intake the time-out cut short: say so, offer to go on.
            replies, events = expired_intake(tracker.slots, cancel=False)
            utter(dispatcher, replies)
            return events
        sender = tracker.sender_id

        def filed(session: Session) -> str | None:
            return tickets.filed_intake(session, sender, intake_id)

        ticket_id = await self.desk.transaction(filed)
        if ticket_id is None:
            utter(dispatcher, [texts.say(texts.STALE_NO_TICKET)])
            return []
        status = {
            "title": texts.SEE_STATUS,
            "payload": cards.payload("check_status", ticket_id=ticket_id),
        }
        utter(dispatcher, [texts.say(texts.already_filed(ticket_id), [status])])
        return []


# Reading the answers -----------------------------------------------------------------


def _asked(question: str, tracker: Tracker) -> Message | None:
    """The citizen's message, if it answers `question` (the one the form asked last)."""
    if tracker.get_slot(REQUESTED) != question or tracker.latest_message.get("text") is None:
        return None
    return read_message(tracker)


def _control(message: Message, tracker: Tracker) -> answers.Answer | None:
    return answers.control(
        message.text,
        message.entities,
        message.intent,
        tracker.slots,
        confidence=message.confidence,
    )


def _said(dispatcher: CollectingDispatcher, answer: answers.Answer) -> dict[str, Any]:
    utter(dispatcher, answer.replies)
    return answer.updates


def _similar(
    session: Session, settings: Settings, sender: str, query: answers.SimilarQuery
) -> str | None:
    """An open ticket like this one, nearby and recent, filed by someone else."""
    found = tickets.find_similar(
        session,
        complaint_type=query.complaint_type,
        latitude=query.latitude,
        longitude=query.longitude,
        district=query.district,
        description=query.description,
        line_user_id=sender,
        window=timedelta(days=settings.duplicate_window_days),
        radius_m=settings.duplicate_radius_m,
        min_similarity=settings.duplicate_min_similarity,
    )
    return found.id if found else None


def _join(session: Session, sender: str, ticket_id: str) -> bool:
    """+1 on the ticket; False when it is gone (joining twice is still joined)."""
    ticket = session.get(tickets.Ticket, ticket_id)
    if ticket is None:
        return False
    tickets.join(session, ticket, sender)
    return True


class ValidateComplaintForm(OnDesk, FormValidationAction):
    """Reads every answer of the intake form: one `extract_<question>` per question, each
    acting only when its question was the one asked (see `answers` for the readers)."""

    def name(self) -> str:
        """As in domain.yml."""
        return "validate_complaint_form"

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """The questions still to ask; none once the citizen confirmed, cancelled or joined."""
        return answers.questions(tracker.slots, max_photos=self.desk.settings.max_photos)

    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Every slot set this turn, each through its `validate_<slot>` method if it has one.

        rasa-sdk's own version keeps only the form's questions (`required_slots`): it would
        drop what a reader sets beside an answer (coordinates, address, province and
        district, photo ids, the type, the editing marker) and, once the form is over,
        the outcome itself. It also warns, every turn, about each question without a
        `validate_<slot>` method; here a question is read and checked in one step (its
        `extract_<slot>`), so there is nothing left to validate. A `validate_<slot>`
        method added later, for a question or any other slot, is still called, as in
        rasa-sdk: with the value, and its result replaces it.
        """
        slots = tracker.slots_to_validate()
        for name, value in list(slots.items()):
            validate = getattr(self, f"validate_{name.replace('-', '_')}", None)
            if validate is None:
                continue
            output = await utils.call_potential_coroutine(
                validate(value, dispatcher, tracker, domain)
            )
            if isinstance(output, dict):
                slots.update(output)
                tracker.slots.update(output)  # later validators see it, as in rasa-sdk
        return [SlotSet(name, value) for name, value in slots.items()]

    async def extract_complaint_description(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """More detail about the problem (or a control)."""
        if (m := _asked(DESCRIPTION, tracker)) is None:
            return {}
        answer = _control(m, tracker) or answers.description(
            m.text, m.entities, m.intent, tracker.slots
        )
        return _said(dispatcher, answer)

    async def extract_complaint_location(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Where, then a similar open ticket (or a control)."""
        if (m := _asked(LOCATION, tracker)) is None:
            return {}
        if control := _control(m, tracker):
            return _said(dispatcher, control)
        desk, sender, slots = self.desk, tracker.sender_id, tracker.slots

        def read(session: Session) -> answers.Answer:
            return answers.location(
                m.text,
                m.entities,
                m.intent,
                slots,
                places=partial(answers.places_in, desk.places),
                similar=partial(_similar, session, desk.settings, sender),
            )

        return _said(dispatcher, await desk.transaction(read))

    async def extract_complaint_duplicate(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Join the similar ticket or file a new one (or a control)."""
        if (m := _asked(DUPLICATE, tracker)) is None:
            return {}
        if control := _control(m, tracker):
            return _said(dispatcher, control)
        sender, slots = tracker.sender_id, tracker.slots

        def read(session: Session) -> answers.Answer:
            join = partial(_join, session, sender)
            return answers.duplicate(m.text, m.entities, m.intent, slots, join=join)

        return _said(dispatcher, await self.desk.transaction(read))

    async def extract_complaint_photos(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A photo, or done (or a control)."""
        if (m := _asked(PHOTOS, tracker)) is None:
            return {}
        answer = _control(m, tracker) or answers.photos(
            m.text, m.entities, m.intent, tracker.slots, limit=self.desk.settings.max_photos
        )
        return _said(dispatcher, answer)

    async def extract_complaint_phone(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A phone number, or skip (or a control)."""
        if (m := _asked(PHONE, tracker)) is None:
            return {}
        answer = _control(m, tracker) or answers.phone(m.text, m.entities, m.intent, tracker.slots)
        return _said(dispatcher, answer)

    async def extract_complaint_consent(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Yes or no to sharing the citizen's details (or a control)."""
        if (m := _asked(CONSENT, tracker)) is None:
            return {}
        answer = _control(m, tracker) or answers.consent(
            m.text, m.entities, m.intent, tracker.slots
        )
        return _said(dispatcher, answer)

    async def extract_complaint_outcome(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Confirm or edit on the summary (or a control)."""
        if (m := _asked(OUTCOME, tracker)) is None:
            return {}
        answer = _control(m, tracker) or answers.outcome(
            m.text, m.entities, m.intent, tracker.slots
        )
        return _said(dispatcher, answer)


# The end ------------------------------------------------------------------------------


class ActionSubmitComplaint(OnDesk, Action):
    """The form is over: file the ticket, or say it was cancelled, joined or handed over."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_submit_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Files once per intake (a repeated confirmation finds the same ticket); then
        offers the other complaint the citizen typed in the middle of it, if any."""
        events = await self._finish(dispatcher, tracker)
        waiting, kind = tracker.get_slot(NEXT_TEXT), tracker.get_slot(NEXT_TYPE)
        if not waiting or not kind:
            return events
        label = cards.type_label(str(kind))
        buttons = [
            {
                "title": texts.NEXT_YES,
                "payload": cards.payload("complaint_set_type", complaint_type=kind),
            },
            {"title": texts.NEXT_NO, "payload": "/deny"},
        ]
        utter(dispatcher, [texts.say(texts.next_complaint(label), buttons)])
        # Its words wait where a chosen type finds them (as when the desk asks).
        return [
            *events,
            SlotSet(ASKED_TEXT, waiting),
            SlotSet(NEXT_TEXT, None),
            SlotSet(NEXT_TYPE, None),
        ]

    async def _finish(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
        outcome = tracker.get_slot(OUTCOME)
        if outcome == "cancelled":
            utter(dispatcher, [texts.say(texts.CANCELLED)])
            return _reset()
        if outcome == "handoff":
            return [*_reset(), *await hand_off(dispatcher, tracker, "form", desk=self.desk)]
        if outcome == "joined":
            ticket_id = str(tracker.get_slot(DUPLICATE_OF))
            follow = {
                "title": texts.FOLLOW_PROGRESS,
                "payload": cards.payload("check_status", ticket_id=ticket_id),
            }
            utter(dispatcher, [texts.say(texts.joined(ticket_id), [follow])])
            return _reset()
        if outcome != "confirmed":
            return _reset()
        desk = self.desk
        intake = summary.intake(
            tracker.slots, line_user_id=tracker.sender_id, fallback_key=uuid.uuid4().hex
        )

        asked_from = tracker.get_slot(ASKED_FROM)

        def file(session: Session) -> tuple[str, str, str]:
            ticket, created = tickets.create_ticket(
                session, intake, router=desk.router, calendar=desk.calendar
            )
            if created and asked_from and asked_from != ticket.complaint_type:
                # Asked what they meant, the citizen chose another reading: a label for
                # the NLU inbox (their words with their type).
                tickets.citizen_chose(session, ticket, str(asked_from))
            return ticket.id, ticket.agency_id, cards.local_time(ticket.due_at)

        ticket_id, agency_id, due = await desk.transaction(file)
        status = {
            "title": texts.SEE_STATUS,
            "payload": cards.payload("check_status", ticket_id=ticket_id),
        }
        filed = texts.filed(ticket_id, agency_name(desk.router, agency_id), due)
        utter(dispatcher, [texts.say(filed, [status])])
        return [*_reset(), SlotSet(ASKED_FROM, None)]
