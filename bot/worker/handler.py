"""Handling one stored LINE event: dispatch by (event type, message type), answer, send.

Each step is stored before the next: the bot's answer is written (status "answered")
before anything is sent, and each send is marked when LINE accepts it, so a worker that
dies mid-event resumes where it stopped instead of asking Rasa twice or sending twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot import messages, metrics
from bot.config import Settings
from bot.conversations.models import ConversationHandler
from bot.conversations.words import is_cancel
from bot.db import unit_of_work, utcnow
from bot.handoff import service as handoffs
from bot.handoff import taps
from bot.handoff import texts as handoff_texts
from bot.handoff.models import HandoffStatus
from bot.line import convert
from bot.line.client import Channel, ReplyTokenRejected, SendError, SendResult
from bot.line.models import InboundEvent, OutboundMessage
from bot.tickets import media
from bot.tickets.calendar import BusinessCalendar, OfficeHours
from bot.tickets.routing import Router
from bot.worker import choices, feedback, store
from bot.worker.rasa import RasaClient, RasaRejected, RasaUnavailable, Understood
from bot.worker.store import EventView
from nlu.normalize import typed

logger = logging.getLogger(__name__)

# The marker an action sends (a custom payload, never shown) to have Rasa's record of the
# conversation deleted once the turn is over (a PDPA erasure).
FORGET = "forget_conversation"

# A reply token is good for about a minute at LINE; leave a margin for the send itself.
REPLY_TOKEN_MAX_AGE_S = 50.0


class RetryLater(Exception):
    """The event could not be handled now (Rasa or LINE down): keep it and retry."""


Step = Callable[["Handler", EventView], Awaitable[str]]
# Publishes a live console update: (queue, event).
Publish = Callable[[str, dict[str, Any]], Awaitable[None]]


class Handler:
    """Handles stored events; `handle` raises RetryLater when it must be retried."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        channel: Channel,
        rasa: RasaClient,
        forget: Callable[[str], Awaitable[None]] | None = None,
        publish: Publish | None = None,
    ) -> None:
        self.settings = settings
        # Tells agents' consoles about what reached a conversation staff handle.
        self.publish = publish
        self._router: Router | None = None
        self._calendar: BusinessCalendar | None = None
        # Deletes Rasa's record of a conversation (after a citizen's erasure request).
        self.forget = forget
        self.sessions = sessions
        self.channel = channel
        self.rasa = rasa
        # Per event being handled: the event as started (store.begin: marked, linked to
        # its citizen and conversation), and what its step read in that transaction.
        self._begun: dict[int, EventView] = {}
        self._ahead: dict[int, Any] = {}

    async def _started(self, event_id: int) -> EventView:
        begun = self._begun.get(event_id)
        if begun is None:
            raise LookupError(f"event {event_id} is not being handled")
        return begun

    async def _db(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.to_thread(fn, self.sessions, *args)

    async def routing(self) -> tuple[Router, BusinessCalendar]:
        """Complaint routing and the business calendar, loaded on first use."""
        if self._router is None or self._calendar is None:
            self._router = await asyncio.to_thread(Router.load)
            self._calendar = await asyncio.to_thread(BusinessCalendar.load)
        return self._router, self._calendar

    async def office_hours(self) -> OfficeHours:
        """The call centre's office hours."""
        _, calendar = await self.routing()
        return OfficeHours(self.settings.office_open, self.settings.office_close, calendar)

    async def handle(self, event_id: int) -> str:
        """Handles the event to the end; returns the outcome (done, skipped, ...)."""
        # One transaction reads the event and who answers its citizen, marks it started
        # and, for a text the bot answers, reads what the citizen's words may pick (see
        # _read_text): the citizen's state read once per turn.
        window = timedelta(days=self.settings.reopen_window_days)
        begun: store.Begun | None = await self._db(
            store.begin, event_id, partial(_read_text, reopen_window=window)
        )
        if begun is None or begun.event.status in store.FINAL:
            return "already_handled"
        event = begun.event
        self._begun[event_id] = event
        if begun.ahead is not None:
            self._ahead[event_id] = begun.ahead
        try:
            if _needs_recipient(event) and not _recipient(event):
                # LINE always names a source; a body without one has nobody to answer.
                await self._db(store.finish, event_id, "skipped", "no source to answer")
                return "skipped"
            if event.status == "answered":
                return await self._send_pending(event)
            step = DISPATCH.get((event.event_type, event.message_type)) or DISPATCH.get(
                (event.event_type, None), _skip
            )
            if event.source_type in {"group", "room"} and event.event_type == "message":
                step = _group_message
            elif _citizen_speaks(event):
                # While staff handle the conversation the bot is silent.
                if event.handler == ConversationHandler.STAFF:
                    step = _to_staff
                elif event.handler == ConversationHandler.MESSAGE:
                    step = _leave_message
            return await step(self, event)
        finally:
            del self._begun[event_id]
            self._ahead.pop(event_id, None)

    async def finish(self, event: EventView, status: str) -> str:
        """Closes the event (after its start is stored)."""
        await self._started(event.id)
        await self._db(store.finish, event.id, status)
        return status

    # Steps shared by the dispatch table ------------------------------------------

    async def ask_rasa(
        self, event: EventView, text: str, context: dict[str, Any] | None = None
    ) -> str:
        """Sends the citizen's message to Rasa and sends back what it answers
        (`context`: what the gateway knows of the moment, for the actions to read)."""
        user_id = event.line_user_id or ""
        started = time.perf_counter()
        # The event id lets Rasa answer a retry from the try that got through; a tap
        # during a staff chat is answered briefly (no follow-up question: the citizen's
        # next words go to the agent).
        metadata: dict[str, Any] = {**(context or {}), "event_id": event.id}
        if event.handler == ConversationHandler.STAFF:
            metadata["staff_chat"] = True
        asking = asyncio.ensure_future(self.rasa.send(sender=user_id, text=text, metadata=metadata))
        # The typing animation only when the answer is slow: a quick answer would
        # replace it before the citizen sees it, and the call costs the quick path.
        done, _ = await asyncio.wait({asking}, timeout=self.settings.loading_after_s)
        if not done:
            await self.channel.show_loading(user_id, self.settings.loading_seconds)
        try:
            turn = await asking
        except RasaRejected:
            # This message, not Rasa, is the problem: retrying cannot help.
            logger.error("event %s: rasa could not process the message", event.id)
            return await self.answer(event, [{"type": "text", "text": messages.UNREADABLE}])
        except RasaUnavailable as error:
            logger.warning("event %s: rasa unavailable (%s)", event.id, error.reason)
            await self._notify_delay(event)
            raise RetryLater(error.reason) from error
        asked = time.perf_counter()
        bot_messages = turn.messages
        outcome = await self.answer(event, convert.from_rasa(bot_messages), turn.understood)
        if self.forget is not None and any(
            isinstance(m.get("custom"), dict) and m["custom"].get("desk") == FORGET
            for m in bot_messages
        ):
            # The citizen's data was erased: Rasa's tracker holds their words too.
            await self.forget(user_id)
        logger.debug(
            "event %s: rasa %.1f ms, store and send %.1f ms",
            event.id,
            (asked - started) * 1000,
            (time.perf_counter() - asked) * 1000,
        )
        # The read receipt, once the answer is on its way.
        read_token = (event.payload.get("message") or {}).get("markAsReadToken")
        if read_token:
            await self.channel.mark_read(str(read_token))
        return outcome

    async def answer(
        self,
        event: EventView,
        line_messages: list[dict[str, Any]],
        understood: Understood | None = None,
    ) -> str:
        """Stores the answer (and what the model understood), then sends it."""
        begun = await self._started(event.id)
        # The reply token is for the answer, and only on the attempt that stores it:
        # a later attempt finds the send already holding the token (or pushes).
        reply = (
            bool(event.reply_token)
            and event.status != "answered"
            and event.age_s < REPLY_TOKEN_MAX_AGE_S
        )
        stored = await self._db(
            store.store_answer,
            begun,
            convert.batches(line_messages),
            "answer",
            understood,
            reply,
        )
        return await self._send_pending(event, stored=stored)

    async def send_outbox(self, outbound_id: int) -> str:
        """Pushes one stored notice (a ticket update) with its retry key."""
        found: store.OutboxSend | None = await self._db(store.outbox_send, outbound_id)
        if found is None:
            return "already_handled"
        to, send, via = found.to, found.send, "push"
        try:
            result = None
            if found.reply_token:
                # An agent's answer while the citizen's token is fresh: free for LINE.
                try:
                    result = await self.channel.reply(found.reply_token, send.messages)
                    via = "reply"
                except ReplyTokenRejected:
                    metrics.SEND_FAILURES.labels(reason="reply_token").inc()
            if result is None:
                result = await self.channel.push(to, send.messages, send.retry_key)
        except SendError as error:
            if error.status is None or error.status == 429 or error.status >= 500:
                metrics.SEND_FAILURES.labels(reason="unavailable").inc()
                raise RetryLater(f"line {error.status}") from error
            metrics.SEND_FAILURES.labels(reason=f"http_{error.status}").inc()
            logger.error("outbox %s: LINE refused the notice: %s", outbound_id, error.status)
            await self._db(store.mark_send_failed, send.id, str(error))
            return "failed"
        metrics.MESSAGES_OUT.labels(via=via).inc(len(send.messages))
        await self._db(store.mark_sent, send.id, via, result.request_id, None)
        return "done"

    async def _notify_delay(self, event: EventView) -> None:
        """Tells the citizen, once per event, that the answer is delayed but kept."""
        if event.delay_notified or event.source_type != "user":
            return
        begun = await self._started(event.id)
        stored = await self._db(
            store.store_answer,
            begun,
            [[{"type": "text", "text": messages.DELAYED}]],
            "delay_notice",
        )
        try:
            # By push with its retry key, never the reply token: a notice sent just
            # before a crash is then never sent twice, and the token stays free for the
            # answer if Rasa is back within the minute.
            await self._send_pending(event, finish=False, stored=stored, reply=False)
        except RetryLater:
            logger.warning("event %s: delay notice not sent yet", event.id)

    async def _send_pending(
        self,
        event: EventView,
        *,
        finish: bool = True,
        stored: tuple[list[store.PendingSend], bool] | None = None,
        reply: bool = True,
    ) -> str:
        await self._started(event.id)
        pending, _ = stored or await self._db(store.pending_sends, event.id)
        # An attempt that finds the answer already stored ("answered" at load) is a
        # resumption: a send holding the reply token may have been delivered by the
        # attempt that crashed or timed out.
        resumed = event.status == "answered"
        to = _recipient(event)
        finished = False
        for index, send in enumerate(pending):
            last = finish and index == len(pending) - 1
            use_token = reply and send.via == "reply" and bool(event.reply_token)
            # Whether an earlier attempt may have delivered this reply: it was resumed
            # and LINE did not answer that attempt with an error.
            uncertain = resumed and not send.reply_refused
            if use_token and send.reply_refused:
                if event.age_s < REPLY_TOKEN_MAX_AGE_S:
                    await self._db(store.clear_reply_refused, send.id)
                else:
                    use_token = False  # nothing went out and the token is stale: push
            via = "reply" if use_token else "push"
            try:
                if use_token:
                    try:
                        result = await self.channel.reply(event.reply_token or "", send.messages)
                    except ReplyTokenRejected:
                        if uncertain:
                            # A reply token works once: refused now, it was spent by the
                            # attempt that stopped (or expired meanwhile). Never twice.
                            metrics.SEND_FAILURES.labels(reason="reply_unconfirmed").inc()
                            logger.warning(
                                "event %s: reply token refused on resume; taken as delivered",
                                event.id,
                            )
                            result = SendResult(request_id=None)
                        else:
                            metrics.SEND_FAILURES.labels(reason="reply_token").inc()
                            via = "push"
                            result = await self.channel.push(to, send.messages, send.retry_key)
                    except SendError as error:
                        if use_token and error.status is not None and error.status != 400:
                            # LINE answered: this reply was not delivered.
                            await self._db(store.mark_reply_refused, send.id, error.status)
                        raise
                else:
                    result = await self.channel.push(to, send.messages, send.retry_key)
            except SendError as error:
                if error.status is None or error.status == 429 or error.status >= 500:
                    metrics.SEND_FAILURES.labels(reason="unavailable").inc()
                    raise RetryLater(f"line {error.status}") from error
                metrics.SEND_FAILURES.labels(reason=f"http_{error.status}").inc()
                logger.error("event %s: LINE refused send %s: %s", event.id, send.id, error.status)
                await self._db(store.mark_send_failed, send.id, str(error))
                continue
            metrics.MESSAGES_OUT.labels(via=via).inc(len(send.messages))
            await self._db(
                store.mark_sent, send.id, via, result.request_id, event.id if last else None
            )
            finished = finished or last
        if finish and not finished:
            await self.finish(event, "done")
        return "done"


def _recipient(event: EventView) -> str:
    """Who an answer goes to: the user, else the group or room."""
    source = event.payload.get("source") or {}
    if not isinstance(source, dict):
        source = {}
    return str(event.line_user_id or source.get("groupId") or source.get("roomId") or "")


def _needs_recipient(event: EventView) -> bool:
    """Events the desk answers (everything but unfollow, unsend and unknown types)."""
    return event.event_type in {"message", "postback", "follow", "join"}


# The dispatch table ---------------------------------------------------------------


async def _text(handler: Handler, event: EventView) -> str:
    message = event.payload.get("message") or {}
    if message.get("unsent"):  # unsent by the citizen (redacted) before we got to it
        return await handler.finish(event, "skipped")
    text = str(message.get("text") or "")
    if not text.strip():  # spaces only: a slip of the thumb, still worth an answer
        return await handler.answer(event, [{"type": "text", "text": messages.EMPTY_TEXT}])
    ahead: TextRead | None = handler._ahead.pop(event.id, None)
    if ahead is not None:  # read when the event was started (store.begin)
        noted, read = ahead.noted, ahead.typed
    else:  # a text handed back to the bot (its hand-off ended meanwhile)
        noted = await handler._db(feedback.take_note, event.line_user_id or "", text)
        window = timedelta(days=handler.settings.reopen_window_days)
        read = choices.Typed()
        if noted is None:
            read = await handler._db(
                partial(choices.choice_for, reopen_window=window), event.line_user_id or "", text
            )
    if noted is not None:  # what was wrong on a service card, asked for just before
        return await handler.answer(event, [{"type": "text", "text": noted}])
    picked = read.payload
    if picked is not None and not picked.startswith("/"):
        # The typed words pick one of the gateway's own chips: do what its tap does.
        return await _gateway_postback(handler, event, picked)
    # Right after staff ended the chat, the actions know whose end the citizen answers
    # ("ขอบคุณค่ะ" is for the agent: thanked, and the rating asked again).
    context = {"handoff_ended": read.ended_handoff} if read.ended_handoff else None
    # Typed instead of tapped: the button's payload (bot.worker.choices), else the words.
    return await handler.ask_rasa(event, picked or typed(text), context)


@dataclass(frozen=True)
class TextRead:
    """What `_text` reads of the citizen's state before Rasa: the reply if the text is
    an awaited note (bot.worker.feedback), else what the typed words pick."""

    noted: str | None
    typed: choices.Typed


def _read_text(session: Session, event: EventView, *, reopen_window: timedelta) -> TextRead | None:
    """For a citizen's text the bot answers, `_text`'s reads, in the transaction that
    starts the event; None for any other event (its step reads what it needs).

    The note, when one is awaited, is taken (written) here: committed with the start,
    before Rasa is asked, as its own transaction did; a retry then reads the text as a
    message like any other, as it did.
    """
    if not (
        event.event_type == "message"
        and event.message_type == "text"
        and event.source_type == "user"
        and event.line_user_id
        and event.citizen_id is not None
        and event.handler == ConversationHandler.BOT
        and event.status != "answered"
    ):
        return None
    message = event.payload.get("message") or {}
    text = str(message.get("text") or "")
    if message.get("unsent") or not text.strip():
        return None
    noted = feedback.note(session, event.citizen_id, text)
    if noted is not None:
        return TextRead(noted, choices.Typed())
    typed_ = choices.read_typed(session, event.line_user_id, text, reopen_window=reopen_window)
    return TextRead(None, typed_)


async def _photo(handler: Handler, event: EventView) -> tuple[str | None, str | None]:
    """Downloads and stores the citizen's photo: (media id, None) or (None, what to say).

    LINE keeps content only for a while, so it is fetched when it arrives. A photo from
    an external provider (no content at LINE) gives (None, None).
    """
    message = event.payload.get("message") or {}
    message_id = str(message.get("id") or "")
    provider = (message.get("contentProvider") or {}).get("type", "line")
    if provider != "line" or not event.line_user_id:
        return None, None
    try:
        data, _content_type = await handler.channel.content(message_id)
    except SendError as error:
        if error.status is None or error.status == 429 or error.status >= 500:
            raise RetryLater(f"line content {error.status}") from error
        logger.warning("event %s: photo content gone (%s)", event.id, error.status)
        return None, messages.PHOTO_GONE
    stored = await asyncio.to_thread(
        media.store_photo,
        handler.sessions,
        line_user_id=event.line_user_id,
        line_message_id=message_id,
        data=data,
        max_bytes=handler.settings.max_photo_bytes,
    )
    if stored.refused == "too_large":
        return None, messages.PHOTO_TOO_LARGE.format(
            mb=handler.settings.max_photo_bytes // 1_000_000
        )
    if stored.refused:
        return None, messages.PHOTO_UNREADABLE
    return stored.media_id, None


async def _image(handler: Handler, event: EventView) -> str:
    """Stores the photo, then tells Rasa it was shared (with its media id)."""
    media_id, refusal = await _photo(handler, event)
    if refusal:
        return await handler.answer(event, [{"type": "text", "text": refusal}])
    if media_id is None:
        return await handler.ask_rasa(event, "/share_photo")
    return await handler.ask_rasa(event, "/share_photo" + json.dumps({"media_id": media_id}))


async def _location(handler: Handler, event: EventView) -> str:
    message = event.payload.get("message") or {}
    entities = {
        "latitude": message.get("latitude"),
        "longitude": message.get("longitude"),
        "address": message.get("address") or message.get("title") or "",
    }
    text = "/share_location" + json.dumps(entities, ensure_ascii=False)
    return await handler.ask_rasa(event, text)


async def _sticker(handler: Handler, event: EventView) -> str:
    return await handler.ask_rasa(event, "/share_sticker")


async def _unsupported_media(handler: Handler, event: EventView) -> str:
    return await handler.answer(event, [{"type": "text", "text": messages.UNSUPPORTED_MEDIA}])


async def _follow(handler: Handler, event: EventView) -> str:
    user_id = event.line_user_id or ""
    profile = await handler.channel.profile(user_id)
    await handler._started(event.id)
    await handler._db(store.set_following, user_id, True, profile.display_name if profile else None)
    welcome: list[dict[str, Any]] = [
        {"type": "text", "text": messages.WELCOME},
        {
            "type": "text",
            "text": messages.PRIVACY_NOTICE,
            "quickReply": convert.quick_reply(messages.WELCOME_CHOICES),
        },
    ]
    return await handler.answer(event, welcome)


async def _unfollow(handler: Handler, event: EventView) -> str:
    await handler._db(store.set_following, event.line_user_id or "", False, None)
    return await handler.finish(event, "done")


async def _postback(handler: Handler, event: EventView) -> str:
    data = str((event.payload.get("postback") or {}).get("data") or "")
    if data.startswith("/"):
        outcome = await handler.ask_rasa(event, data)
        if event.handler == ConversationHandler.STAFF and event.source_type == "user":
            # A rating or a reopen tapped during a staff chat is done by the bot, and
            # the agent sees it in words ("ให้คะแนน 4").
            await _show_staff(handler, event, {}, close=False)
        return outcome
    return await _gateway_postback(handler, event, data)


async def _gateway_postback(handler: Handler, event: EventView, data: str) -> str:
    """A gateway button (`action=...`), tapped or typed: its step, by its action."""
    action = (parse_qs(data).get("action") or [""])[0]
    step = POSTBACK_ACTIONS.get(action)
    if step is None:
        return await handler.answer(event, [{"type": "text", "text": messages.POSTBACK_EXPIRED}])
    if _postback_data(event) != data:
        # Typed: the step reads the chip's data as if it had been tapped.
        event = replace(event, payload={**event.payload, "postback": {"data": data}})
    return await step(handler, event)


def _postback_data(event: EventView) -> str:
    return str((event.payload.get("postback") or {}).get("data") or "")


async def _unsend(handler: Handler, event: EventView) -> str:
    message_id = str((event.payload.get("unsend") or {}).get("messageId") or "")
    await handler._db(store.redact_unsent, event.id, event.line_user_id or "", message_id)
    return await handler.finish(event, "done")


async def _group_message(handler: Handler, event: EventView) -> str:
    return await handler.finish(event, "skipped")


async def _join(handler: Handler, event: EventView) -> str:
    return await handler.answer(event, [{"type": "text", "text": messages.GROUP_NOT_SUPPORTED}])


async def _skip(handler: Handler, event: EventView) -> str:
    return await handler.finish(event, "skipped")


DISPATCH: dict[tuple[str, str | None], Step] = {
    ("message", "text"): _text,
    ("message", "image"): _image,
    ("message", "location"): _location,
    ("message", "sticker"): _sticker,
    ("message", "video"): _unsupported_media,
    ("message", "audio"): _unsupported_media,
    ("message", "file"): _unsupported_media,
    ("follow", None): _follow,
    ("unfollow", None): _unfollow,
    ("postback", None): _postback,
    ("unsend", None): _unsend,
    ("join", None): _join,
}

# Hand-off: while staff handle a conversation ------------------------------------


def _citizen_speaks(event: EventView) -> bool:
    """A citizen's own message or chip (not a gateway button) in a one-to-one chat."""
    if event.source_type != "user" or not event.line_user_id:
        return False
    if event.event_type == "message":
        return True
    if event.event_type == "postback":
        data = str((event.payload.get("postback") or {}).get("data") or "")
        return data.startswith("/") and not data.startswith(SELF_SERVICE)
    return False


# Buttons of the desk's own cards that the bot answers even while staff hold the chat:
# the ticket a citizen rates or reopens is theirs, whoever they are talking to.
SELF_SERVICE = ("/rate_ticket", "/reopen_ticket")


def _staff_message(
    sessions: sessionmaker[Session], event_id: int, *, close: bool = True
) -> tuple[int, str, dict[str, str]] | None:
    """(hand-off id, queue, the words of the buttons lately sent) the citizen's event
    belongs to, with the event closed (unless it went to Rasa, which closes it); None,
    the event left open, when no hand-off is open any more."""
    with unit_of_work(sessions) as session:
        event = session.get_one(InboundEvent, event_id)
        handoff = (
            handoffs.open_handoff(session, event.conversation_id)
            if event.conversation_id is not None
            else None
        )
        if handoff is None:
            return None
        if close:
            event.status = "done"
            event.processed_at = utcnow()
        return handoff.id, handoff.queue, taps.recent_labels(session, event.citizen_id)


async def _to_staff(handler: Handler, event: EventView) -> str:
    """The citizen's message goes to the console, not to Rasa (photos stored first).

    "ยกเลิก" typed while still waiting (nobody has taken the chat yet) stops the wait, as
    the chip does; with an agent it is said to the agent. A message whose hand-off ended
    meanwhile (staff closed the chat as it arrived) is the bot's again: never lost.
    """
    text = str((event.payload.get("message") or {}).get("text") or "")
    if event.message_type == "text" and is_cancel(text):
        cancelled = await _cancel_wait(handler, event, None)
        if cancelled is not None:
            return cancelled
    media_ids: dict[str, str] = {}
    if event.message_type == "image":
        media_id, refusal = await _photo(handler, event)
        if refusal:
            # The agent could not see it either: the citizen must know now.
            return await handler.answer(event, [{"type": "text", "text": refusal}])
        if media_id:
            media_ids[str((event.payload.get("message") or {}).get("id"))] = media_id
    settings = handler.settings
    hours = None if settings.office_always_open else await handler.office_hours()
    back = await handler._db(partial(_closed_ack_due, hours=hours), event.id) if hours else None
    if not await _show_staff(handler, event, media_ids, close=back is None):
        return await _to_bot(handler, event)
    if back is not None:
        # Staff are out and nobody has said so since the citizen began waiting.
        text = handoff_texts.waiting_closed(back)
        return await handler.answer(event, [{"type": "text", "text": text}])
    return "done"


def _closed_ack_due(
    sessions: sessionmaker[Session], event_id: int, *, hours: OfficeHours
) -> datetime | None:
    """When staff are back, if the citizen waits outside office hours and has not been
    told so since the hand-off began (the transfer notice tells it); else None."""
    now = utcnow()
    if hours.is_open(now):
        return None
    with sessions() as session:
        event = session.get_one(InboundEvent, event_id)
        if event.conversation_id is None or event.citizen_id is None:
            return None
        handoff = handoffs.open_handoff(session, event.conversation_id)
        if handoff is None or handoff.status != HandoffStatus.WAITING:
            return None
        told = session.scalars(
            select(OutboundMessage.messages).where(
                OutboundMessage.citizen_id == event.citizen_id,
                OutboundMessage.created_at >= handoff.requested_at,
            )
        )
        if any(handoff_texts.CLOSED_MARK in json.dumps(m, ensure_ascii=False) for m in told):
            return None
        return hours.next_open(now)


async def _to_bot(handler: Handler, event: EventView) -> str:
    """The event as the bot handles it (its hand-off ended while it was on its way)."""
    step = DISPATCH.get((event.event_type, event.message_type)) or DISPATCH.get(
        (event.event_type, None), _skip
    )
    return await step(handler, replace(event, handler=ConversationHandler.BOT))


async def _show_staff(
    handler: Handler, event: EventView, media_ids: dict[str, str], *, close: bool
) -> bool:
    """Shows the citizen's message or tap (in words) in the consoles of its hand-off;
    False when it has none open any more."""
    begun = await handler._started(event.id)
    found = await handler._db(partial(_staff_message, close=close), event.id)
    if found is None:
        return False
    handoff_id, queue, labels = found
    if handler.publish is not None:
        entry = handoffs.citizen_entry(event.payload, media_ids, labels)
        entry.update(at=utcnow().isoformat(), key=f"e{event.id}")
        await handler.publish(
            queue,
            {
                "type": "message",
                "handoff_id": handoff_id,
                "conversation_id": begun.conversation_id,
                "entry": entry,
            },
        )
    return True


def _leave(
    sessions: sessionmaker[Session],
    event: EventView,
    text: str,
    queue: str,
    router: Router,
    calendar: BusinessCalendar,
) -> str:
    with unit_of_work(sessions) as session:
        ticket = handoffs.leave_message(
            session,
            line_user_id=event.line_user_id or "",
            text=text,
            event_id=event.id,
            queue=queue,
            router=router,
            calendar=calendar,
        )
        return ticket.id


async def _leave_message(handler: Handler, event: EventView) -> str:
    """Outside office hours: the citizen's typed message becomes a ticket for staff."""
    message = event.payload.get("message") or {}
    text = str(message.get("text") or "").strip() if event.message_type == "text" else ""
    if is_cancel(text):
        # "ยกเลิก" is not the message to leave: nothing is filed.
        await handler._started(event.id)
        await handler._db(_set_leaving, event.line_user_id or "", False)
        return await handler.answer(
            event, [{"type": "text", "text": handoff_texts.LEAVE_CANCELLED}]
        )
    if not text:
        return await handler.answer(event, handoff_texts.leave_text_only())
    await handler._started(event.id)
    router, calendar = await handler.routing()
    ticket_id = await asyncio.to_thread(
        _leave, handler.sessions, event, text, handler.settings.handoff_queue, router, calendar
    )
    hours = await handler.office_hours()
    reply = handoff_texts.left(ticket_id, hours.next_open(utcnow()))
    return await handler.answer(event, [{"type": "text", "text": reply}])


def _postback_field(event: EventView, name: str) -> str:
    data = str((event.payload.get("postback") or {}).get("data") or "")
    return (parse_qs(data).get(name) or [""])[0]


def _cancel(
    sessions: sessionmaker[Session], line_user_id: str, handoff_id: int | None
) -> str | None:
    with unit_of_work(sessions) as session:
        cancelled = handoffs.cancel(session, line_user_id, handoff_id)
        return None if cancelled is None else cancelled.queue


async def _cancel_wait(handler: Handler, event: EventView, handoff_id: int | None) -> str | None:
    """Stops the citizen's wait for a person (that hand-off, or whichever is waiting):
    the consoles' queues update and the citizen is told; None when nothing was waiting."""
    await handler._started(event.id)
    queue = await handler._db(_cancel, event.line_user_id or "", handoff_id)
    if queue is None:
        return None
    if handler.publish is not None:
        await handler.publish(queue, {"type": "queue"})
    return await handler.answer(event, [{"type": "text", "text": handoff_texts.CANCELLED}])


async def _cancel_handoff(handler: Handler, event: EventView) -> str:
    raw = _postback_field(event, "h")
    cancelled = await _cancel_wait(handler, event, int(raw) if raw.isdigit() else None)
    if cancelled is not None:
        return cancelled
    return await handler.answer(event, [{"type": "text", "text": handoff_texts.NOT_WAITING}])


def _rate(sessions: sessionmaker[Session], handoff_id: int, line_user_id: str, score: int) -> str:
    with unit_of_work(sessions) as session:
        return handoffs.rate(session, handoff_id, line_user_id, score)


async def _rate_handoff(handler: Handler, event: EventView) -> str:
    raw_id, raw_score = _postback_field(event, "h"), _postback_field(event, "score")
    if not (raw_id.isdigit() and raw_score.isdigit()):
        return await handler.answer(event, [{"type": "text", "text": messages.POSTBACK_EXPIRED}])
    outcome = await handler._db(_rate, int(raw_id), event.line_user_id or "", int(raw_score))
    text = {
        "rated": handoff_texts.RATED,
        "already": handoff_texts.RATED_ALREADY,
    }.get(outcome, messages.POSTBACK_EXPIRED)
    return await handler.answer(event, [{"type": "text", "text": text}])


def _set_leaving(sessions: sessionmaker[Session], line_user_id: str, leaving: bool) -> None:
    with unit_of_work(sessions) as session:
        if leaving:
            handoffs.start_leaving_message(session, line_user_id)
        else:
            handoffs.stop_leaving_message(session, line_user_id)


async def _start_leaving(handler: Handler, event: EventView) -> str:
    await handler._started(event.id)
    await handler._db(_set_leaving, event.line_user_id or "", True)
    return await handler.answer(event, handoff_texts.leave_prompt())


async def _stop_leaving(handler: Handler, event: EventView) -> str:
    await handler._started(event.id)
    await handler._db(_set_leaving, event.line_user_id or "", False)
    return await handler.answer(event, [{"type": "text", "text": handoff_texts.LEAVE_STOPPED}])


async def _service_feedback(handler: Handler, event: EventView) -> str:
    service_id, vote = _postback_field(event, "s"), _postback_field(event, "v")
    await handler._started(event.id)
    reply = await handler._db(feedback.record, event.line_user_id or "", service_id, vote)
    return await handler.answer(event, [{"type": "text", "text": reply}])


async def _offer_again(handler: Handler, event: EventView) -> str:
    """ "Not done yet", said after staff ended the chat: a person again, if they wish."""
    return await handler.answer(event, handoff_texts.offer_again())


# Gateway postbacks by their action= field (tapped, or typed: bot.worker.choices).
POSTBACK_ACTIONS: dict[str, Step] = {
    "service_feedback": _service_feedback,
    "cancel_handoff": _cancel_handoff,
    "rate_handoff": _rate_handoff,
    "leave_message": _start_leaving,
    "no_message": _stop_leaving,
    "handoff_again": _offer_again,
}
