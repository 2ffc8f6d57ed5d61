"""Rasa bot messages → LINE messages."""

from __future__ import annotations

from linebot.v3.messaging import Message

from bot.line import convert


def test_text_with_buttons_becomes_quick_reply_chips() -> None:
    out = convert.from_rasa(
        [
            {
                "text": "เลือกได้เลยค่ะ",
                "buttons": [
                    {"title": "แจ้งปัญหา", "payload": "/help"},
                    {"title": "เว็บไซต์", "payload": "https://www.info.go.th"},
                    {"title": "ใช่", "payload": "ใช่ค่ะ"},
                ],
            }
        ]
    )
    [message] = out
    items = message["quickReply"]["items"]
    assert [i["action"]["type"] for i in items] == ["postback", "uri", "message"]
    assert items[0]["action"]["data"] == "/help"
    assert items[0]["action"]["displayText"] == "แจ้งปัญหา"
    Message.from_dict(message)  # the SDK accepts it


def test_quick_replies_go_on_the_last_message_only() -> None:
    out = convert.from_rasa(
        [{"text": "หนึ่ง", "buttons": [{"title": "ก", "payload": "/greet"}]}, {"text": "สอง"}]
    )
    assert "quickReply" not in out[0]
    assert out[1]["quickReply"]["items"][0]["action"]["data"] == "/greet"


def test_long_labels_and_too_many_chips_are_cut_to_lines_limits() -> None:
    buttons = [{"title": f"ตัวเลือกที่ยาวมากมายหลายคำ {i}", "payload": f"/x{i}"} for i in range(20)]
    [message] = convert.from_rasa([{"text": "t", "buttons": buttons}])
    items = message["quickReply"]["items"]
    assert len(items) == convert.MAX_QUICK_REPLY_ITEMS
    assert all(len(i["action"]["label"]) <= convert.MAX_ACTION_LABEL for i in items)


def test_custom_flex_and_image() -> None:
    bubble = {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": []}}
    out = convert.from_rasa(
        [
            {"custom": {**bubble, "altText": "บัตรสถานะ"}},
            {"image": "https://example.org/a.png"},
            {"custom": {"line": {"type": "sticker", "packageId": "446", "stickerId": "1988"}}},
        ]
    )
    assert out[0] == {"type": "flex", "altText": "บัตรสถานะ", "contents": bubble}
    assert out[1]["type"] == "image" and out[1]["previewImageUrl"] == "https://example.org/a.png"
    assert out[2]["type"] == "sticker"
    for message in out:
        Message.from_dict(message)


def test_text_over_5000_characters_is_split() -> None:
    out = convert.from_rasa([{"text": "ก" * 12000}])
    assert [len(m["text"]) for m in out] == [5000, 5000, 2000]


def test_batches_of_five() -> None:
    messages = [{"type": "text", "text": str(i)} for i in range(12)]
    assert [len(b) for b in convert.batches(messages)] == [5, 5, 2]
    assert convert.batches([]) == []
