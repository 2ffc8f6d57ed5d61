"""The hand-off domain on real databases: a migrated SQLite file and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, time, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot import privacy
from bot.config import Settings
from bot.conversations.models import Citizen, Conversation
from bot.db import make_engine, make_sessionmaker, migrate, unit_of_work, utcnow
from bot.handoff import service
from bot.handoff.models import ConversationNote, Handoff
from bot.line.models import InboundEvent, OutboundMessage
from bot.main import create_app
from bot.staff.auth import StaffUser
from bot.staff.models import Staff
from bot.tickets.calendar import BusinessCalendar, OfficeHours
from bot.tickets.routing import Router
from tests.support import factories
from tests.support.agents import CSRF_META, PASSWORD, login_form
from tests.support.stack import Served, wait_for

QUEUE = "gov_contact_1111"


@pytest.fixture(scope="module")
def hours() -> OfficeHours:
    return OfficeHours(time(8, 30), time(16, 30), BusinessCalendar.load())


@pytest.fixture
def queue() -> str:
    """A queue of this test alone (the PostgreSQL database is shared by the session)."""
    return f"{QUEUE}-t{uuid.uuid4().hex[:6]}"


def user() -> str:
    return "U" + uuid.uuid4().hex


def ask(session: Session, line_user_id: str, queue: str, **extra: object) -> service.Requested:
    values: dict[str, object] = {
        "line_user_id": line_user_id,
        "reason": "requested",
        "queue": queue,
        "hours": None,
        "minutes_per_citizen": 4.0,
    }
    values.update(extra)
    return service.request(session, **values)  # type: ignore[arg-type]


def staff(session: Session, role: str, agency: str | None, capacity: int = 5) -> StaffUser:
    created = factories.staff(session, role=role, agency_id=agency, capacity=capacity)
    return StaffUser(created.id, created.username, created.display_name, role, agency)


def test_asking_twice_queues_once_and_positions_follow_arrival(
    sessions: sessionmaker[Session], queue: str
) -> None:
    users = [user() for _ in range(3)]
    with unit_of_work(sessions) as session:
        first = [ask(session, u, queue) for u in users]
        again = ask(session, users[0], queue)
        assert service.handler_of(session, users[0]) == "staff"
    assert [r.position for r in first] == [1, 2, 3]
    assert [r.wait_minutes for r in first] == [4, 8, 12]
    assert all(r.created for r in first)
    assert again.handoff_id == first[0].handoff_id and not again.created
    with unit_of_work(sessions) as session:
        assert service.cancel(session, users[0], None) is not None
        assert service.handler_of(session, users[0]) == "bot"
        later = ask(session, users[2], queue)
    assert later.position == 2


def test_one_open_hand_off_per_conversation_is_enforced_by_the_database(
    sessions: sessionmaker[Session], queue: str
) -> None:
    line_user_id = user()
    with unit_of_work(sessions) as session:
        asked = ask(session, line_user_id, queue)
        conversation_id = session.get_one(Handoff, asked.handoff_id).conversation_id
    with pytest.raises(IntegrityError), unit_of_work(sessions) as session:
        session.add(Handoff(conversation_id=conversation_id, queue=queue, reason="requested"))
        session.flush()
    with unit_of_work(sessions) as session:
        agent = staff(session, "agent", QUEUE)
        handoff = service.claim(session, asked.handoff_id or 0, agent)
        service.end(session, handoff, agent)
        assert ask(session, line_user_id, queue).created  # a new one may open now


def test_outside_office_hours_nothing_is_queued_and_the_next_opening_is_given(
    sessions: sessionmaker[Session], queue: str, hours: OfficeHours
) -> None:
    bangkok = timedelta(hours=7)
    # Friday 4 Dec 2026, 17:00 Bangkok: closed; Sat 5 and Mon 7 Dec are public holidays
    # (King Bhumibol's birthday and its substitution day), so staff are back on Tuesday.
    friday_evening = datetime(2026, 12, 4, 17, 0, tzinfo=UTC) - bangkok
    line_user_id = user()
    with unit_of_work(sessions) as session:
        closed = ask(session, line_user_id, queue, hours=hours, now=friday_evening)
        assert service.handler_of(session, line_user_id) == "bot"
    assert closed.status == "closed" and closed.handoff_id is None
    assert closed.next_open == datetime(2026, 12, 8, 8, 30, tzinfo=UTC) - bangkok
    tuesday_morning = datetime(2026, 12, 8, 9, 0, tzinfo=UTC) - bangkok
    with unit_of_work(sessions) as session:
        opened = ask(session, line_user_id, queue, hours=hours, now=tuesday_morning)
    assert opened.status == "queued"


def test_of_two_claims_one_wins(sessions: sessionmaker[Session], queue: str) -> None:
    with unit_of_work(sessions) as session:
        asked = ask(session, user(), queue)
        first, second = staff(session, "agent", QUEUE), staff(session, "agent", QUEUE)
    with unit_of_work(sessions) as session:
        service.claim(session, asked.handoff_id or 0, first)
    with pytest.raises(service.HandoffError) as refused, unit_of_work(sessions) as session:
        service.claim(session, asked.handoff_id or 0, second)
    assert refused.value.code == "taken"
    with unit_of_work(sessions) as session:
        handoff = session.get_one(Handoff, asked.handoff_id)
        assert handoff.agent_id == first.id
        with pytest.raises(service.HandoffError):
            service.reply(session, handoff, second, "ผมช่วยได้")


def test_round_robin_respects_capacity_and_skips_supervisors(
    sessions: sessionmaker[Session], queue: str
) -> None:
    with unit_of_work(sessions) as session:
        agency = queue  # agents of this queue's agency
        one = staff(session, "agent", agency, capacity=1)
        two = staff(session, "agent", agency, capacity=2)
        boss = staff(session, "supervisor", agency, capacity=10)
        elsewhere = staff(session, "agent", "ocpb", capacity=10)
        asked = [ask(session, user(), queue) for _ in range(5)]
    with unit_of_work(sessions) as session:
        online = [one.id, two.id, boss.id, elsewhere.id]
        assigned = service.assign_waiting(session, queue, online)
        given = {h.id: int(h.agent_id or 0) for h in assigned}
    assert len(assigned) == 3  # capacities 1 + 2; the rest keep waiting
    assert list(given) == [a.handoff_id for a in asked[:3]]  # oldest first
    assert sorted(given.values()) == sorted([one.id, two.id, two.id])
    assert given[int(asked[0].handoff_id or 0)] in {one.id, two.id}
    with unit_of_work(sessions) as session:
        assert service.assign_waiting(session, queue, online) == []
        waiting = [session.get_one(Handoff, a.handoff_id).status for a in asked[3:]]
    assert waiting == ["waiting", "waiting"]


def test_an_agent_reply_offers_the_reply_token_only_while_it_is_fresh(
    sessions: sessionmaker[Session], queue: str
) -> None:
    line_user_id = user()
    with unit_of_work(sessions) as session:
        asked = ask(session, line_user_id, queue)
        handoff = session.get_one(Handoff, asked.handoff_id)
        agent = staff(session, "agent", QUEUE)
        service.claim(session, handoff.id, agent)
        for age in (120, 10):
            session.add(
                InboundEvent(
                    webhook_event_id=uuid.uuid4().hex,
                    event_type="message",
                    message_type="text",
                    source_type="user",
                    line_user_id=line_user_id,
                    conversation_id=handoff.conversation_id,
                    reply_token=uuid.uuid4().hex,
                    payload={"type": "message", "message": {"type": "text", "text": "x"}},
                    status="done",
                    received_at=utcnow() - timedelta(seconds=age),
                )
            )
            session.flush()
        fresh = service.reply(session, handoff, agent, "สวัสดีค่ะ")
        row = session.get_one(OutboundMessage, fresh.outbound_id)
        latest = max(
            e.id
            for e in session.query(InboundEvent).filter_by(conversation_id=handoff.conversation_id)
        )
        assert row.reply_to_event_id == latest and row.staff_id == agent.id
        assert handoff.first_response_at is not None
        stale = session.get_one(InboundEvent, latest)
        stale.received_at = utcnow() - timedelta(seconds=90)
        session.flush()
        later = service.reply(session, handoff, agent, "ยังอยู่ไหมคะ")
        assert session.get_one(OutboundMessage, later.outbound_id).reply_to_event_id is None


def test_a_rating_counts_once_and_only_from_the_citizen_after_the_end(
    sessions: sessionmaker[Session], queue: str
) -> None:
    line_user_id = user()
    with unit_of_work(sessions) as session:
        asked = ask(session, line_user_id, queue)
        agent = staff(session, "agent", QUEUE)
        handoff = service.claim(session, asked.handoff_id or 0, agent)
        assert service.rate(session, handoff.id, line_user_id, 5) == "unknown"  # not ended
        notice = service.end(session, handoff, agent)
        assert notice is not None
        ask_rating = session.get_one(OutboundMessage, notice.outbound_id).messages[0]
        chips = [i["action"]["data"] for i in ask_rating["quickReply"]["items"]]
        assert f"action=rate_handoff&h={handoff.id}&score=5" in chips
        assert service.rate(session, handoff.id, user(), 5) == "unknown"  # someone else
        assert service.rate(session, handoff.id, line_user_id, 9) == "unknown"
        assert service.rate(session, handoff.id, line_user_id, 3) == "rated"
        assert service.rate(session, handoff.id, line_user_id, 5) == "already"
        assert handoff.rating == 3


def test_a_transfer_keeps_the_conversation_and_waits_in_the_new_queue(
    sessions: sessionmaker[Session], queue: str
) -> None:
    line_user_id = user()
    with unit_of_work(sessions) as session:
        asked = ask(session, line_user_id, queue)
        agent = staff(session, "agent", QUEUE)
        handoff = service.claim(session, asked.handoff_id or 0, agent)
        moved, notice = service.transfer(session, handoff, agent, "ocpb", Router.load())
        assert handoff.status == "transferred"
        assert moved.status == "waiting" and moved.queue == "ocpb"
        assert moved.transferred_from_id == handoff.id
        assert moved.conversation_id == handoff.conversation_id
        text = session.get_one(OutboundMessage, notice.outbound_id).messages[0]["text"]
        assert "ส่งต่อ" in text
        with pytest.raises(service.HandoffError):
            service.transfer(session, moved, agent, "no-such-agency", Router.load())


def test_the_wait_estimate_learns_from_the_queue(
    sessions: sessionmaker[Session], queue: str
) -> None:
    with unit_of_work(sessions) as session:
        agent = staff(session, "agent", QUEUE)
        now = utcnow()
        for minutes in (6, 10, 8):
            asked = ask(session, user(), queue)
            handoff = session.get_one(Handoff, asked.handoff_id)
            handoff.status = "ended"
            handoff.agent_id = agent.id
            handoff.claimed_at = now - timedelta(minutes=30)
            handoff.ended_at = now - timedelta(minutes=30 - minutes)
            session.flush()
        # Median 8 minutes per conversation, one agent: the third in line waits ~24.
        assert service.estimate_wait(session, queue, 3, 4.0) == 24


def test_online_agents_are_given_waiting_conversations_in_turn(settings: Settings) -> None:
    """Through the gateway: agents with the console open get the queue, within capacity."""
    queue = f"ocpb-t{uuid.uuid4().hex[:6]}"
    sessions = make_sessionmaker(make_engine(settings.database_url))
    migrate(settings.database_url)
    with unit_of_work(sessions) as session:
        agents = [staff(session, "agent", queue, capacity=1) for _ in range(2)]
        usernames = [session.get_one(Staff, a.id).username for a in agents]
        asked = [ask(session, user(), queue) for _ in range(3)]
    assert settings.handoff_auto_assign
    with Served(create_app(settings)) as served:
        consoles = [_console(served.base_url, name) for name in usernames]
        streams = [threading.Thread(target=_watch, args=(c,), daemon=True) for c in consoles]
        for stream in streams:
            stream.start()

        def statuses() -> list[tuple[str, int | None]]:
            with sessions() as session:
                rows = [session.get_one(Handoff, a.handoff_id) for a in asked]
                return [(h.status, h.agent_id) for h in rows]

        wait_for(
            lambda: [s for s, _ in statuses()] == ["active", "active", "waiting"], 15, "2 assigned"
        )
        assert sorted(int(agent or 0) for _, agent in statuses()[:2]) == sorted(
            a.id for a in agents
        )
        first_agent = int(statuses()[0][1] or 0)
        holder = consoles[[a.id for a in agents].index(first_agent)]
        ended = holder.post(
            f"/console/api/handoffs/{asked[0].handoff_id}/end",
            headers={"X-CSRF-Token": holder.headers["X-CSRF-Token"]},
        )
        assert ended.status_code == 200, ended.text
        wait_for(lambda: statuses()[2] == ("active", first_agent), 15, "the third assigned")
        for console in consoles:
            console.close()


def _console(base_url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=15)
    token = login_form(client)
    signed = client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf": token}
    )
    assert signed.status_code == 303, signed.text
    page = client.get("/console")
    found = CSRF_META.search(page.text)
    assert found
    client.headers["X-CSRF-Token"] = found.group(1)
    return client


def _watch(client: httpx.Client) -> None:
    try:
        with client.stream("GET", "/console/api/stream", timeout=60) as response:
            for _ in response.iter_lines():
                pass
    except (httpx.HTTPError, RuntimeError):
        pass


def test_erasure_closes_the_hand_off_and_deletes_staff_notes(
    sessions: sessionmaker[Session], queue: str
) -> None:
    line_user_id = user()
    with unit_of_work(sessions) as session:
        asked = ask(session, line_user_id, queue)
        agent = staff(session, "agent", QUEUE)
        handoff = service.claim(session, asked.handoff_id or 0, agent)
        service.add_note(session, handoff, agent, "คุณป้าเบอร์ 0812345678 บ้านเลขที่ 5")
        assert privacy.summary(session, line_user_id)["handoffs"] == 1
    with unit_of_work(sessions) as session:
        privacy.erase_citizen(session, line_user_id)
    with unit_of_work(sessions) as session:
        handoff = session.get_one(Handoff, asked.handoff_id)
        assert handoff.status == "closed"
        notes = session.scalars(
            select(ConversationNote).where(
                ConversationNote.conversation_id == handoff.conversation_id
            )
        ).all()
        assert notes == []
        assert session.get_one(Conversation, handoff.conversation_id).handler == "bot"
        with pytest.raises(service.HandoffError):
            service.reply(session, handoff, agent, "ยังอยู่ไหมคะ")


def test_the_queue_names_each_citizen_and_shows_what_they_last_sent(
    sessions: sessionmaker[Session], queue: str
) -> None:
    named, nameless, quiet = user(), user(), user()
    with unit_of_work(sessions) as session:
        asked = {u: ask(session, u, queue) for u in (named, nameless, quiet)}
        conversations = {
            u: session.get_one(Handoff, r.handoff_id).conversation_id for u, r in asked.items()
        }
        citizen = session.get_one(Handoff, asked[named].handoff_id).citizen_id
        session.get_one(Citizen, citizen).display_name = "ป้าสมใจ"
        for n, (line_user_id, message) in enumerate(
            [
                (named, {"type": "text", "text": "สวัสดีค่ะ"}),
                (named, {"type": "image", "id": "img1"}),
                (nameless, {"type": "text", "text": "ช่วยด้วยครับ " + "น้ำท่วมบ้าน" * 20}),
            ]
        ):
            session.add(
                InboundEvent(
                    webhook_event_id=f"preview-{uuid.uuid4().hex}-{n}",
                    event_type="message",
                    message_type=message["type"],
                    line_user_id=line_user_id,
                    conversation_id=conversations[line_user_id],
                    payload={"type": "message", "message": message},
                )
            )
    with unit_of_work(sessions) as session:
        items = {i.conversation_id: i for i in service.open_items(session, [queue])}
    first, second, third = (items[conversations[u]] for u in (named, nameless, quiet))
    assert first.citizen == "ป้าสมใจ" and first.last_text == "[รูปภาพ]"  # the latest
    assert second.citizen.startswith("ผู้ใช้ LINE #")
    assert second.last_text is not None and second.last_text.startswith("ช่วยด้วยครับ น้ำท่วมบ้าน")
    assert len(second.last_text) == service.PREVIEW_CHARS and second.last_text.endswith("…")
    assert third.citizen.startswith("ผู้ใช้ LINE #") and third.citizen != second.citizen
    assert third.last_text is None


def test_a_ticket_from_the_chat_keeps_the_citizens_own_words(
    sessions: sessionmaker[Session], queue: str
) -> None:
    line_user_id = user()
    with unit_of_work(sessions) as session:
        asked = ask(session, line_user_id, queue)
        handoff = session.get_one(Handoff, asked.handoff_id)
        for n, (text, intent) in enumerate(
            [
                ("สวัสดีค่ะ", "greet"),
                ("ขอคุยกับเจ้าหน้าที่หน่อยค่ะ", "request_human"),
                ("น้ำประปาไม่ไหลมาสองวันแล้วค่ะ ทั้งซอย", None),  # said to staff
                ("โอเคค่ะ", None),  # too short to be the problem
                ("ซอยวัดดอนค่ะ บ้านเลขที่ 12", None),
            ]
        ):
            session.add(
                InboundEvent(
                    webhook_event_id=f"words-{uuid.uuid4().hex}-{n}",
                    event_type="message",
                    message_type="text",
                    line_user_id=line_user_id,
                    conversation_id=handoff.conversation_id,
                    nlu_intent=intent,
                    payload={"type": "message", "message": {"type": "text", "text": text}},
                )
            )
        session.flush()
        words = service.citizen_words(session, handoff)
    assert words == "น้ำประปาไม่ไหลมาสองวันแล้วค่ะ ทั้งซอย / ซอยวัดดอนค่ะ บ้านเลขที่ 12"
