"""Hand-off actions: the citizen asks for a person."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher


class ActionRequestHuman(Action):
    """Records that the citizen asked for staff and tells them what happens next."""

    def name(self) -> str:
        """Action name, as in domain.yml."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        """Answers with utter_handoff_requested; the hand-off issue queues the chat."""
        dispatcher.utter_message(response="utter_handoff_requested")
        return [SlotSet("handoff_requested", True)]
