"""Hand-off actions: the citizen asks for a person; `hand_off` also serves the bot that
twice fails to understand (actions/not_understood.py)."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.desk import shared_desk
from bot import live
from bot.context import Context
from bot.db import utcnow
from bot.handoff import service as handoffs
from bot.handoff import texts


async def hand_off(
    dispatcher: CollectingDispatcher, tracker: Tracker, reason: str, desk: Context | None = None
) -> list[EventType]:
    """Queues the conversation for staff (or offers a message outside office hours) and
    tells the citizen truthfully what happens next."""
    desk = desk or shared_desk()
    settings = desk.settings
    hours = None if settings.office_always_open else desk.office_hours

    def work(session: Any) -> handoffs.Requested:
        state = handoffs.request(
            session,
            line_user_id=tracker.sender_id,
            reason=reason,
            queue=settings.handoff_queue,
            hours=hours,
            minutes_per_citizen=settings.handoff_minutes_per_citizen,
            now=utcnow(),
        )
        told_closed = state.status == "closed" and state.next_open is not None
        if state.created and state.status != "active" and not told_closed:
            live.after_commit(
                session, state.queue, {"type": "queue", "handoff_id": state.handoff_id}
            )
        return state

    state = await desk.transaction(work)
    if state.status == "closed" and state.next_open is not None:
        lines = texts.closed(state.next_open, settings.office_open, settings.office_close)
    elif state.status == "active":
        lines = [{"type": "text", "text": texts.ACTIVE}]
    else:
        lines = texts.queued(state.handoff_id or 0, state.position, state.wait_minutes)
    for line in lines:
        dispatcher.utter_message(json_message={"line": line})
    return [SlotSet("handoff_requested", state.status != "closed")]


class ActionRequestHuman(Action):
    """The citizen asked for a person (typed, or a staff button)."""

    def name(self) -> str:
        """Action name, as in domain.yml."""
        return "action_request_human"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Queues the conversation for staff."""
        return await hand_off(dispatcher, tracker, "requested")


class ActionThank(Action):
    """Thanks: welcomed; right after staff ended a chat (the worker says which, in the
    message's metadata), the rating of that chat is asked again, since the citizen's
    reply hides the end notice's chips."""

    def name(self) -> str:
        """Action name, as in domain.yml."""
        return "action_thank"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """utter_thank, or the welcome with the chat's rating chips."""
        ended = (tracker.latest_message.get("metadata") or {}).get("handoff_ended")
        if isinstance(ended, int) and not isinstance(ended, bool) and ended > 0:
            dispatcher.utter_message(json_message={"line": texts.thanked_after_end(ended)})
        else:
            dispatcher.utter_message(response="utter_thank")
        return []
