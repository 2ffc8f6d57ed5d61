"""The postback buttons of LINE messages the desk sent (quick replies, Flex and template
buttons): their words and payloads, for reading what a citizen tapped (bot.handoff.taps)
or typed instead (bot.worker.choices)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Button:
    """One postback button or chip: its words (label, then the text LINE shows when it is
    tapped) and its payload."""

    words: tuple[str, ...]
    data: str


def buttons_in(messages: Iterable[dict[str, Any]]) -> list[Button]:
    """Every postback button of the messages, in order."""
    found: list[Button] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "postback" and isinstance(node.get("data"), str):
                words = tuple(
                    str(node[key]).strip() for key in ("label", "displayText") if node.get(key)
                )
                found.append(Button(words, node["data"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(list(messages))
    return found
