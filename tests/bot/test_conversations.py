"""The conversation corpus: every conversation of tests/conversations/*.yml, played by
simulated citizens against the real desk (LINE stand-in → gateway → worker → Rasa and the
action server → PostgreSQL → LINE), checked turn by turn.

The format is documented in tests/conversations/README.md. Each conversation is one test
(its name is the test id) and the terminal summary prints one PASS or FAIL line for each.
Conversations are independent (fresh LINE users, places of their own), so a few are played
at once: Rasa, the one serial step, is then never idle while a citizen's turn is elsewhere.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from haversine import Unit, haversine
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.orm import Session

from bot.config import ROOT
from bot.conversations.models import Citizen as CitizenRow
from bot.handoff.models import Handoff
from bot.line.models import InboundEvent, OutboundMessage
from bot.tickets.models import Ticket, TicketFollower
from tests.support.agents import Agent, create_staff
from tests.support.chat import Chat, all_text, api, photo, said, staff_token
from tests.support.stack import Desk, user_id, wait_for

CORPUS = ROOT / "tests" / "conversations"
TURN_KINDS = ("say", "tap", "location", "image", "sticker", "agent", "staff", "later")
# Turns the citizen does not do: nothing need reach them for these.
NOT_THE_CITIZEN = {"agent", "staff", "later"}
STAFF_STEPS = {"claim", "end"}  # and {reply: text}
EXPECT_KEYS = {"says", "not_says", "buttons", "no_reply", "ticket", "handoff"}
HANDOFF_STATES = {"waiting", "active", "ended", "cancelled", "transferred", "closed", "none"}
TICKET_FIELDS = set(
    "status complaint_type agency_id province district contact_phone share_identity rating"
    " reopen_count followers_count".split()
)
# What a conversation covers; an unknown tag is a typo (README.md lists them).
TAGS = set(
    "basics greeting help thanks goodbye bot-challenge media complaint intake photo phone"
    " consent anonymous typed-address cancel edit change-type status my-tickets rating"
    " reopen handoff out-of-scope privacy erasure catalogue agency duplicate staff off-script"
    " stale-button typed-choice".split()
)
NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
TICKET = "{ticket}"  # stands for the acting citizen's latest ticket number
NOT_UNDERSTOOD = "ยังไม่เข้าใจ"  # domain.yml utter_default
HANDLED = ("done", "skipped", "failed")  # an inbound event's final statuses
# Farther apart than the desk's +1 radius (duplicate_radius_m, 200 m), with a margin; and
# away from the spots tests/support/chat.py's file_road_complaint uses (Sanam Luang and
# northwards), since the whole test session shares one desk.
MIN_SPACING_M = 500
SUITE_SPOTS = (13.7552, 100.4925)
PLAYERS = 4  # conversations played at once


# The format ---------------------------------------------------------------------------


class CorpusError(ValueError):
    """A conversation file that does not follow tests/conversations/README.md."""


@dataclass(frozen=True)
class Expect:
    """What the citizen must receive for one turn."""

    says: tuple[str, ...] = ()
    not_says: tuple[str, ...] = ()
    buttons: tuple[str, ...] = ()
    no_reply: bool = False
    ticket: Mapping[str, Any] | None = None  # {}: the citizen has no ticket at all
    handoff: str | None = None  # the citizen's latest hand-off's status, or "none"


@dataclass(frozen=True)
class Turn:
    """One thing a citizen (or, for `agent`, a staff member) does, and what must follow."""

    number: int
    kind: str
    value: Any
    citizen: str
    expect: Expect | None

    def describe(self) -> str:
        """`tap: ยืนยันส่งเรื่อง`, as written in the file."""
        value = self.value
        if self.kind == "location":
            value = value.get("address") or f"{value['latitude']}, {value['longitude']}"
        if self.kind == "staff" and isinstance(value, dict):
            value = f"reply {value['reply']}"
        shown = self.kind if value is True else f"{self.kind}: {value}"
        return shown if self.citizen == "citizen" else f"{shown} (as {self.citizen})"


@dataclass(frozen=True)
class Conversation:
    """A named multi-turn conversation from a corpus file."""

    name: str
    tags: tuple[str, ...]
    turns: tuple[Turn, ...]
    source: str

    def points(self) -> set[tuple[float, float]]:
        """Every place this conversation shares."""
        return {
            (float(t.value["latitude"]), float(t.value["longitude"]))
            for t in self.turns
            if t.kind == "location"
        }


def _strings(where: str, key: str, value: Any) -> tuple[str, ...]:
    value = [value] if isinstance(value, str) else value
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise CorpusError(f"{where}: `{key}` is a list of non-empty texts")
    return tuple(value)


def _expect(where: str, raw: Any) -> Expect:
    if not isinstance(raw, dict) or not raw or set(raw) - EXPECT_KEYS:
        raise CorpusError(f"{where}: `expect` is a mapping of {sorted(EXPECT_KEYS)}")
    ticket = raw.get("ticket")
    if ticket == "none":
        ticket = {}
    elif ticket is not None and (
        not isinstance(ticket, dict) or not ticket or set(ticket) - TICKET_FIELDS
    ):
        raise CorpusError(f"{where}: `ticket` is `none` or a mapping of {sorted(TICKET_FIELDS)}")
    handoff = raw.get("handoff")
    if handoff is not None and handoff not in HANDOFF_STATES:
        raise CorpusError(f"{where}: `handoff` is one of {sorted(HANDOFF_STATES)}")
    if raw.get("no_reply", True) is not True or (
        "no_reply" in raw and {"says", "buttons"} & set(raw)
    ):
        raise CorpusError(f"{where}: `no_reply` is true, and goes without `says` or `buttons`")
    texts = {
        key: _strings(where, key, raw[key]) for key in ("says", "not_says", "buttons") if key in raw
    }
    return Expect(**texts, no_reply="no_reply" in raw, ticket=ticket, handoff=handoff)


def _turn(where: str, number: int, raw: Any) -> Turn:
    kinds = [k for k in TURN_KINDS if isinstance(raw, dict) and k in raw]
    if len(kinds) != 1 or set(raw) - {*TURN_KINDS, "as", "expect"}:
        raise CorpusError(f"{where}: a turn has one of {TURN_KINDS}, `as` and `expect`")
    kind, value = kinds[0], raw[kinds[0]]
    if kind in {"say", "tap"} and not (isinstance(value, str) and value.strip()):
        raise CorpusError(f"{where}: `{kind}` takes a non-empty text")
    if kind in {"image", "sticker", "later"} and value is not True:
        raise CorpusError(f"{where}: `{kind}` takes true")
    if kind == "staff" and not (
        (isinstance(value, str) and value in STAFF_STEPS)
        or (isinstance(value, dict) and set(value) == {"reply"} and isinstance(value["reply"], str))
    ):
        raise CorpusError(f"{where}: `staff` takes claim, end or {{reply: text}}")
    if kind == "location" and (
        not isinstance(value, dict)
        or not {"latitude", "longitude"} <= set(value) <= {"latitude", "longitude", "address"}
    ):
        raise CorpusError(f"{where}: `location` takes latitude, longitude and an address")
    if kind == "agent":
        statuses = value.get("status") if isinstance(value, dict) else None
        statuses = [statuses] if isinstance(statuses, str) else statuses
        if not statuses or set(value) - {"status", "note"}:
            raise CorpusError(f"{where}: `agent` takes a status (or a list) and a note")
        value = {"status": list(statuses), "note": value.get("note")}
    expect = _expect(where, raw["expect"]) if "expect" in raw else None
    return Turn(number, kind, value, str(raw.get("as", "citizen")), expect)


def load(path: Path) -> list[Conversation]:
    """The conversations of one corpus file, checked against the format."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CorpusError(f"{path.name}: not YAML: {error}") from error
    if not isinstance(raw, list) or not raw:
        raise CorpusError(f"{path.name}: a corpus file is a list of conversations")
    found = []
    for index, item in enumerate(raw, 1):
        name = item.get("name") if isinstance(item, dict) else None
        if (
            not isinstance(name, str)
            or not NAME.match(name)
            or set(item) - {"name", "tags", "turns"}
        ):
            raise CorpusError(f"{path.name} #{index}: name (a-b-c), tags and turns only")
        where = f"{path.name} {name}"
        tags = _strings(where, "tags", item.get("tags") or [])
        if not tags or set(tags) - TAGS:
            raise CorpusError(f"{where}: tags from {sorted(TAGS)}")
        turns = item.get("turns")
        if not isinstance(turns, list) or not turns:
            raise CorpusError(f"{where}: `turns` is a non-empty list")
        numbered = tuple(_turn(f"{where} turn {n}", n, t) for n, t in enumerate(turns, 1))
        found.append(Conversation(name, tags, numbered, path.name))
    return found


def load_corpus(folder: Path = CORPUS) -> list[Conversation]:
    """Every conversation of the corpus, file by file."""
    return [c for path in sorted(folder.glob("*.yml")) for c in load(path)]


# What the citizen receives ------------------------------------------------------------


@dataclass(frozen=True)
class Offer:
    """A button or quick reply: its label and what tapping it sends."""

    label: str
    kind: str  # the LINE action type: postback, message, uri, location, camera...
    value: str  # postback data, message text or URI; "" for LINE's pickers
    quick: bool  # a quick reply (only the latest message's can be tapped)


def offers(message: dict[str, Any]) -> list[Offer]:
    """Every action a message offers, its buttons and its quick replies."""
    found: list[Offer] = []

    def walk(node: Any, quick: bool) -> None:
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and isinstance(action.get("label"), str):
                value = action.get("data") or action.get("text") or action.get("uri") or ""
                found.append(Offer(action["label"], str(action.get("type")), str(value), quick))
            for key, child in node.items():
                if key != "action":
                    walk(child, quick or key == "quickReply")
        elif isinstance(node, list):
            for item in node:
                walk(item, quick)

    walk(message, False)
    return found


def render(messages: list[dict[str, Any]]) -> str:
    """What the citizen received, readably: each message's words, then its buttons."""
    lines = []
    for message in messages:
        words = " / ".join(t.replace("\n", " ") for t in all_text(message).split("\n") if t)
        lines.append(f"    [{message.get('type')}] {words}")
        if buttons := offers(message):
            shown = ", ".join(f"{b.label} → {b.value or b.kind}" for b in buttons)
            lines.append(f"      buttons: {shown}")
    return "\n".join(lines) or "    (nothing)"


# Playing a conversation ---------------------------------------------------------------


class ConversationFailed(AssertionError):
    """A turn did not get what the conversation expects; the message says what and why."""


@dataclass
class Citizen(Chat):
    """A simulated citizen (tests/support/chat.py) on a shared engine, with stickers."""

    engine: Engine | None = None

    def _db(self) -> Session:
        return Session(self.engine)

    def sticker(self) -> list[dict[str, Any]]:
        """Sends one of LINE's stock stickers."""
        sticker = {"type": "sticker", "packageId": "446", "stickerId": "1988"}
        return self._await_handled(self.desk.send(self.user, sticker))


@dataclass
class Run:
    """One conversation being played: its citizens (each a fresh LINE user), the staff
    token of its `agent` turns and the console agent of its `staff` turns."""

    desk: Desk
    engine: Engine
    staff: str
    conversation: Conversation
    citizens: dict[str, Citizen] = field(default_factory=dict)
    console: Agent | None = None

    def play(self) -> None:
        """Every turn in order; raises ConversationFailed at the first one that fails."""
        for turn in self.conversation.turns:
            if turn.citizen not in self.citizens:
                self.citizens[turn.citizen] = Citizen(self.desk, user_id(), engine=self.engine)
            citizen = self.citizens[turn.citizen]
            before = citizen.log[-1:]
            replies: list[dict[str, Any]] = []
            try:
                replies = self.act(turn, citizen)
                problems = self.check(turn, citizen, replies)
            except AssertionError as error:  # a turn that could not be done, or a wait
                problems = [str(error).splitlines()[0]]
            if problems:
                raise ConversationFailed(self.explain(turn, problems, replies, before))

    def latest_ticket(self, citizen: Citizen) -> Ticket | None:
        """The ticket the citizen filed or joined last."""
        with Session(self.engine) as session:
            return session.scalars(
                select(Ticket)
                .join(TicketFollower, TicketFollower.ticket_id == Ticket.id)
                .join(CitizenRow, CitizenRow.id == TicketFollower.citizen_id)
                .where(CitizenRow.line_user_id == citizen.user)
                .order_by(TicketFollower.joined_at.desc())
                .limit(1)
            ).first()

    def fill(self, text: str, citizen: Citizen) -> str:
        """`text` with {ticket} replaced by the citizen's latest ticket number."""
        if TICKET not in text:
            return text
        ticket = self.latest_ticket(citizen)
        if ticket is None:
            raise ConversationFailed(f"{TICKET} used before the citizen has a ticket")
        return text.replace(TICKET, ticket.id)

    def act(self, turn: Turn, citizen: Citizen) -> list[dict[str, Any]]:
        """Does what the turn says; the messages the citizen received for it."""
        if turn.kind == "say":
            return citizen.say(self.fill(turn.value, citizen))
        if turn.kind == "tap":
            return self.tap(citizen, self.fill(turn.value, citizen))
        if turn.kind == "location":
            place = turn.value
            latitude, longitude = float(place["latitude"]), float(place["longitude"])
            return citizen.location(latitude, longitude, str(place.get("address", "")))
        if turn.kind == "image":
            return citizen.image(photo())
        if turn.kind == "sticker":
            return citizen.sticker()
        if turn.kind == "staff":
            return self.staff_step(turn, citizen)
        if turn.kind == "later":
            return self.later(citizen)
        return self.agent(turn, citizen)

    def tap(self, citizen: Citizen, wanted: str) -> list[dict[str, Any]]:
        """Taps what the desk offered, by label or data: a quick reply of the latest
        message (LINE shows no other), or a button of any message."""
        latest = [o for m in citizen.log[-1:] for o in offers(m) if o.quick]
        buttons = [o for m in reversed(citizen.log) for o in offers(m) if not o.quick]
        chosen = next((o for o in latest + buttons if wanted in (o.label, o.value)), None)
        if chosen is None:
            shown = ", ".join(dict.fromkeys(o.label for o in latest + buttons)) or "none"
            raise ConversationFailed(f"nothing to tap called {wanted!r} (offered: {shown})")
        if chosen.kind not in {"postback", "message"}:
            raise ConversationFailed(
                f"{wanted!r} opens LINE's {chosen.kind}: use a location or image turn"
            )
        tapped = chosen.kind == "postback"
        return citizen.tap(chosen.value) if tapped else citizen.say(chosen.value)

    def agent(self, turn: Turn, citizen: Citizen) -> list[dict[str, Any]]:
        """A staff member moves the citizen's latest ticket through the REST API; what
        was pushed to the citizen, once the desk has settled."""
        ticket = self.latest_ticket(citizen)
        if ticket is None:
            raise ConversationFailed("an agent turn before the citizen has a ticket")
        statuses = turn.value["status"]
        for index, status in enumerate(statuses, 1):
            note = turn.value["note"] if index == len(statuses) else None
            path = f"/api/tickets/{ticket.id}/transitions"
            response = api(
                self.desk, self.staff, "POST", path, json={"status": status, "note": note}
            )
            if response.status_code != 200:
                raise ConversationFailed(
                    f"the agent could not move {ticket.id} to {status}: {response.text[:200]}"
                )
        return self.settled(citizen)

    def latest_handoff(self, citizen: Citizen) -> Handoff | None:
        """The citizen's latest hand-off (asked for, taken over or transferred)."""
        with Session(self.engine) as session:
            return session.scalars(
                select(Handoff)
                .join(CitizenRow, CitizenRow.id == Handoff.citizen_id)
                .where(CitizenRow.line_user_id == citizen.user)
                .order_by(Handoff.id.desc())
                .limit(1)
            ).first()

    def staff_step(self, turn: Turn, citizen: Citizen) -> list[dict[str, Any]]:
        """An agent of the hand-off queue, in the console, takes the citizen's waiting
        chat (`claim`), writes to them (`reply`) or ends the chat (`end`); what was
        pushed to the citizen, once the desk has settled."""
        handoff = self.latest_handoff(citizen)
        if handoff is None:
            raise ConversationFailed("a staff turn before the citizen asked for a person")
        if self.console is None:
            queue = self.desk.settings.handoff_queue
            name = f"เจ้าหน้าที่ {user_id()[-4:]}"
            self.console = Agent.sign_in(self.desk, create_staff(self.desk, "agent", queue, name))
        value = turn.value
        step, body = ("reply", {"text": value["reply"]}) if isinstance(value, dict) else (value, {})
        response = self.console.post(f"/handoffs/{handoff.id}/{step}", body)
        if response.status_code not in {200, 201}:
            raise ConversationFailed(
                f"the agent could not {step} hand-off {handoff.id}: {response.text[:200]}"
            )
        return self.settled(citizen)

    def later(self, citizen: Citizen) -> list[dict[str, Any]]:
        """An hour passes: Rasa's session times out (what it does when the citizen
        writes after `session_expiration_time`), so a form in progress is dropped while
        its chips stay on the citizen's screen."""
        settings = self.desk.settings
        response = httpx.post(
            f"{settings.rasa_url}/conversations/{citizen.user}/execute",
            params={"token": settings.rasa_token},
            json={"name": "action_session_start"},
            timeout=30,
        )
        if response.status_code != 200:
            raise ConversationFailed(f"Rasa did not start a new session: {response.text[:200]}")
        return self.settled(citizen)

    def settled(self, citizen: Citizen) -> list[dict[str, Any]]:
        """Waits until every event of the citizen is handled and nothing is left to send
        them (what has arrived then is all that will); what arrived meanwhile."""

        def quiet() -> bool:
            with Session(self.engine) as session:
                waiting = session.scalar(
                    select(func.count())
                    .select_from(InboundEvent)
                    .where(InboundEvent.line_user_id == citizen.user)
                    .where(InboundEvent.status.not_in(HANDLED))
                )
                sending = session.scalar(
                    select(func.count())
                    .select_from(OutboundMessage)
                    .where(OutboundMessage.line_user_id == citizen.user)
                    .where(OutboundMessage.status == "pending")
                )
            return not waiting and not sending

        wait_for(quiet, 60, "the desk to settle for the citizen")
        new = [d["message"] for d in self.desk.delivered(citizen.user)[citizen.seen :]]
        citizen.seen += len(new)
        citizen.log += new
        return new

    def check(self, turn: Turn, citizen: Citizen, replies: list[dict[str, Any]]) -> list[str]:
        """What is wrong with what the citizen received for one turn (nothing: [])."""
        expect = turn.expect or Expect()
        if expect.no_reply:
            replies.extend(self.settled(citizen))  # shown in the failure, if any
            return ["expected no reply"] if replies else []
        problems = [] if replies or turn.kind in NOT_THE_CITIZEN else ["expected a reply, got none"]
        text = said(replies)
        if turn.kind == "tap" and NOT_UNDERSTOOD in text:
            problems.append("expected the desk to understand a button it offered")
        offered = {part for m in replies for o in offers(m) for part in (o.label, o.value)}
        problems += [
            f"expected the reply to say {f!r}"
            for f in self.filled(expect.says, citizen)
            if f not in text
        ]
        problems += [
            f"expected the reply not to say {f!r}"
            for f in self.filled(expect.not_says, citizen)
            if f in text
        ]
        problems += [f"expected a button {b!r}" for b in expect.buttons if b not in offered]
        if expect.ticket is not None:
            problems += self.check_ticket(citizen, expect.ticket)
        if expect.handoff is not None:
            handoff = self.latest_handoff(citizen)
            status = "none" if handoff is None else str(handoff.status)
            if status != expect.handoff:
                problems.append(f"expected the hand-off {expect.handoff}, it is {status}")
        return problems

    def filled(self, fragments: tuple[str, ...], citizen: Citizen) -> list[str]:
        return [self.fill(fragment, citizen) for fragment in fragments]

    def check_ticket(self, citizen: Citizen, wanted: Mapping[str, Any]) -> list[str]:
        ticket = self.latest_ticket(citizen)
        if not wanted:
            return [] if ticket is None else [f"expected no ticket, found {ticket.id}"]
        if ticket is None:
            return ["expected a ticket, the citizen has none"]
        return [
            f"expected ticket {ticket.id} {name}={value!r}, it is {getattr(ticket, name)!r}"
            for name, value in wanted.items()
            if getattr(ticket, name) != value
        ]

    def explain(
        self,
        turn: Turn,
        problems: list[str],
        replies: list[dict[str, Any]],
        before: list[dict[str, Any]],
    ) -> str:
        """A failure a person can read: the conversation, the turn, what was expected,
        what the citizen received for it and, for context, the message before."""
        conversation = self.conversation
        lines = [
            f"turn {turn.number} ({turn.describe()}): " + "; ".join(problems),
            f"  conversation {conversation.name} (tests/conversations/{conversation.source}),"
            f" turn {turn.number} of {len(conversation.turns)}: {turn.describe()}",
            "  expected:",
            *(f"    - {p.removeprefix('expected ')}" for p in problems),
            "  the citizen received:",
            render(replies),
        ]
        if before:
            lines += ["  the message before:", render(before)]
        return "\n".join(lines)


# Reporting and fixtures ---------------------------------------------------------------


@dataclass(eq=False)  # a plugin: pytest keeps its plugins in sets
class Report:
    """One line per conversation at the end of the run (a pytest plugin)."""

    lines: list[str] = field(default_factory=list)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The conversations' lines, after pytest's own summary."""
        failed = sum(line.startswith("FAIL") for line in self.lines)
        passed = len(self.lines) - failed
        terminalreporter.section(f"conversations: {passed} passed, {failed} failed")
        for line in self.lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def report(pytestconfig: pytest.Config) -> Report:
    """The conversations' report, registered as a plugin for the terminal summary."""
    found = pytestconfig.pluginmanager.get_plugin("conversation-report")
    if isinstance(found, Report):
        return found
    created = Report()
    pytestconfig.pluginmanager.register(created, "conversation-report")
    return created


@pytest.fixture(scope="module")
def players(request: pytest.FixtureRequest, desk: Desk) -> Iterator[dict[str, Future[None]]]:
    """Every selected conversation, handed in test order to a few players at once; each
    test then waits for its own. Unplayed ones are dropped if the run stops early."""
    engine = create_engine(desk.settings.database_url, pool_size=PLAYERS)
    staff = staff_token(desk, f"corpus-{user_id()[-8:]}", "admin", None)
    selected: list[Conversation] = []
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        chosen = callspec.params.get("conversation") if callspec else None
        if isinstance(chosen, Conversation) and getattr(item, "module", None) is request.module:
            selected.append(chosen)
    pool = ThreadPoolExecutor(PLAYERS, thread_name_prefix="citizen")
    yield {c.name: pool.submit(Run(desk, engine, staff, c).play) for c in selected}
    pool.shutdown(cancel_futures=True)
    engine.dispose()


# The tests ----------------------------------------------------------------------------

CONVERSATIONS = load_corpus()


def test_the_corpus_is_well_formed() -> None:
    """Unique names, at least 60 conversations, and none reporting within another's
    +1 radius or near the rest of the suite's complaints (it would join their tickets)."""
    names = [c.name for c in CONVERSATIONS]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    assert len(CONVERSATIONS) >= 60
    points = [(c.name, point) for c in CONVERSATIONS for point in c.points()]
    close = [
        (a, b, round(haversine(p, q, unit=Unit.METERS)))
        for (a, p), (b, q) in itertools.combinations(points, 2)
        if a != b and haversine(p, q, unit=Unit.METERS) < MIN_SPACING_M
    ]
    assert not close, close
    lat, lon = SUITE_SPOTS
    near = [n for n, (y, x) in points if abs(x - lon) < 0.01 and lat - 0.01 < y < lat + 0.1]
    assert not near, near


@pytest.mark.parametrize("conversation", CONVERSATIONS, ids=[c.name for c in CONVERSATIONS])
def test_conversation(
    report: Report, players: dict[str, Future[None]], conversation: Conversation
) -> None:
    """A citizen's conversation goes as the corpus says, turn by turn."""
    try:
        players[conversation.name].result()
    except Exception as error:
        report.lines.append(f"FAIL {conversation.name}: {str(error).splitlines()[0]}")
        raise
    report.lines.append(f"PASS {conversation.name}")
