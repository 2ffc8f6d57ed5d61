"""Rasa bot messages → LINE message objects (JSON form, as the Messaging API takes them)."""

from __future__ import annotations

from typing import Any

# LINE's documented limits (Messaging API reference, "Message objects" / "Quick reply").
MAX_MESSAGES_PER_CALL = 5
MAX_TEXT = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_ACTION_LABEL = 20
MAX_ALT_TEXT = 1500

LineMessage = dict[str, Any]

# Button payloads that open LINE's own pickers instead of sending anything.
LINE_ACTIONS = {"@location": "location", "@camera": "camera", "@cameraRoll": "cameraRoll"}


def _label(title: str) -> str:
    return title if len(title) <= MAX_ACTION_LABEL else title[: MAX_ACTION_LABEL - 1] + "…"


def quick_reply(buttons: list[dict[str, Any]]) -> dict[str, Any]:
    """Rasa buttons as LINE quick-reply chips.

    A button whose payload is an intent (``/help``) becomes a postback (the gateway sends
    the payload to Rasa as is), one with a URL a URI action, ``@location``/``@camera``/
    ``@cameraRoll`` LINE's pickers, any other a message action.
    """
    items = []
    for button in buttons[:MAX_QUICK_REPLY_ITEMS]:
        title = str(button.get("title") or button.get("payload") or "")
        payload = str(button.get("payload") or title)
        action: dict[str, Any]
        if payload in LINE_ACTIONS:
            # LINE's own pickers: share a location, take or choose a photo.
            action = {"type": LINE_ACTIONS[payload], "label": _label(title)}
        elif payload.startswith(("http://", "https://", "tel:")):
            action = {"type": "uri", "label": _label(title), "uri": payload}
        elif payload.startswith("/"):
            action = {
                "type": "postback",
                "label": _label(title),
                "data": payload[:300],
                "displayText": title[:300],
            }
        else:
            action = {"type": "message", "label": _label(title), "text": payload[:300]}
        items.append({"type": "action", "action": action})
    return {"items": items}


def _split_text(text: str) -> list[str]:
    return [text[i : i + MAX_TEXT] for i in range(0, len(text), MAX_TEXT)] or [""]


def _custom(custom: dict[str, Any]) -> LineMessage | None:
    """A custom payload: a whole LINE message, or a Flex bubble/carousel with altText."""
    if isinstance(custom.get("line"), dict):
        return dict(custom["line"])
    if custom.get("type") == "flex":
        return dict(custom)
    if custom.get("type") in {"bubble", "carousel"}:
        alt = str(custom.get("altText") or "ข้อความจากระบบ")[:MAX_ALT_TEXT]
        contents = {k: v for k, v in custom.items() if k != "altText"}
        return {"type": "flex", "altText": alt, "contents": contents}
    return None


def from_rasa(bot_messages: list[dict[str, Any]]) -> list[LineMessage]:
    """Converts Rasa's collected bot messages into LINE messages, in order."""
    out: list[LineMessage] = []
    pending_buttons: list[dict[str, Any]] = []
    for bot in bot_messages:
        if bot.get("text"):
            out.extend({"type": "text", "text": part} for part in _split_text(str(bot["text"])))
        if bot.get("image"):
            url = str(bot["image"])
            out.append({"type": "image", "originalContentUrl": url, "previewImageUrl": url})
        if isinstance(bot.get("custom"), dict):
            message = _custom(bot["custom"])
            if message is not None:
                out.append(message)
        if bot.get("buttons"):
            pending_buttons = list(bot["buttons"])
        if bot.get("quick_replies"):
            pending_buttons = list(bot["quick_replies"])
    # LINE shows quick replies only on the last message of a batch.
    if pending_buttons and out:
        out[-1] = {**out[-1], "quickReply": quick_reply(pending_buttons)}
    return out


def batches(messages: list[LineMessage]) -> list[list[LineMessage]]:
    """Splits messages into API calls of at most five, the last keeping its quick reply."""
    return [
        messages[i : i + MAX_MESSAGES_PER_CALL]
        for i in range(0, len(messages), MAX_MESSAGES_PER_CALL)
    ]
