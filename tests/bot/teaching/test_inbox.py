"""The NLU inbox end to end: citizens' unclear messages → grouped for admins → labels →
examples exported as Rasa YAML. Through the real desk (LINE stand-in → Rasa → worker)."""

from __future__ import annotations

import random

import pytest
import yaml
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from bot.line.models import InboundEvent
from bot.teaching import inbox
from bot.teaching.models import NluExample
from bot.tickets.calendar import BusinessCalendar
from bot.tickets.routing import Router
from tests.support import factories
from tests.support.agents import Agent, create_staff
from tests.support.chat import Chat, api, staff_token
from tests.support.stack import Desk, user_id, wait_for

pytestmark = pytest.mark.stack


def _reading(desk: Desk, user: str) -> list[tuple[str | None, float | None]]:
    with Session(create_engine(desk.settings.database_url)) as session:
        rows = session.execute(
            select(InboundEvent.nlu_intent, InboundEvent.nlu_confidence)
            .where(InboundEvent.line_user_id == user)
            .order_by(InboundEvent.id)
        ).all()
    return [(r.nlu_intent, r.nlu_confidence) for r in rows]


def test_every_answered_message_keeps_what_the_model_understood(desk: Desk) -> None:
    chat = Chat(desk, user_id())
    chat.say("สวัสดีค่ะ")
    intent, confidence = _reading(desk, chat.user)[-1]
    assert intent == "greet" and confidence is not None and confidence > 0.3


def test_unclear_messages_are_grouped_for_admins_to_label(desk: Desk) -> None:
    # Letters only: a hex marker ("2024…") reads as an address (inform) for 1 in 20. All
    # different: the normaliser squeezes a run of three letters ("xxx" is "xx"), which
    # would take the marker out of the text the inbox shows.
    marker = "".join(random.sample("hjkmpqvwxz", 8))
    unclear = [f"ฟหกด qzxv {marker}", f"ฟหกด  qzxv {marker}", f"ฟหกดดดด qzxv {marker}"]
    for text in unclear:
        Chat(desk, user_id()).say(text)  # three citizens, one unclear message each
    admin = Agent.sign_in(desk, create_staff(desk, "admin", None))
    agent = Agent.sign_in(desk, create_staff(desk, "agent", "gov_contact_1111"))
    assert agent.get("/nlu/inbox").status_code == 403
    assert (
        agent.post("/nlu/labels", {"items": [{"text": "x", "intent": "greet"}]}).status_code == 403
    )

    def ours() -> dict | None:
        groups = admin.get("/nlu/inbox").json()["groups"]
        return next((g for g in groups if marker in g["key"]), None)

    group = wait_for(ours, 10, "the group in the inbox")
    assert group["count"] == 3, group
    assert group["read_as"] in inbox.NOT_UNDERSTOOD
    assert group["guess"] in inbox.label_intents()  # the pre-filled label

    refused = admin.post("/nlu/labels", {"items": [{"text": unclear[0], "intent": "no_such"}]})
    assert refused.status_code == 422
    labelled = admin.post(
        "/nlu/labels",
        {"items": [{"text": t, "intent": "out_of_scope"} for t in group["texts"]]},
    )
    assert labelled.status_code == 201, labelled.text
    assert ours() is None  # labelled texts leave the inbox

    listed = admin.get("/nlu/examples", params={"intent": "out_of_scope"}).json()["items"]
    mine = [e for e in listed if marker in e["text"]]
    assert len(mine) == len({" ".join(t.split()) for t in group["texts"]})  # spaces don't count
    changed = admin.client.put(
        f"/console/api/nlu/examples/{mine[0]['id']}",
        json={"intent": "greet"},
        headers={"X-CSRF-Token": admin.csrf},
    )
    assert changed.status_code == 200 and changed.json()["intent"] == "greet"
    removed = admin.client.delete(
        f"/console/api/nlu/examples/{mine[1]['id']}", headers={"X-CSRF-Token": admin.csrf}
    )
    assert removed.status_code == 204

    exported = admin.get("/nlu/examples.yml")
    assert exported.status_code == 200
    data = yaml.safe_load(exported.text)
    assert data["version"] == "3.1"
    by_intent = {
        block["intent"]: [line[2:] for line in block["examples"].splitlines()]
        for block in data["nlu"]
    }
    assert mine[0]["text"] in by_intent["greet"]
    assert mine[1]["text"] not in by_intent.get("out_of_scope", [])
    admin.close()
    agent.close()


def test_a_ticket_type_an_agent_corrects_becomes_a_label_in_the_inbox(desk: Desk) -> None:
    # Letters only: a hex marker ("2024…") reads as an address (inform) for 1 in 20. All
    # different: the normaliser squeezes a run of three letters ("xxx" is "xx"), which
    # would take the marker out of the text the inbox shows.
    marker = "".join(random.sample("hjkmpqvwxz", 8))
    words = f"ไฟดับทั้งซอยเลย น้ำประปาก็ไม่ไหล ปั๊มน้ำหมู่บ้านเสีย {marker}"
    router = Router.load()
    with Session(create_engine(desk.settings.database_url)) as session, session.begin():
        ticket = factories.ticket(
            session,
            router,
            BusinessCalendar.load(),
            complaint_type="complaint_streetlight",
            description=words,
        )
        ticket_id, agency = ticket.id, ticket.agency_id
    water = router.route("complaint_water_supply", "กรุงเทพมหานคร", "บางรัก").agency
    stranger = Agent.sign_in(desk, create_staff(desk, "agent", "ocpb"))
    assert (
        stranger.post(f"/tickets/{ticket_id}/type", {"complaint_type": "complaint_water_supply"})
    ).status_code == 404  # another agency's ticket does not exist for them
    agent = Agent.sign_in(desk, create_staff(desk, "agent", agency))
    assert (
        agent.post(f"/tickets/{ticket_id}/type", {"complaint_type": "no_such"}).status_code == 422
    )
    moved = agent.post(f"/tickets/{ticket_id}/type", {"complaint_type": "complaint_water_supply"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["agency_id"] == water.id  # routed again: the water authority has it
    # The water authority's staff, through the REST API, find it is really a flooding pump.
    token = staff_token(desk, f"water-{marker}", "agent", water.id)
    again = api(
        desk,
        token,
        "POST",
        f"/api/tickets/{ticket_id}/type",
        json={"complaint_type": "complaint_flooding"},
    )
    assert again.status_code == 200, again.text
    assert [e["kind"] for e in again.json()["events"]].count("retyped") == 2

    admin = Agent.sign_in(desk, create_staff(desk, "admin", None))
    groups = [g for g in admin.get("/nlu/inbox").json()["groups"] if marker in g["key"]]
    assert len(groups) == 1, groups
    group = groups[0]
    assert group["source"] == "ticket" and group["ticket_ids"] == [ticket_id]
    assert group["guess"] == "complaint_flooding"  # the latest correction, pre-filled
    assert group["read_as"] == "complaint_streetlight"
    labelled = admin.post(
        "/nlu/labels",
        {"items": [{"text": words, "intent": group["guess"]}], "source": "ticket"},
    )
    assert labelled.status_code == 201, labelled.text
    with Session(create_engine(desk.settings.database_url)) as session:
        example = session.scalar(select(NluExample).where(NluExample.text == words))
        assert example is not None
        assert (example.intent, example.source) == ("complaint_flooding", "ticket")
    assert not [g for g in admin.get("/nlu/inbox").json()["groups"] if marker in g["key"]]
    for client in (stranger, agent, admin):
        client.close()


def test_texts_are_normalised_before_grouping() -> None:
    assert inbox.normalise("  ดังมากกกกก   ค่ะ ") == inbox.normalise("ดังมากก ค่ะ")
    assert inbox.normalise("ABC") == "abc"
    assert "greet" in inbox.label_intents()
    assert "complaint_confirm" not in inbox.label_intents()  # a button, never typed text
