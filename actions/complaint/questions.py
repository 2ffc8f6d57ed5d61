"""The intake form's questions: one `action_ask_<slot>` per question.

Every question offers a person (the staff chip, last). Rasa runs the one for the slot the
form requests next (`ValidateComplaintForm.required_slots`).
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.complaint import summary, texts
from actions.complaint.shell import OnDesk, agency_name, utter
from actions.complaint.slots import (
    DUPLICATE_OF,
    EDITING,
    PHOTO_IDS,
    PROVINCE_SLOT,
    SAID_PHONE,
    SAID_PLACE,
    SUMMARY_TYPE,
    TYPE,
)
from bot.tickets import cards
from bot.tickets import service as tickets

DomainDict = dict[str, Any]


class ActionAskDescription(Action):
    """Asks for more detail when the first message was too thin."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_description"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """One question, with an example (and, right after the start, a way to correct
        the type the desk understood: only the last message's chips are shown)."""
        utter(dispatcher, [texts.ask(texts.ASK_DESCRIPTION, _type_chip(tracker))])
        return []


def _type_chip(tracker: Tracker) -> list[texts.Button]:
    """The "change type" chip for the first questions, not while editing the summary."""
    return [] if tracker.get_slot(EDITING) else [texts.CHANGE_TYPE_BUTTON]


class ActionAskLocation(Action):
    """Asks where: LINE's location picker, a typed address, or skip."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_location"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The question with a "send my location" chip (and the "change type" one); when
        the complaint's own words gave an address, that address to confirm first."""
        said = tracker.get_slot(SAID_PLACE)
        if said and not tracker.get_slot(EDITING):
            buttons = [texts.SAID_PLACE_BUTTON, *texts.LOCATION_BUTTONS, *_type_chip(tracker)]
            utter(dispatcher, [texts.ask(texts.ask_said_place(str(said)), buttons)])
            return []
        buttons = [*texts.LOCATION_BUTTONS, *_type_chip(tracker)]
        utter(dispatcher, [texts.ask(texts.ASK_LOCATION, buttons)])
        return []


class ActionAskDuplicate(OnDesk, Action):
    """Offers to join a similar open ticket instead of filing a new one."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_duplicate"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Shows the similar ticket's public outline and asks."""
        desk = self.desk
        ticket_id = str(tracker.get_slot(DUPLICATE_OF))

        def load(session: Session) -> dict[str, Any] | None:
            ticket = session.get(tickets.Ticket, ticket_id)
            if ticket is None:
                return None
            # Another citizen's ticket: its public outline only, never their words.
            return cards.similar_message(ticket, agency_name(desk.router, ticket.agency_id))

        card = await desk.transaction(load)
        if card is not None:
            utter(dispatcher, [texts.line(card)])
        utter(dispatcher, [texts.ask(texts.ASK_DUPLICATE, texts.DUPLICATE_BUTTONS)])
        return []


class ActionAskPhotos(OnDesk, Action):
    """Asks for up to N photos."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_photos"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The question with camera and album chips (after a photo: how many more)."""
        limit = self.desk.settings.max_photos
        got = len(tracker.get_slot(PHOTO_IDS) or [])
        if got:
            question = texts.ask(
                texts.ask_more_photos(got, limit),
                [*texts.CAMERA_BUTTONS, texts.PHOTOS_DONE_BUTTON],
            )
        else:
            question = texts.ask(
                texts.ask_photos(limit), [*texts.CAMERA_BUTTONS, texts.NO_PHOTOS_BUTTON]
            )
        utter(dispatcher, [question])
        return []


class ActionAskPhone(Action):
    """Asks for an optional contact phone."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_phone"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The question with a skip chip; the number the complaint's words gave, to
        confirm, when there is one."""
        said = tracker.get_slot(SAID_PHONE)
        if said and not tracker.get_slot(EDITING):
            buttons = [texts.SAID_PHONE_BUTTON, texts.SKIP_BUTTON]
            utter(dispatcher, [texts.ask(texts.ask_said_phone(str(said)), buttons)])
            return []
        utter(dispatcher, [texts.ask(texts.ASK_PHONE, [texts.SKIP_BUTTON])])
        return []


class ActionAskConsent(Action):
    """Asks for consent to pass personal data to the agency (anonymity for corruption)."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_consent"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """The question; for corruption reports it is framed as anonymity."""
        if tracker.get_slot(TYPE) == "complaint_corruption":
            question = texts.ask(texts.ASK_ANONYMITY, texts.ANONYMITY_BUTTONS)
        else:
            question = texts.ask(texts.ASK_CONSENT, texts.CONSENT_BUTTONS)
        utter(dispatcher, [question])
        return []


class ActionAskOutcome(OnDesk, Action):
    """The summary card: confirm, edit or cancel."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_ask_complaint_outcome"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Shows where the ticket will go before the citizen confirms (or what to edit,
        or, changing the type, the list of types: not the summary with the old one)."""
        if tracker.get_slot(EDITING) == "choose":
            utter(dispatcher, [summary.edit_choices()])
            return []
        if tracker.get_slot(EDITING) == SUMMARY_TYPE:
            utter(dispatcher, summary.type_choices())
            return []
        slots = tracker.slots
        route = self.desk.router.route(
            str(slots.get(TYPE)), slots.get(PROVINCE_SLOT), summary.district_for_routing(slots)
        )
        utter(dispatcher, [summary.summary(slots, agency_name=route.agency.name)])
        return []
