"""Hand-off end to end: LINE stand-in → gateway → worker → Rasa → actions → PostgreSQL →
console API (cookies + CSRF, like the browser) → outbox → worker → LINE stand-in.

Every step is what a citizen or an agent does; nothing is called behind the desk's back.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.conversations.models import Citizen
from bot.handoff.models import Handoff
from bot.main import create_app
from bot.staff.models import AuditEntry
from bot.tickets.models import Ticket
from tests.support.agents import Agent, create_staff, login_form
from tests.support.chat import LAT, LON, TICKET_ID, Chat, photo, postbacks, said, ticket
from tests.support.stack import Desk, Served, user_id, wait_for

pytestmark = pytest.mark.stack
QUEUE = "gov_contact_1111"


def _db(desk: Desk) -> Session:
    return Session(create_engine(desk.settings.database_url))


def _handoff(desk: Desk, handoff_id: int) -> Handoff:
    with _db(desk) as session:
        found = session.get(Handoff, handoff_id)
        assert found is not None
        session.expunge(found)
        return found


def _waiting_item(agent: Agent, name: str) -> dict[str, Any]:
    return wait_for(
        lambda: next(
            (i for i in agent.queue() if i["citizen"] == name and i["status"] == "waiting"), None
        ),
        10,
        f"{name} waiting in the queue",
    )


def _follow(desk: Desk, chat: Chat, name: str) -> None:
    """The citizen adds the desk as a friend (the stand-in gives the profile name)."""
    sent = desk.send(chat.user, None, event="follow", displayName=name)
    chat._await_handled(sent)


def _quiet(chat: Chat) -> list[dict[str, Any]]:
    """Whatever reached the citizen, once the desk has nothing left to do for them."""
    chat.desk.wait_settled(chat.user)
    new = chat.desk.delivered(chat.user)[chat.seen :]
    chat.seen += len(new)
    return [d["message"] for d in new]


def test_a_citizen_asks_for_a_person_an_agent_answers_and_the_citizen_rates(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    _follow(desk, chat, "สมศรี ใจดี")
    asked = chat.say("ขอคุยกับเจ้าหน้าที่หน่อยค่ะ")
    text = said(asked)
    assert "คิว" in text and "นาที" in text, text
    cancel = [p for p in postbacks(asked[-1]) if p.startswith("action=cancel_handoff")]
    assert cancel, asked

    # While waiting the bot is silent, and everything the citizen sends reaches staff.
    assert chat.say("ถนนหน้าบ้านเป็นหลุมลึก รถล้มทุกวัน") == []
    assert chat.location(LAT, LON, "หน้าปากซอย") == []
    assert chat.image(photo()) == []
    assert chat.say("สวัสดีค่ะ") == [], "the bot answered a greeting during the hand-off"

    agent = Agent.sign_in(desk, create_staff(desk, "agent", QUEUE, name="วิภา"))
    other = Agent.sign_in(desk, create_staff(desk, "agent", QUEUE, name="ธนา"))
    item = _waiting_item(agent, "สมศรี ใจดี")
    history = agent.get(f"/conversations/{item['conversation_id']}").json()["history"]
    citizen = [e for e in history if e["from"] == "citizen"]
    kinds = [e["type"] for e in citizen]
    assert "location" in kinds and "image" in kinds, kinds
    assert any("หลุมลึก" in (e.get("text") or "") for e in citizen)
    photo_entry = next(e for e in citizen if e["type"] == "image")
    got = agent.get(f"/media/{photo_entry['media_id']}")
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"

    # Two agents claim at once: exactly one holds it.
    results: dict[str, int] = {}

    def claim(who: Agent) -> None:
        results[who.username] = who.post(f"/handoffs/{item['id']}/claim").status_code

    threads = [threading.Thread(target=claim, args=(a,)) for a in (agent, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results.values()) == [200, 409], results
    holder, loser = (agent, other) if results[agent.username] == 200 else (other, agent)
    assert "เข้ามาดูแลแล้ว" in said(chat.pushes(1))
    refused = loser.post(f"/handoffs/{item['id']}/reply", {"text": "ผมตอบแทนได้ไหม"})
    assert refused.status_code == 409
    assert refused.json()["detail"]["code"] == "not_yours"

    # The agent's reply reaches LINE; the citizen's next message reaches the console.
    sent = holder.post(f"/handoffs/{item['id']}/reply", {"text": "รับทราบค่ะ ขอเลขที่บ้านด้วยนะคะ"})
    assert sent.status_code == 201, sent.text
    assert "ขอเลขที่บ้าน" in said(chat.pushes(1))
    assert chat.say("บ้านเลขที่ 12/3 ค่ะ") == []
    history = holder.get(f"/conversations/{item['conversation_id']}").json()["history"]
    assert [e.get("text") for e in history if e["from"] == "citizen"][-1] == "บ้านเลขที่ 12/3 ค่ะ"
    assert any(e["from"] == "agent" and "เลขที่บ้าน" in e["text"] for e in history)

    # A private note never reaches the citizen.
    assert holder.post(f"/handoffs/{item['id']}/notes", {"body": "ผู้สูงอายุ"}).status_code == 201

    # Ending returns the citizen to the bot and asks for a rating.
    assert holder.post(f"/handoffs/{item['id']}/end").status_code == 200
    ended = chat.pushes(1)
    assert "ให้คะแนน" in said(ended)
    assert "ผู้สูงอายุ" not in said(chat.log)
    rating = next(p for p in postbacks(ended[-1]) if "score=4" in p)
    assert "ขอบคุณสำหรับคะแนน" in said(chat.tap(rating))
    assert "ได้รับคะแนน" in said(chat.tap(rating))  # only once
    assert _handoff(desk, item["id"]).rating == 4
    assert said(chat.say("สวัสดีค่ะ")), "the bot should answer again after the hand-off"

    with _db(desk) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.target == str(item["id"]))
        ).all()
    assert {"handoff_claim", "handoff_reply", "handoff_note", "handoff_end"} <= set(actions)
    for who in (agent, other):
        who.close()


def test_the_citizen_can_stop_waiting(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    asked = chat.say("ขอคุยกับเจ้าหน้าที่")
    cancel = next(p for p in postbacks(asked[-1]) if p.startswith("action=cancel_handoff"))
    assert "ยกเลิกการรอ" in said(chat.tap(cancel))
    assert "ไม่มีการรอ" in said(chat.tap(cancel))
    assert said(chat.say("สวัสดีค่ะ"))  # the bot answers again


def test_two_misunderstood_messages_in_a_row_hand_over_to_a_person(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    first = said(chat.say("ฟหกดฟหกด qzxv"))
    assert "ขออภัย" in first and "คิว" not in first, first
    second = said(chat.say("asdf กกกก ขขขข"))
    assert "เจ้าหน้าที่" in second and "คิว" in second, second
    with _db(desk) as session:
        reasons = session.scalars(
            select(Handoff.reason)
            .join(Citizen, Citizen.id == Handoff.citizen_id)
            .where(Citizen.line_user_id == chat.user)
        ).all()
    assert reasons == ["misunderstood"]


def test_typed_slash_commands_are_only_text(desk: Desk) -> None:
    """A citizen typing "/intent" gets NLU like any text, never an intent given outright."""
    chat = Chat(desk, user_id())
    chat.say("/privacy_erase_confirm")
    tracker = httpx.get(
        f"{desk.settings.rasa_url}/conversations/{chat.user}/tracker",
        params={"token": desk.settings.rasa_token},
        timeout=10,
    ).json()
    intent = tracker["latest_message"]["intent"]
    assert intent["name"] != "privacy_erase_confirm"
    assert intent["confidence"] < 1.0
    assert tracker["latest_message"]["text"].startswith("／")


def test_staff_of_another_agency_cannot_see_or_touch_the_conversation(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    _follow(desk, chat, "ลับเฉพาะ")
    chat.say("ขอคุยกับเจ้าหน้าที่")
    chat.image(photo(colour="blue"))
    mine = Agent.sign_in(desk, create_staff(desk, "agent", QUEUE))
    item = _waiting_item(mine, "ลับเฉพาะ")
    history = mine.get(f"/conversations/{item['conversation_id']}").json()["history"]
    media_id = next(e["media_id"] for e in history if e["type"] == "image")

    outsider = Agent.sign_in(desk, create_staff(desk, "supervisor", "ocpb"))
    assert all(i["id"] != item["id"] for i in outsider.queue())
    assert outsider.get(f"/conversations/{item['conversation_id']}").status_code == 404
    assert outsider.get(f"/media/{media_id}").status_code == 404
    assert outsider.post(f"/handoffs/{item['id']}/claim").status_code == 404
    assert outsider.post(f"/handoffs/{item['id']}/reply", {"text": "x"}).status_code == 404
    assert outsider.post(f"/conversations/{item['conversation_id']}/takeover").status_code == 404
    assert outsider.get("/conversations").json()["items"] == []

    # Transferred to that agency, its staff see the whole history; the first no longer can.
    claimed = mine.post(f"/handoffs/{item['id']}/claim")
    assert claimed.status_code == 200
    chat.pushes(1)
    moved = mine.post(f"/handoffs/{item['id']}/transfer", {"queue": "ocpb"})
    assert moved.status_code == 200, moved.text
    assert "สคบ" in said(chat.pushes(1)) or "คุ้มครองผู้บริโภค" in said(chat.log)
    new_id = moved.json()["id"]
    assert any(i["id"] == new_id for i in outsider.queue())
    seen = outsider.get(f"/conversations/{item['conversation_id']}").json()["history"]
    assert any(e["type"] == "image" for e in seen)
    assert outsider.get(f"/media/{media_id}").status_code == 200
    mine.close()
    outsider.close()


def test_console_requests_need_the_session_and_its_csrf_token(desk: Desk) -> None:
    agent = Agent.sign_in(desk, create_staff(desk, "agent", QUEUE))
    assert httpx.get(f"{desk.gateway}/console/api/queue").status_code == 401
    page = httpx.get(f"{desk.gateway}/console")
    assert page.status_code == 303 and page.headers["location"].endswith("/console/login")
    cookie = agent.client.cookies.jar
    session_cookie = next(c for c in cookie if c.name == "desk_console")
    assert session_cookie.has_nonstandard_attr("HttpOnly")
    assert session_cookie.get_nonstandard_attr("SameSite", "").lower() == "strict"
    assert session_cookie.path == "/console"
    no_token = agent.client.post("/console/api/conversations/1/takeover", json={})
    assert no_token.status_code == 403
    forged = agent.client.post(
        "/console/api/conversations/1/takeover",
        json={},
        headers={"X-CSRF-Token": agent.csrf, "Origin": "https://evil.example"},
    )
    assert forged.status_code == 403
    out = agent.client.post("/console/logout", headers={"X-CSRF-Token": agent.csrf})
    assert out.status_code == 204
    assert agent.get("/queue").status_code == 401
    agent.close()


def test_signing_out_ends_the_live_stream(desk: Desk) -> None:
    agent = Agent.sign_in(desk, create_staff(desk, "supervisor", QUEUE))
    opened = threading.Event()

    def watch() -> None:
        with agent.client.stream("GET", "/console/api/stream", timeout=30) as response:
            for line in response.iter_lines():
                if line.startswith("event: ready"):
                    opened.set()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    assert opened.wait(10)
    signed_out = agent.client.post("/console/logout", headers={"X-CSRF-Token": agent.csrf})
    assert signed_out.status_code == 204
    thread.join(8)
    assert not thread.is_alive(), "the stream kept running after signing out"
    agent.close()


def test_log_in_is_rate_limited(desk: Desk) -> None:
    username = create_staff(desk, "agent", QUEUE)
    client = httpx.Client(base_url=desk.gateway, timeout=15)
    for _ in range(desk.settings.login_max_failures):
        token = login_form(client)
        wrong = client.post(
            "/console/login",
            data={"username": username, "password": "wrong-password", "csrf": token},
        )
        assert wrong.status_code == 401
        assert "ไม่ถูกต้อง" in wrong.text
    token = login_form(client)
    blocked = client.post(
        "/console/login",
        data={"username": username, "password": "correct horse battery staple", "csrf": token},
    )
    assert blocked.status_code == 429
    assert "หลายครั้ง" in blocked.text
    no_csrf = client.post("/console/login", data={"username": username, "password": "x" * 12})
    assert no_csrf.status_code in {403, 422}
    client.close()


def test_a_citizen_message_reaches_watching_consoles_on_every_gateway_within_a_second(
    desk: Desk,
) -> None:
    chat = Chat(desk, user_id())
    _follow(desk, chat, "ทดสอบสด")
    chat.say("ขอคุยกับเจ้าหน้าที่")
    username = create_staff(desk, "supervisor", QUEUE)
    with Served(create_app(desk.settings)) as second:
        consoles = [Agent.sign_in(desk, username), Agent.sign_in(desk, username, second.base_url)]
        item = _waiting_item(consoles[0], "ทดสอบสด")
        arrivals: list[list[tuple[float, dict[str, Any]]]] = [[], []]
        ready = [threading.Event(), threading.Event()]

        def listen(index: int) -> None:
            client = consoles[index].client
            with client.stream("GET", "/console/api/stream", timeout=20) as response:
                name = None
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        name = line.split(":", 1)[1].strip()
                        if name == "ready":
                            ready[index].set()
                    elif line.startswith("data:") and name == "message":
                        data = json.loads(line.split(":", 1)[1])
                        if data.get("conversation_id") == item["conversation_id"]:
                            arrivals[index].append((time.monotonic(), data))
                            return

        threads = [threading.Thread(target=listen, args=(i,), daemon=True) for i in (0, 1)]
        for thread in threads:
            thread.start()
        assert all(r.wait(10) for r in ready)
        sent_at = time.monotonic()
        desk.say(chat.user, "<img src=x onerror=alert(1)> ด่วนค่ะ")
        for thread in threads:
            thread.join(10)
        for got in arrivals:
            assert got, "no live update reached a console"
            arrived, data = got[0]
            assert arrived - sent_at < 1.0, f"{arrived - sent_at:.3f}s"
            assert data["entry"]["text"] == "<img src=x onerror=alert(1)> ด่วนค่ะ"
        for console in consoles:
            console.close()


def test_outside_office_hours_a_left_message_becomes_a_ticket(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    prompt = said(chat.tap("action=leave_message"))
    assert "พิมพ์ข้อความที่ต้องการฝาก" in prompt
    assert "ตัวหนังสือ" in said(chat.image(photo()))
    left = said(chat.say("ขอให้เจ้าหน้าที่โทรกลับเรื่องเบี้ยผู้สูงอายุ 0812345678"))
    found = TICKET_ID.search(left)
    assert found, left
    with _db(desk) as session:
        ticket = session.get(Ticket, found.group(0))
        assert ticket is not None
        assert ticket.complaint_type == "left_message" and ticket.agency_id == QUEUE
        assert "เบี้ยผู้สูงอายุ" in ticket.description
    assert said(chat.say("สวัสดีค่ะ"))  # back with the bot


def test_an_agent_takes_over_a_bot_conversation_and_files_a_ticket(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    _follow(desk, chat, "รับช่วง")
    assert said(chat.say("สวัสดีค่ะ"))
    agent = Agent.sign_in(desk, create_staff(desk, "agent", QUEUE, name="นิด"))
    recent = agent.get("/conversations").json()["items"]
    conversation = next(c for c in recent if c["citizen"] == "รับช่วง")
    taken = agent.post(f"/conversations/{conversation['id']}/takeover")
    assert taken.status_code == 200, taken.text
    assert "นิด" in said(chat.pushes(1))
    assert agent.post(f"/conversations/{conversation['id']}/takeover").status_code == 409
    handoff_id = taken.json()["id"]
    filed = agent.post(
        f"/handoffs/{handoff_id}/ticket",
        {
            "complaint_type": "complaint_garbage",
            "description": "ขยะไม่มีคนมาเก็บสามวันแล้ว หน้าตลาด",
            "province": "กรุงเทพมหานคร",
        },
    )
    assert filed.status_code == 201, filed.text
    ticket_id = filed.json()["id"]
    assert _handoff(desk, handoff_id).ticket_id == ticket_id
    # The citizen is told the number, the agency and what happens next.
    announced = said(chat.pushes(1))
    assert ticket_id in announced and "กรุงเทพมหานคร" in announced, announced
    assert "กำหนดดำเนินการ" in announced
    # Nothing the citizen wrote was about the problem: the agent's words describe it.
    filed_ticket = ticket(desk, ticket_id)
    assert filed_ticket is not None
    assert filed_ticket.description == "ขยะไม่มีคนมาเก็บสามวันแล้ว หน้าตลาด"
    changed = agent.post(f"/tickets/{ticket_id}/status", {"status": "in_progress"})
    assert changed.status_code == 200, changed.text
    assert "กำลังดำเนินการ" in said(chat.pushes(1))
    agent.close()


def test_a_rating_tapped_during_a_staff_chat_counts_and_the_agent_reads_it_in_words(
    desk: Desk,
) -> None:
    from tests.support.chat import api, file_road_complaint, staff_token

    chat = Chat(desk, user_id())
    _follow(desk, chat, "ลุงสมชาย")
    ticket_id = file_road_complaint(chat, 11, with_photo=False)
    with _db(desk) as session:
        agency = session.get_one(Ticket, ticket_id).agency_id
    officer = staff_token(desk, f"officer-{user_id()[:8]}", "agent", agency)
    for status, note in (("in_progress", None), ("resolved", "ซ่อมถนนเรียบร้อยแล้วค่ะ")):
        changed = api(
            desk,
            officer,
            "POST",
            f"/api/tickets/{ticket_id}/transitions",
            json={"status": status, "note": note},
        )
        assert changed.status_code == 200, changed.text
    resolved = chat.pushes(2)[-1]
    four = next(p for p in postbacks(resolved) if p.startswith("/rate_ticket") and '"4"' in p)

    chat.say("ขอคุยกับเจ้าหน้าที่หน่อยครับ")
    agent = Agent.sign_in(desk, create_staff(desk, "agent", QUEUE, name="ปรีชา"))
    item = _waiting_item(agent, "ลุงสมชาย")
    assert agent.post(f"/handoffs/{item['id']}/claim").status_code == 200
    chat.pushes(1)  # "an agent is here"

    # The rating button of the notice, tapped while the agent holds the chat: the bot
    # counts it and thanks the citizen; the agent reads what was tapped, in words.
    thanked = said(chat.tap(four))
    assert "ขอบคุณ" in thanked, thanked
    assert wait_for(lambda: ticket_rating(desk, ticket_id) == 4, 10, "the rating stored")
    history = agent.get(f"/conversations/{item['conversation_id']}").json()["history"]
    taps = [e["text"] for e in history if e["from"] == "citizen" and e["type"] == "postback"]
    assert "ให้คะแนน 4" in taps[-1], taps
    assert not any(t.startswith("/") for t in taps), taps  # never a payload
    agent.close()


def ticket_rating(desk: Desk, ticket_id: str) -> int | None:
    with _db(desk) as session:
        return session.get_one(Ticket, ticket_id).rating
