"""One citizen's turn through the worker's handler, in-process (Rasa and LINE stubbed), on
SQLite and PostgreSQL: what the handler reads of the citizen before Rasa is read in the
transaction that starts the event, and a plain text turn costs three transactions."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from bot.catalogue import store as catalogue
from bot.catalogue.models import ServiceFeedback
from bot.catalogue.service import read_data
from bot.config import Settings
from bot.conversations.models import Citizen, Conversation
from bot.db import unit_of_work, utcnow
from bot.line import service
from bot.line.client import Profile, SendResult
from bot.line.models import InboundEvent, OutboundMessage
from bot.worker import feedback, store
from bot.worker.handler import Handler
from bot.worker.rasa import RasaTurn, Understood
from tests.bot.catalogue.catalogue_support import FIXTURES
from tests.support import factories

USER = "U" + "e" * 32
RATE_5 = '/rate_ticket{"ticket_id": "T-1", "rating": 5}'


class Rasa:
    """Rasa's desk channel: answers every message, noting what it was sent."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def send(self, *, sender: str, text: str, metadata: dict[str, Any]) -> RasaTurn:
        self.asked.append(text)
        return RasaTurn([{"recipient_id": sender, "text": "สวัสดีค่ะ"}], Understood("greet", 0.9))


class Line:
    """LINE's API: accepts every send, noting the replies."""

    def __init__(self) -> None:
        self.replies: list[list[dict[str, Any]]] = []

    async def reply(self, reply_token: str, messages: list[dict[str, Any]]) -> SendResult:
        self.replies.append(messages)
        return SendResult(request_id=uuid.uuid4().hex)

    async def push(self, to: str, messages: list[dict[str, Any]], retry_key: str) -> SendResult:
        raise AssertionError("a fresh reply token is used, never a push")

    async def show_loading(self, user_id: str, seconds: int) -> None:
        return None

    async def mark_read(self, token: str) -> None:
        return None

    async def profile(self, user_id: str) -> Profile | None:
        return None

    async def content(self, message_id: str) -> tuple[bytes, str]:
        raise AssertionError("no content is fetched for a text")


def text_event(text: str) -> dict[str, Any]:
    return factories.text_event(USER, text, tag="TURN")


def stored(sessions: sessionmaker[Session], text: str) -> int:
    with unit_of_work(sessions) as session:
        [(_, event_id)] = service.store_events(session=session, events=[text_event(text)])
    return event_id


def turn(handler: Handler, event_id: int) -> str:
    return asyncio.run(handler.handle(event_id))


def handler_for(settings: Settings, sessions: sessionmaker[Session]) -> tuple[Handler, Rasa, Line]:
    rasa, line = Rasa(), Line()
    handler = Handler(settings=settings, sessions=sessions, channel=line, rasa=rasa)  # type: ignore[arg-type]
    return handler, rasa, line


def test_a_greeting_takes_three_transactions_and_is_stored_before_it_is_sent(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    handler, rasa, line = handler_for(settings, sessions)
    assert turn(handler, stored(sessions, "สวัสดีค่ะ")) == "done"  # a new citizen
    opened: list[str] = []
    engine = sessions.kw["bind"]
    event.listen(engine, "begin", lambda _: opened.append("begin"))
    event_id = stored(sessions, "สวัสดีครับ")
    opened.clear()
    assert turn(handler, event_id) == "done"
    # Started (with the citizen's state read), the answer stored, the send recorded.
    assert len(opened) == 3
    assert rasa.asked == ["สวัสดีค่ะ", "สวัสดีครับ"]
    assert len(line.replies) == 2
    with sessions() as session:
        row = session.get_one(InboundEvent, event_id)
        conversation = session.scalars(select(Conversation)).one()
        assert (row.status, row.attempts, row.nlu_intent) == ("done", 1, "greet")
        assert row.citizen_id == conversation.citizen_id
        assert row.conversation_id == conversation.id
        sends = session.scalars(
            select(OutboundMessage).where(OutboundMessage.inbound_event_id == event_id)
        ).all()
        assert [(s.status, s.via, s.attempts) for s in sends] == [("sent", "reply", 1)]
    assert turn(handler, event_id) == "already_handled"


def test_an_awaited_note_is_taken_without_asking_rasa(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        catalogue.seed(session, read_data(data_dir=FIXTURES))
        session.add(Citizen(line_user_id=USER))
    assert feedback.record(sessions, USER, "passport", "wrong") == feedback.THANKS["wrong"]
    handler, rasa, line = handler_for(settings, sessions)
    assert turn(handler, stored(sessions, "ต้องจองคิวก่อนแล้วค่ะ")) == "done"
    assert rasa.asked == []
    assert line.replies == [[{"type": "text", "text": feedback.NOTED}]]
    with sessions() as session:
        note = session.scalars(select(ServiceFeedback.note)).one()
        assert note == "ต้องจองคิวก่อนแล้วค่ะ"
    # Only one note: the next text is a message like any other.
    assert turn(handler, stored(sessions, "ต้องจองคิวก่อนแล้วค่ะ")) == "done"
    assert rasa.asked == ["ต้องจองคิวก่อนแล้วค่ะ"]


def test_a_typed_rating_reaches_rasa_as_the_chip_it_picks(
    settings: Settings, sessions: sessionmaker[Session]
) -> None:
    with unit_of_work(sessions) as session:
        citizen = Citizen(line_user_id=USER)
        session.add(citizen)
        session.flush()
        chip = {"type": "postback", "label": "5", "data": RATE_5, "displayText": "5"}
        quick = {"items": [{"type": "action", "action": chip}]}
        session.add(
            OutboundMessage(
                citizen_id=citizen.id,
                line_user_id=USER,
                purpose="ticket_update",
                messages=[{"type": "text", "text": "ให้คะแนน", "quickReply": quick}],
                retry_key=str(uuid.uuid4()),
                status="sent",
                created_at=utcnow(),
            )
        )
    handler, rasa, _ = handler_for(settings, sessions)
    assert turn(handler, stored(sessions, "ห้าดาวค่ะ")) == "done"
    assert rasa.asked == [RATE_5]


def test_a_stored_answer_returns_what_a_later_attempt_reads(
    sessions: sessionmaker[Session],
) -> None:
    """The sends `store_answer` returns (built from the insert, not read again) are the
    ones a resumed attempt reads: earlier sends first, the reply token on one send."""
    event_id = stored(sessions, "สวัสดีค่ะ")
    begun = store.begin(sessions, event_id)
    assert begun is not None
    notice = [[{"type": "text", "text": "รอสักครู่"}]]
    delayed = store.store_answer(sessions, begun.event, notice, "delay_notice")
    assert delayed == store.pending_sends(sessions, event_id)
    answer = [[{"type": "text", "text": str(n)}] for n in range(3)]
    answered = store.store_answer(sessions, begun.event, answer, "answer", None, True)
    assert answered == store.pending_sends(sessions, event_id)
    sends, used = answered
    assert used and [s.via for s in sends] == [None, "reply", None, None]
    assert [s.messages for s in sends] == notice + answer
