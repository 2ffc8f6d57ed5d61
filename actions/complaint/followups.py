"""After the form: a ticket's status, rating a resolved ticket, reopening it.

Each acts only on the citizen's own tickets (filed or joined): another citizen's ticket
id answers exactly like an unknown one.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions.complaint import answers, texts
from actions.complaint.shell import OnDesk, agency_name, read_message, utter
from actions.complaint.slots import RATING_COMMENT, RATING_TICKET, REQUESTED, SKIP
from bot.line import outbox
from bot.tickets import cards
from bot.tickets import service as tickets
from bot.tickets.lifecycle import STATUS_TH, TransitionError

DomainDict = dict[str, Any]


class ActionCheckStatus(OnDesk, Action):
    """A ticket's status card, or the citizen's recent tickets."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_check_status"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Only the citizen's own tickets: another's id answers like an unknown one."""
        ticket_id = answers.ticket_id_asked(read_message(tracker).entities)
        desk = self.desk
        sender = tracker.sender_id

        def look(session: Session) -> dict[str, Any] | str | None:
            if ticket_id:
                ticket = tickets.for_citizen(session, ticket_id, sender)
                if ticket is None:
                    return "unknown"
                events = tickets.timeline(session, ticket.id)
                mine = ticket.id in tickets.filed_by(session, [ticket.id], sender)
                return cards.status_message(
                    ticket, events, agency_name(desk.router, ticket.agency_id), mine=mine
                )
            recent = tickets.recent_for_citizen(session, sender, limit=cards.MAX_BUBBLES)
            if not recent:
                return None
            names = {t.agency_id: agency_name(desk.router, t.agency_id) for t in recent}
            filed = tickets.filed_by(session, [t.id for t in recent], sender)
            return cards.tickets_message(recent, names, filed)

        found = await desk.transaction(look)
        if found == "unknown":
            reply = texts.say(texts.unknown_ticket(ticket_id), [texts.MY_TICKETS_BUTTON])
        elif found is None:
            reply = texts.say(texts.NO_TICKETS)
        else:
            assert isinstance(found, dict)
            reply = texts.line(found)
        utter(dispatcher, [reply])
        return []


class ActionRateTicket(OnDesk, Action):
    """Stores a 1–5 rating from the resolution notice and asks for a comment."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_rate_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Rates only the citizen's own resolved ticket."""
        ticket_id, rating = answers.rating_given(read_message(tracker).entities)
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

        none = [SlotSet(RATING_TICKET, None)]  # rating_form then asks nothing
        if not ticket_id or not 1 <= rating <= 5:
            utter(dispatcher, [texts.say(texts.RATING_BUTTON_STALE)])
            return none
        result = await self.desk.transaction(save)
        if result != "ok":
            utter(dispatcher, [texts.say(texts.RATING_NOT_NOW)])
            return none
        utter(dispatcher, [texts.say(texts.rated(rating))])
        if (tracker.latest_message.get("metadata") or {}).get("staff_chat"):
            # Tapped while an agent holds the chat: the citizen's next words are for the
            # agent, so no comment is asked for.
            return none
        # rating_form then asks for an optional comment.
        return [SlotSet(RATING_TICKET, ticket_id), SlotSet(RATING_COMMENT, None)]


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
        domain: DomainDict,
    ) -> list[str]:
        """Nothing to ask when the rating was not taken."""
        return [RATING_COMMENT] if tracker.get_slot(RATING_TICKET) else []

    async def extract_rating_comment(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """Any text is the comment; "no" or a button skips it."""
        if tracker.get_slot(REQUESTED) != RATING_COMMENT:
            return {}
        message = read_message(tracker)
        return {RATING_COMMENT: answers.rating_comment(message.text, message.intent)}


class ActionSubmitRating(OnDesk, Action):
    """Stores the comment (if any) and thanks the citizen."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_submit_rating"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Saves the comment to the ticket the rating was for."""
        comment = tracker.get_slot(RATING_COMMENT)
        ticket_id = str(tracker.get_slot(RATING_TICKET) or "")
        if not ticket_id:
            return []
        if comment and comment != SKIP:
            sender = tracker.sender_id

            def save(session: Session) -> None:
                ticket = tickets.for_citizen(session, ticket_id, sender)
                if ticket is not None:
                    tickets.comment(session, ticket, str(comment))

            await self.desk.transaction(save)
            utter(dispatcher, [texts.say(texts.COMMENT_RECEIVED)])
        else:
            utter(dispatcher, [texts.say(texts.NO_COMMENT)])
        return [SlotSet(RATING_TICKET, None), SlotSet(RATING_COMMENT, None)]


class ActionReopenTicket(OnDesk, Action):
    """ "Not solved": reopens the citizen's resolved ticket within the window."""

    def name(self) -> str:
        """As in domain.yml."""
        return "action_reopen_ticket"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Reopens, tells the other followers, and says what happens next."""
        ticket_id = answers.ticket_id_given(read_message(tracker).entities) or ""
        desk = self.desk
        sender = tracker.sender_id
        window = timedelta(days=desk.settings.reopen_window_days)

        def reopen(session: Session) -> str:
            ticket = tickets.for_citizen(session, ticket_id, sender)
            if ticket is None:
                return "unknown"
            try:
                notices = tickets.transition(
                    session,
                    ticket,
                    "in_progress",
                    actor="citizen",
                    note=texts.REOPEN_NOTE,
                    reopen_window=window,
                    quiet_for=sender,
                )
            except TransitionError:
                return ticket.status
            outbox.after_commit(session, notices)
            return "reopened"

        result = await desk.transaction(reopen)
        if result == "reopened":
            reply = texts.say(texts.reopened(ticket_id))
        elif result == "unknown":
            reply = texts.say(texts.REOPEN_UNKNOWN)
        elif result == "closed":
            reply = texts.say(texts.reopen_closed(ticket_id))
        else:
            reply = texts.say(texts.reopen_still_open(ticket_id, STATUS_TH.get(result, result)))
        utter(dispatcher, [reply])
        return []
