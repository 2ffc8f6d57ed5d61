"""LINE's documented limits that messaging-api.yml leaves out of its schemas.

The schemas already carry e.g. 1-5 messages per request, 13 quick-reply items, postback
data <= 300 and loadingSeconds 5-60; the rules here are the rest, each from LINE's
reference (https://developers.line.biz/en/reference/messaging-api/ + the anchor noted).
Checks are defensive about types: the schema pass reports those.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from bot.dev.standin.errors import invalid_property

Detail = dict[str, str]

USER_ID = re.compile(r"U[0-9a-f]{32}")
CHAT_ID = re.compile(r"[UCR][0-9a-f]{32}")  # user, group chat or multi-person chat

MAX_URL = 2000  # #image-message, #video-message, #audio-message: HTTPS, <= 2000 chars
MAX_ALT_TEXT = 1500  # #imagemap-message, #template-messages, #flex-message
MAX_LABEL = 20  # #action-objects: label <= 20 chars (quick reply, templates, rich menu)


def check(operation_id: str, body: Any) -> list[Detail]:
    """Details of every LINE limit the (parsed JSON) body breaks for this operation."""
    rule = _RULES.get(operation_id)
    if rule is None or not isinstance(body, dict):
        return []
    errors: list[Detail] = []
    rule(errors, body)
    return errors


def _detail(errors: list[Detail], prop: str, message: str) -> None:
    errors.append({"message": message, "property": prop})


def _text(errors: list[Detail], prop: str, value: Any, high: int | None = None) -> None:
    if not isinstance(value, str):
        return
    if not value:
        _detail(errors, prop, "May not be empty")
    elif high is not None and len(value) > high:
        _detail(errors, prop, f"Length must be between 0 and {high}")


def _size(errors: list[Detail], prop: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, list) and not low <= len(value) <= high:
        _detail(errors, prop, f"Size must be between {low} and {high}")


def _url(errors: list[Detail], prop: str, value: Any) -> None:
    if isinstance(value, str) and (not value.startswith("https://") or len(value) > MAX_URL):
        _detail(errors, prop, f"Must be an HTTPS URL of at most {MAX_URL} characters")


def _action(errors: list[Detail], prop: str, action: Any) -> None:
    if not isinstance(action, dict):
        return
    _text(errors, f"{prop}.label", action.get("label"), MAX_LABEL)
    if action.get("type") == "message":
        _text(errors, f"{prop}.text", action.get("text"), 300)  # #message-action


def _actions(errors: list[Detail], prop: str, actions: Any, low: int, high: int) -> None:
    _size(errors, prop, actions, low, high)
    for i, action in enumerate(actions if isinstance(actions, list) else []):
        _action(errors, f"{prop}[{i}]", action)


def _template(errors: list[Detail], prop: str, template: Any) -> None:
    if not isinstance(template, dict):
        return
    kind = template.get("type")
    if kind == "buttons":  # #buttons: title <= 40, text <= 160 (60 with image or title)
        short = bool(template.get("thumbnailImageUrl") or template.get("title"))
        _text(errors, f"{prop}.title", template.get("title"), 40)
        _text(errors, f"{prop}.text", template.get("text"), 60 if short else 160)
        _actions(errors, f"{prop}.actions", template.get("actions"), 1, 4)
    elif kind == "confirm":  # #confirm: text <= 240, exactly two actions
        _text(errors, f"{prop}.text", template.get("text"), 240)
        _actions(errors, f"{prop}.actions", template.get("actions"), 2, 2)
    elif kind in ("carousel", "image_carousel"):  # #carousel, #image-carousel: <= 10 columns
        columns = template.get("columns")
        _size(errors, f"{prop}.columns", columns, 1, 10)
        for i, column in enumerate(columns if isinstance(columns, list) else []):
            if isinstance(column, dict) and kind == "carousel":
                _text(errors, f"{prop}.columns[{i}].title", column.get("title"), 40)
                _actions(errors, f"{prop}.columns[{i}].actions", column.get("actions"), 1, 3)
            elif isinstance(column, dict):
                _action(errors, f"{prop}.columns[{i}].action", column.get("action"))


def _flex(errors: list[Detail], prop: str, contents: Any) -> None:
    # #f-bubble: a bubble's JSON <= 30 KB; #f-carousel: 1-12 bubbles, its JSON <= 50 KB.
    if not isinstance(contents, dict):
        return
    if contents.get("type") == "carousel":
        bubbles = contents.get("contents")
        _size(errors, f"{prop}.contents", bubbles, 1, 12)
        if _json_size(contents) > 50_000:
            _detail(errors, prop, "The carousel's JSON must be at most 50 KB")
        for i, bubble in enumerate(bubbles if isinstance(bubbles, list) else []):
            _flex(errors, f"{prop}.contents[{i}]", bubble)
    elif _json_size(contents) > 30_000:
        _detail(errors, prop, "The bubble's JSON must be at most 30 KB")


def _json_size(node: Any) -> int:
    return len(json.dumps(node, ensure_ascii=False, separators=(",", ":")).encode())


def _message(errors: list[Detail], prop: str, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind in ("text", "textV2"):  # #text-message: <= 5000 characters
        _text(errors, f"{prop}.text", message.get("text"), 5000)
    elif kind in ("image", "video"):
        _url(errors, f"{prop}.originalContentUrl", message.get("originalContentUrl"))
        _url(errors, f"{prop}.previewImageUrl", message.get("previewImageUrl"))
    elif kind == "audio":
        _url(errors, f"{prop}.originalContentUrl", message.get("originalContentUrl"))
    elif kind == "location":  # #location-message: title and address <= 100
        _text(errors, f"{prop}.title", message.get("title"), 100)
        _text(errors, f"{prop}.address", message.get("address"), 100)
    elif kind == "sticker":
        _text(errors, f"{prop}.packageId", message.get("packageId"))
        _text(errors, f"{prop}.stickerId", message.get("stickerId"))
    if kind in ("imagemap", "template", "flex"):
        _text(errors, f"{prop}.altText", message.get("altText"), MAX_ALT_TEXT)
    if kind == "template":
        _template(errors, f"{prop}.template", message.get("template"))
    if kind == "flex":
        _flex(errors, f"{prop}.contents", message.get("contents"))
    quick = message.get("quickReply")
    items = quick.get("items") if isinstance(quick, dict) else None
    if items == []:  # #items-object: 1-13 items; the schema states only the 13
        _detail(errors, f"{prop}.quickReply.items", "Size must be between 1 and 13")
    for i, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, dict):
            _action(errors, f"{prop}.quickReply.items[{i}].action", item.get("action"))


def _messages(errors: list[Detail], body: dict[str, Any]) -> None:
    messages = body.get("messages")
    for i, message in enumerate(messages if isinstance(messages, list) else []):
        if isinstance(message, dict):
            _message(errors, f"messages[{i}]", message)


def _reply(errors: list[Detail], body: dict[str, Any]) -> None:
    _text(errors, "replyToken", body.get("replyToken"))
    _messages(errors, body)


def _push(errors: list[Detail], body: dict[str, Any]) -> None:
    to = body.get("to")
    if isinstance(to, str) and not CHAT_ID.fullmatch(to):  # #send-push-message
        raise invalid_property("to")
    _messages(errors, body)


def _multicast(errors: list[Detail], body: dict[str, Any]) -> None:
    to = body.get("to")
    _size(errors, "to", to, 1, 500)  # #send-multicast-message: up to 500 user IDs
    for i, user_id in enumerate(to if isinstance(to, list) else []):
        if isinstance(user_id, str) and not USER_ID.fullmatch(user_id):
            raise invalid_property(f"to[{i}]")
    _messages(errors, body)


def _loading(errors: list[Detail], body: dict[str, Any]) -> None:
    chat_id = body.get("chatId")
    if isinstance(chat_id, str) and not USER_ID.fullmatch(chat_id):  # one-on-one chats only
        raise invalid_property("chatId")
    seconds = body.get("loadingSeconds")
    if isinstance(seconds, int) and seconds % 5:  # #display-a-loading-indicator
        _detail(errors, "loadingSeconds", "Must be a multiple of 5")


def _mark_as_read(errors: list[Detail], body: dict[str, Any]) -> None:
    chat = body.get("chat")
    user_id = chat.get("userId") if isinstance(chat, dict) else None
    if isinstance(user_id, str) and not USER_ID.fullmatch(user_id):
        raise invalid_property("chat.userId")


def _rich_menu(errors: list[Detail], body: dict[str, Any]) -> None:
    # #rich-menu-object: every property is required; 800 <= width <= 2500, height >= 250,
    # width / height >= 1.45; at most 20 areas, each with bounds and an action.
    for name in ("size", "selected", "name", "chatBarText", "areas"):
        if name not in body:
            _detail(errors, name, "May not be empty")
    _text(errors, "name", body.get("name"), 300)
    _text(errors, "chatBarText", body.get("chatBarText"), 14)
    size = body.get("size")
    width = size.get("width") if isinstance(size, dict) else None
    height = size.get("height") if isinstance(size, dict) else None
    if isinstance(width, int) and not 800 <= width <= 2500:
        _detail(errors, "size.width", "Must be between 800 and 2500")
    if isinstance(height, int) and height < 250:
        _detail(errors, "size.height", "Must be greater than or equal to 250")
    if isinstance(width, int) and isinstance(height, int) and height and width / height < 1.45:
        _detail(errors, "size", "The aspect ratio (width / height) must be at least 1.45")
    areas = body.get("areas")
    _size(errors, "areas", areas, 0, 20)
    for i, area in enumerate(areas if isinstance(areas, list) else []):
        if not isinstance(area, dict):
            continue
        for name in ("bounds", "action"):
            if name not in area:
                _detail(errors, f"areas[{i}].{name}", "May not be empty")
        if isinstance(area.get("action"), dict) and "label" in area["action"]:
            _action(errors, f"areas[{i}].action", area["action"])


_RULES: dict[str, Callable[[list[Detail], dict[str, Any]], None]] = {
    "replyMessage": _reply,
    "pushMessage": _push,
    "multicast": _multicast,
    "showLoadingAnimation": _loading,
    "markMessagesAsRead": _mark_as_read,
    "createRichMenu": _rich_menu,
    "validateRichMenuObject": _rich_menu,
}
