"""When the bot cannot help with a message: a service's card or the complaint the citizen
may have meant, else "not understood" once and a person after two in a row."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import ActionServiceLookup, read_request
from actions.complaint import answers, asking
from actions.complaint import texts as complaint_texts
from actions.complaint.shell import utter
from actions.complaint.slots import ASKED_TEXT
from actions.handoff import hand_off
from bot.catalogue.service import Catalogue

# Messages the bot could not help with: not understood, understood as outside what the
# desk does, or details ("inform") with nothing to go with. Two in a row and a person
# takes over: repeating "not understood" helps nobody.
NOT_HELPED = frozenset({"nlu_fallback", "out_of_scope", "inform"})


def _misunderstood_twice(tracker: Tracker) -> bool:
    """Whether the bot could not help with the citizen's last two messages (counting only
    since the last hand-off, so one miss after a hand-off does not start another). A
    message answered with a card (a service the catalogue was sure of), or asked which
    complaint it meant, was helped."""
    intents: list[str | None] = []
    carded = False
    for event in reversed(tracker.events):
        if event.get("event") == "slot" and event.get("name") == "handoff_requested":
            break
        if event.get("event") == "bot":
            custom = (event.get("data") or {}).get("custom")
            carded = carded or (isinstance(custom, dict) and custom.get("type") == "flex")
        if event.get("event") == "slot" and event.get("name") == ASKED_TEXT and event.get("value"):
            carded = True  # asked which complaint it was: helped
        if event.get("event") == "user":
            intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
            intents.append(None if carded else intent)
            carded = False
            if len(intents) == 2:
                break
    return len(intents) == 2 and all(intent in NOT_HELPED for intent in intents)


# A message read as no complaint is offered its complaint readings when the best of them
# holds at least this much. Chosen on the 5-fold out-of-fold readings of data/nlu (chat
# and details asked: 0.10 19, 0.15 14, 0.20 11) and the hidden sets' complaints with a
# call-back number appended (read as no complaint and caught: 3 of 4 at 0.10 and 0.15,
# 2 at 0.20), a complaint left unfiled costing five taps: 0.10 and 0.15 cost 29, 0.20 31;
# the one that asks less. See docs/nlu.md.
HIDDEN_COMPLAINT_FLOOR = 0.15


def _complaint_beneath(tracker: Tracker) -> list[str]:
    """The complaint readings of the latest message worth offering (see
    `answers.complaint_beneath`); empty when none is close enough."""
    ranking = tracker.latest_message.get("intent_ranking") or []
    readings = [
        answers.Reading(str(r.get("name")), float(r.get("confidence") or 0)) for r in ranking
    ]
    return answers.complaint_beneath(readings, asking.thresholds(), floor=HIDDEN_COMPLAINT_FLOOR)


class ActionNotUnderstood(Action):
    """Not understood (or out of scope): say so once; twice in a row, hand over to a person."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        """`catalogue` for tests; the action server uses the shared one."""
        self._lookup = ActionServiceLookup(catalogue)

    def name(self) -> str:
        """Action name, as in domain.yml."""
        return "action_not_understood"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """A service's card when the catalogue is sure the message asks about one;
        otherwise utter_default / utter_out_of_scope, or a hand-off after two in a row."""
        text, _ = read_request(tracker)
        if text and self._lookup.answer_follow_up(dispatcher, tracker, text):
            return []  # "ค่าธรรมเนียมเท่าไหร่" right after a service's card
        if text and self._lookup.answer_if_sure(dispatcher, text):
            return []
        if text and (offered := _complaint_beneath(tracker)):
            # Read as a detail or chat, but a complaint is close behind: ask, as a
            # patient agent would, rather than say "not understood".
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            asked = answers.ask_reading(
                text,
                offered,
                question=complaint_texts.ASK_HIDDEN_COMPLAINT,
                model_reading=str(intent or "nlu_fallback"),
            )
            utter(dispatcher, asked.replies)
            return [SlotSet(slot, value) for slot, value in asked.updates.items()]
        if not _misunderstood_twice(tracker):
            intent = (tracker.latest_message.get("intent") or {}).get("name")
            first = "utter_out_of_scope" if intent == "out_of_scope" else "utter_default"
            dispatcher.utter_message(response=first)
            return []
        dispatcher.utter_message(response="utter_handoff_misunderstood")
        return await hand_off(dispatcher, tracker, "misunderstood")
