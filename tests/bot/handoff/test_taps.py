"""What a citizen tapped reads as words in transcripts (bot.handoff.taps)."""

from __future__ import annotations

from bot.handoff import taps
from bot.handoff.service import citizen_entry
from bot.tickets.cards import rating_quick_reply


def test_the_words_come_from_the_button_the_desk_sent() -> None:
    sent = [
        {
            "type": "text",
            "text": "ส่งเรื่องเลยไหมคะ",
            "quickReply": {
                "items": [
                    {
                        "type": "action",
                        "action": {
                            "type": "postback",
                            "label": "ส่งเลย",
                            "data": "/complaint_confirm",
                            "displayText": "ส่งเรื่องเลยค่ะ",
                        },
                    },
                    {
                        "type": "action",
                        "action": {"type": "postback", "label": "ยกเลิก", "data": "/cancel"},
                    },
                ]
            },
        }
    ]
    labels = taps.labels_in(sent)
    assert taps.words("/complaint_confirm", labels) == "ส่งเรื่องเลยค่ะ"  # what LINE showed
    assert taps.words("/cancel", labels) == "ยกเลิก"


def test_a_rating_card_and_unknown_buttons_read_as_words() -> None:
    card = rating_quick_reply("DS-ABCD2345")
    labels = taps.labels_in([{"type": "text", "text": "ให้คะแนน", "quickReply": card}])
    rated = next(data for data in labels if '"4"' in data)
    assert "4" in taps.words(rated, labels)
    # Its message gone: the payload is read.
    assert taps.words('/rate_ticket{"ticket_id":"DS-ABCD2345","rating":"5"}') == "ให้คะแนน 5"
    assert taps.words("/check_status") == "ติดตามเรื่อง"  # the rich menu's tile
    assert taps.words("/affirm") == "ใช่"
    assert taps.words("/something_new{broken") == "กดปุ่ม"
    entry = citizen_entry({"type": "postback", "postback": {"data": "/deny"}})
    assert entry == {"from": "citizen", "type": "postback", "text": "ไม่ใช่"}
