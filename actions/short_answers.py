"""Yes, no and cancel outside any form: answered as what the desk was waiting for.

Inside a form these are the answer to its question (actions/complaint/answers.py).
Outside one, a short answer still answers something: the choice the desk offered (which
complaint was meant, the one typed mid-intake), the erasure it asked to confirm, the
list of tickets or services it showed, an intake or a rating comment the conversation's
time-out interrupted (Rasa starts a new session after an hour: the form is gone, its
chips are still on the citizen's screen), or a summary's cancel button tapped after its
complaint was filed. "ยกเลิก" and its everyday variants end that step with no side
effect and say truly what became of it; nothing is ever "not understood".
"""

from __future__ import annotations

import json
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.complaint import texts
from actions.complaint.form import expired_intake
from actions.complaint.shell import OnDesk, read_message, utter
from actions.complaint.slots import (
    ASKED_FROM,
    ASKED_TEXT,
    INTAKE,
    RATING_COMMENT,
    RATING_TICKET,
)
from bot.conversations.words import is_cancel
from bot.tickets import cards
from bot.tickets import service as tickets

DomainDict = dict[str, Any]

# Actions that do not say anything the citizen could be answering.
SILENT = frozenset({"action_listen", "action_session_start", "action_unlikely_intent"})
# After these, "ยกเลิก" says what it leaves (nothing was started, nothing is lost).
CANCELLED_AFTER = {
    "action_check_status": "utter_cancelled_status",
    "action_service_lookup": "utter_cancelled_service",
    "action_agency_contact": "utter_cancelled_service",
}
ERASE_CONFIRM = "/privacy_erase_confirm"
SET_TYPE = "/complaint_set_type"  # the chips of a choice of complaint types


def _since_last_message(tracker: Tracker) -> list[dict[str, Any]]:
    """The events between the citizen's message before the latest and the latest."""
    found: list[dict[str, Any]] = []
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                break
            seen_user = True
        elif seen_user:
            found.append(event)
    return found


def offered(tracker: Tracker) -> str:
    """What the desk said since the citizen's message before the latest (its words and
    buttons, as JSON), to know what a short answer answers."""
    said = [e for e in _since_last_message(tracker) if e.get("event") == "bot"]
    return json.dumps(said, ensure_ascii=False)


def previous_action(tracker: Tracker) -> str | None:
    """The desk's last action before the citizen's latest message (what they answer)."""
    for event in _since_last_message(tracker):
        if event.get("event") == "action" and event.get("name") not in SILENT:
            return str(event.get("name"))
    return None


class ActionShortAnswer(OnDesk, Action):
    """Yes, no or cancel with no form active (rules of data/rules/basics.yml)."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_short_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """What the answer ends or asks again, from the most specific context down."""
        message = read_message(tracker)
        cancel = message.intent == "cancel" or is_cancel(message.text)
        no = cancel or message.intent == "deny"
        intake = message.entities.get("intake")
        if cancel and intake and intake != tracker.get_slot(INTAKE):
            return await self._summary_cancelled(dispatcher, tracker, intake)
        if cancel and message.entities.get("step") == "erasure":
            # The erasure question's own button, however late: nothing is erased.
            dispatcher.utter_message(response="utter_cancelled_erasure")
            return []
        if tracker.get_slot(INTAKE):
            replies, events = expired_intake(tracker.slots, cancel=cancel)
            utter(dispatcher, replies)
            return events
        if tracker.get_slot(RATING_TICKET):
            # The comment question after a rating, interrupted: no comment, thanks.
            utter(dispatcher, [texts.say(texts.NO_COMMENT)])
            return [SlotSet(RATING_TICKET, None), SlotSet(RATING_COMMENT, None)]
        asked = offered(tracker)
        if ERASE_CONFIRM in asked:
            # Erasure is final: only its own button confirms it.
            dispatcher.utter_message(
                response="utter_cancelled_erasure" if no else "utter_privacy_erase_again"
            )
            return []
        forget = [SlotSet(ASKED_TEXT, None), SlotSet(ASKED_FROM, None)]
        if SET_TYPE in asked:
            # Which complaint the citizen meant (asked when unsure), or whether to report
            # the one typed mid-intake: its words are dropped, nothing is filed.
            if no:
                dispatcher.utter_message(response="utter_cancelled_choice")
                return forget
            # "Yes" to a choice of several: the types, the citizen's words still waiting.
            choose = [texts.say(texts.CHOOSE_AGAIN), texts.line(cards.type_choice_message())]
            utter(dispatcher, choose)
            return []
        if cancel:
            previous = previous_action(tracker)
            dispatcher.utter_message(
                response=CANCELLED_AFTER.get(previous or "", "utter_cancelled")
            )
            # Words left waiting by an earlier choice go too: nothing is filed later.
            return forget if tracker.get_slot(ASKED_TEXT) else []
        dispatcher.utter_message(response="utter_affirm_no_context")
        return []

    async def _summary_cancelled(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, intake: str
    ) -> list[EventType]:
        """A summary's cancel button after its form: filed (nothing is cancelled), or it
        filed nothing (nothing to cancel)."""
        sender = tracker.sender_id

        def filed(session: Session) -> str | None:
            return tickets.filed_intake(session, sender, intake)

        ticket_id = await self.desk.transaction(filed)
        if ticket_id is None:
            utter(dispatcher, [texts.say(texts.STALE_NO_TICKET)])
            return []
        buttons = [
            {
                "title": texts.SEE_STATUS,
                "payload": cards.payload("check_status", ticket_id=ticket_id),
            },
            texts.STAFF_CHIP,
        ]
        utter(dispatcher, [texts.say(texts.filed_not_cancelled(ticket_id), buttons)])
        return []
