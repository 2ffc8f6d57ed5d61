"""Every button the desk sends is understood (issue 17's target: no tap on a button the
desk itself sent is ever answered "ไม่เข้าใจ").

The buttons are collected two ways: by reading the source of bot/ and actions/ (every
payload a button, chip, card or rich-menu tile is given: "/intent…" for Rasa, "action=…"
for the gateway), and by building the messages themselves (domain.yml's responses, the
intake's questions and summary, ticket cards and notices, the hand-off's messages, the
rich menu, the welcome). Each payload must be one the desk handles whenever it is tapped,
later included: an intent of domain.yml with a rule outside any form (a button outlives
its form) whose action exists, or a gateway postback of the worker's table. That a tap
then gets a useful answer, not "ไม่เข้าใจ", is played per family by
tests/conversations/off_script_more.yml against the real desk.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import yaml

from actions.complaint import summary
from actions.complaint import texts as complaint_texts
from bot import messages
from bot.catalogue.richmenu import TILES
from bot.config import ROOT
from bot.handoff import texts as handoff_texts
from bot.line import convert
from bot.line.buttons import buttons_in
from bot.tickets import cards
from bot.tickets.lifecycle import COMPLAINT_TYPES
from bot.tickets.models import Ticket, TicketEvent
from bot.worker.handler import POSTBACK_ACTIONS

SOURCES = [ROOT / "bot", ROOT / "actions"]
# Payloads of LINE's own pickers and links: nothing reaches the desk when tapped.
PICKERS = set(convert.LINE_ACTIONS)
INTENT = re.compile(r"^/(?P<intent>[A-Za-z0-9_]+)(?P<entities>\{.*\})?$", re.DOTALL)
# Calls whose argument is a button's payload: (function name, argument position).
PAYLOAD_ARGS = {"payload": 0, "_chip": 1, "_action_button": 1, "_postback": 1}
PAYLOAD_KEYS = {"payload", "data", "postback"}


@dataclass(frozen=True)
class Found:
    """A payload and where it comes from (for a failure a person can act on)."""

    payload: str
    where: str


def _domain() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return loaded


def _rules() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((ROOT / "data" / "rules").glob("*.yml")):
        found += (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []
    return found


# Reading the source -------------------------------------------------------------------


def _text_of(node: ast.AST) -> str | None:
    """A string constant, or the constant start of an f-string ("action=rate_handoff&h=")."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values:
        first = node.values[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _source_payloads(path: Path) -> Iterator[Found]:
    """Every button payload written in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = str(path.relative_to(ROOT))
    for node in ast.walk(tree):
        candidates: list[tuple[ast.AST, str]] = []
        if isinstance(node, ast.Dict):
            for key, given in zip(node.keys, node.values, strict=True):
                if key is not None and _text_of(key) in PAYLOAD_KEYS:
                    candidates.append((given, "a button's payload"))
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            for keyword in node.keywords:
                if keyword.arg in PAYLOAD_KEYS:
                    candidates.append((keyword.value, f"{name}({keyword.arg}=…)"))
            position = PAYLOAD_ARGS.get(name)
            if position is not None and len(node.args) > position:
                arg = node.args[position]
                text = _text_of(arg)
                if name == "payload" and text is not None:
                    yield Found(f"/{text}", f"{where}:{node.lineno}")
                else:
                    candidates.append((arg, f"{name}(…)"))
            if name == "urlencode" and node.args and isinstance(node.args[0], ast.Dict):
                pairs = zip(node.args[0].keys, node.args[0].values, strict=True)
                for key, item in pairs:
                    if key is not None and _text_of(key) == "action" and _text_of(item):
                        yield Found(f"action={_text_of(item)}", f"{where}:{node.lineno}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            candidates.append((node.left, "a payload built with +"))
        for value, _why in candidates:
            text = _text_of(value)
            if text and (INTENT.match(text.split("{")[0]) or text.startswith("action=")):
                yield Found(text, f"{where}:{getattr(value, 'lineno', '?')}")


def source_payloads() -> list[Found]:
    """Every button payload written in bot/ and actions/."""
    found: list[Found] = []
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.py")):
            found += _source_payloads(path)
    return found


# Building the messages ----------------------------------------------------------------


def _ticket(status: str) -> Ticket:
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    return Ticket(
        id="DS-ABCD2345",
        complaint_type="complaint_road",
        description="ถนนหน้าบ้านเป็นหลุม",
        status=status,
        agency_id="bma",
        created_at=now,
        updated_at=now,
        due_at=now + timedelta(days=7),
        followers_count=2,
        province="กรุงเทพมหานคร",
        district="พระนคร",
    )


def _rasa_buttons(replies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """LINE messages of the actions' replies, as the gateway makes them."""
    bot: list[dict[str, Any]] = []
    for reply in replies:
        message = dict(reply)
        if "json_message" in message:
            message["custom"] = message.pop("json_message")
        bot.append(message)
    return convert.from_rasa(bot)


def built_messages() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The desk's messages with buttons, built as they are sent."""
    for name, variants in (_domain().get("responses") or {}).items():
        for variant in variants:
            if variant.get("buttons"):
                yield f"domain.yml {name}", convert.from_rasa([variant])
    yield (
        "welcome",
        [{"type": "text", "text": "", "quickReply": convert.quick_reply(messages.WELCOME_CHOICES)}],
    )
    constants = [
        value
        for value in vars(complaint_texts).values()
        if isinstance(value, dict) and "payload" in value
    ]
    constants += [
        button
        for value in vars(complaint_texts).values()
        if isinstance(value, tuple)
        for button in value
        if isinstance(button, dict) and "payload" in button
    ]
    yield "actions/complaint/texts.py", _rasa_buttons([complaint_texts.ask("?", constants)])
    yield "the summary's edit choices", _rasa_buttons([summary.edit_choices()])
    yield "the summary's type choices", _rasa_buttons(summary.type_choices())
    yield (
        "the summary",
        [
            cards.summary_message(
                complaint_type="complaint_road",
                description="ถนนเป็นหลุม",
                location=None,
                photos=0,
                phone=None,
                share_identity=False,
                agency_name="กทม.",
                intake_id="abc",
            )
        ],
    )
    yield "the type list", [cards.type_choice_message()]
    for status in ("received", "resolved"):
        ticket = _ticket(status)
        yield f"a {status} ticket's card", [cards.status_message(ticket, [], "กทม.")]
        yield f"a {status} ticket in the list", [cards.tickets_message([ticket], {"bma": "กทม."})]
        event = TicketEvent(ticket_id=ticket.id, kind="status", note="เสร็จแล้ว")
        yield f"a {status} notice", [cards.status_notice(ticket, event)]
    yield "the similar ticket", [cards.similar_message(_ticket("received"), "กทม.")]
    yield "the hand-off queue", handoff_texts.queued(7, 1, 4)
    yield (
        "outside office hours",
        handoff_texts.closed(
            datetime(2026, 12, 7, 1, 30, tzinfo=UTC),
            *(datetime(2026, 1, 1, h).time() for h in (8, 16)),
        ),
    )
    yield "leaving a message", handoff_texts.leave_prompt() + handoff_texts.leave_text_only()
    yield "the chat ended", handoff_texts.ended(7)
    yield "thanks after the chat", [handoff_texts.thanked_after_end(7)]
    yield "not done after the chat", handoff_texts.offer_again()
    yield (
        "the rich menu",
        [{"type": "postback", "label": t.label, "data": t.postback} for t in TILES if t.postback],
    )


def built_payloads() -> list[Found]:
    """Every postback of the messages the desk builds."""
    return [
        Found(button.data, where)
        for where, line_messages in built_messages()
        for button in buttons_in(line_messages)
    ]


# What the desk handles -----------------------------------------------------------------


def handled_intents() -> dict[str, str]:
    """Intent → the action a rule outside any form runs for it."""
    found: dict[str, str] = {}
    for rule in _rules():
        outside = {"active_loop": None} in (rule.get("condition") or [])
        steps = rule.get("steps") or []
        if not outside or len(steps) < 2 or "intent" not in steps[0]:
            continue
        if "action" in steps[1]:
            found.setdefault(steps[0]["intent"], steps[1]["action"])
    return found


def problem(payload: str) -> str | None:
    """Why a tap on `payload` would not be handled, or None."""
    if payload in PICKERS or payload.startswith(("http://", "https://", "tel:")):
        return None
    if payload.startswith("action="):
        action = (parse_qs(payload).get("action") or [""])[0]
        return None if action in POSTBACK_ACTIONS else f"no gateway step for action={action}"
    matched = INTENT.match(payload)
    if matched is None:
        return "neither an intent (/…) nor a gateway postback (action=…): sent as words"
    domain = _domain()
    intent = matched.group("intent")
    if intent not in domain["intents"]:
        return f"/{intent} is not an intent of domain.yml"
    if matched.group("entities"):
        try:
            json.loads(matched.group("entities"))
        except ValueError:
            return "its entities are not JSON"
    runs = handled_intents().get(intent)
    if runs is None:
        return f"no rule outside a form answers /{intent} (a tap after its form)"
    if runs not in domain["actions"] and runs not in domain["responses"]:
        return f"its rule runs {runs}, which domain.yml does not know"
    return None


# The tests ----------------------------------------------------------------------------


def test_the_source_has_the_payloads_this_test_expects() -> None:
    """A reader that finds nothing checks nothing: the source scan finds the summary's,
    the hand-off's, the catalogue's and the domain's kinds of payload."""
    payloads = {f.payload.split("{")[0].split("&")[0] for f in source_payloads()}
    expected = {"/complaint_confirm", "/rate_ticket", "/request_human", "/service_lookup"}
    assert expected <= payloads, sorted(payloads)
    assert {"action=cancel_handoff", "action=rate_handoff"} <= payloads, sorted(payloads)


def test_every_payload_in_the_source_is_handled() -> None:
    unhandled = [
        f"{f.where}: {f.payload} — {why}"
        for f in source_payloads()
        if (why := problem(f.payload)) is not None
    ]
    assert not unhandled, "\n".join(unhandled)


BUILT = list(built_messages())


@pytest.mark.parametrize(("where", "line_messages"), BUILT, ids=[where for where, _ in BUILT])
def test_every_button_of_the_desks_messages_is_handled(
    where: str, line_messages: list[dict[str, Any]]
) -> None:
    buttons = buttons_in(line_messages)
    unhandled = [f"{b.data} — {why}" for b in buttons if (why := problem(b.data)) is not None]
    assert not unhandled, f"{where}:\n" + "\n".join(unhandled)


def test_no_button_sends_words_for_the_model_to_guess() -> None:
    """A button whose payload is plain words is sent as a message and read by the model,
    which may not understand it out of its moment ("ข้าม" after the form): every Rasa
    button is a postback or one of LINE's pickers."""
    worded = [
        f"{where}: {action.get('text')!r}"
        for where, line_messages in built_messages()
        for message in line_messages
        for action in _actions(message)
        if action.get("type") == "message"
    ]
    assert not worded, worded


def _actions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if isinstance(node.get("action"), dict):
            yield node["action"]
        for value in node.values():
            yield from _actions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _actions(item)


def test_every_complaint_type_button_starts_an_intake() -> None:
    chosen = {
        json.loads(b.data.partition("{")[2] and "{" + b.data.partition("{")[2])["complaint_type"]
        for b in buttons_in([cards.type_choice_message()])
    }
    assert chosen == set(COMPLAINT_TYPES)
    assert handled_intents()["complaint_set_type"] == "action_start_complaint"


def test_the_checks_catch_what_they_should() -> None:
    assert problem("/no_such_intent") is not None
    assert problem("action=no_such_step") is not None
    assert problem("ข้าม") is not None
    assert problem('/check_status{"ticket_id":') is not None
    assert problem("/complaint_confirm") is None  # a stale one answers what it refers to
    assert problem("action=cancel_handoff&h=1") is None
