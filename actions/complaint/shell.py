"""What the complaint actions share: the desk, reading the tracker, saying replies."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.catalogue import read_request
from actions.complaint.texts import Reply
from actions.desk import shared_desk
from bot.context import Context
from bot.tickets.routing import Router


@dataclass(frozen=True)
class Message:
    """The citizen's latest message as the answers read it."""

    text: str | None  # free text; None for a button payload or a LINE event
    entities: dict[str, str]
    intent: str
    confidence: float


def read_message(tracker: Tracker) -> Message:
    """The latest user message: text, entities (payload JSON included), intent."""
    text, entities = read_request(tracker)
    intent = (tracker.latest_message or {}).get("intent") or {}
    return Message(
        text=text,
        entities=entities,
        intent=str(intent.get("name") or ""),
        confidence=float(intent.get("confidence") or 0),
    )


def utter(dispatcher: CollectingDispatcher, replies: Iterable[Reply]) -> None:
    """Says the replies, in order."""
    for reply in replies:
        dispatcher.utter_message(**reply)


def agency_name(router: Router, agency_id: str) -> str:
    """The agency's name, or its id when routing no longer knows it."""
    try:
        return router.agency(agency_id).name
    except KeyError:
        return agency_id


class OnDesk:
    """Mixed into an action: the process's context, or one a test hands in."""

    def __init__(self, desk: Context | None = None) -> None:
        """`desk` for tests; the action server uses the shared one."""
        self._desk = desk

    @property
    def desk(self) -> Context:
        """The desk this action works on."""
        return self._desk or shared_desk()
