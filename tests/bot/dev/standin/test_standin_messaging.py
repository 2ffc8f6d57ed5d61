"""The official SDK, pointed at the stand-in, sends and reads what the desk needs."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncMessagingApi,
    ButtonsTemplate,
    FlexMessage,
    MarkMessagesAsReadByTokenRequest,
    MarkMessagesAsReadRequest,
    MessageAction,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    ShowLoadingAnimationRequest,
    StickerMessage,
    TemplateMessage,
    TextMessage,
)
from linebot.v3.messaging.models.chat_reference import ChatReference

from tests.bot.dev.standin.standin_support import ALICE, BOB, Standin

FLEX_BUBBLE = {
    "type": "bubble",
    "body": {
        "type": "box",
        "layout": "vertical",
        "contents": [
            {"type": "text", "text": "คำร้อง #A-1024", "weight": "bold", "size": "lg"},
            {"type": "text", "text": "สถานะ: รับเรื่องแล้ว", "wrap": True},
        ],
    },
    "footer": {
        "type": "box",
        "layout": "vertical",
        "contents": [
            {
                "type": "button",
                "action": {"type": "postback", "label": "ติดตาม", "data": "action=status"},
            }
        ],
    },
}


def _error(exc: ApiException) -> dict[str, object]:
    body: dict[str, object] = json.loads(exc.body)
    return body


async def test_reply_with_a_webhook_token_is_delivered_to_that_user(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    token = standin.reply_token(ALICE)

    answer = await line_api.reply_message_with_http_info(
        ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="รับเรื่องแล้ว")])
    )

    assert answer.status_code == 200
    assert answer.headers["x-line-request-id"]
    [sent] = answer.data.sent_messages
    assert sent.id.isdigit() and sent.quote_token
    [delivered] = standin.messages(ALICE)
    assert delivered["via"] == "reply"
    assert delivered["message"] == {"type": "text", "text": "รับเรื่องแล้ว"}
    assert standin.messages(BOB) == []


async def test_sdk_built_rich_messages_pass_the_contract(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    quick = QuickReply(
        items=[
            QuickReplyItem(action=MessageAction(label="ร้องเรียน", text="ร้องเรียน")),
            QuickReplyItem(action=PostbackAction(label="สถานะ", data="action=status")),
        ]
    )
    messages = [
        TextMessage(text="เลือกบริการ", quick_reply=quick),
        TemplateMessage(
            alt_text="เมนู",
            template=ButtonsTemplate(
                text="ต้องการทำอะไร",
                actions=[PostbackAction(label="แจ้งเรื่อง", data="action=file")],
            ),
        ),
        FlexMessage.from_dict({"type": "flex", "altText": "สถานะ", "contents": FLEX_BUBBLE}),
        StickerMessage(package_id="446", sticker_id="1988"),
    ]

    answer = await line_api.push_message(PushMessageRequest(to=ALICE, messages=messages))

    assert len(answer.sent_messages) == 4
    assert [item["message"]["type"] for item in standin.messages(ALICE)] == [
        "text",
        "template",
        "flex",
        "sticker",
    ]


async def test_push_and_multicast_are_delivered(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    answer = await line_api.push_message_with_http_info(
        PushMessageRequest(to=ALICE, messages=[TextMessage(text="แจ้งเตือน")])
    )
    await line_api.multicast(
        MulticastRequest(to=[ALICE, BOB], messages=[TextMessage(text="ประกาศ")])
    )

    assert answer.status_code == 200 and answer.headers["x-line-request-id"]
    assert [(m["via"], m["message"]["text"]) for m in standin.messages(ALICE)] == [
        ("push", "แจ้งเตือน"),
        ("push", "ประกาศ"),
    ]
    assert [m["message"]["text"] for m in standin.messages(BOB)] == ["ประกาศ"]
    usage = await line_api.get_message_quota_consumption()
    assert usage.total_usage == 3


async def test_loading_animation_and_mark_as_read_are_accepted(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    event = standin.send(userId=ALICE, message={"type": "text", "text": "สวัสดี"})["body"]
    read_token = event["events"][0]["message"]["markAsReadToken"]

    loading = await line_api.show_loading_animation_with_http_info(
        ShowLoadingAnimationRequest(chat_id=ALICE, loading_seconds=20)
    )
    await line_api.mark_messages_as_read_by_token(
        MarkMessagesAsReadByTokenRequest(mark_as_read_token=read_token)
    )
    await line_api.mark_messages_as_read(
        MarkMessagesAsReadRequest(chat=ChatReference(user_id=ALICE))
    )

    assert loading.status_code == 202
    with pytest.raises(ApiException) as caught:
        await line_api.mark_messages_as_read_by_token(
            MarkMessagesAsReadByTokenRequest(mark_as_read_token="made-up")
        )
    assert caught.value.status == 400


async def test_profile_of_simulated_users(standin: Standin, line_api: AsyncMessagingApi) -> None:
    standin.send(userId=ALICE, displayName="สมชาย", event="follow")

    profile = await line_api.get_profile(ALICE)

    assert (profile.user_id, profile.display_name) == (ALICE, "สมชาย")
    with pytest.raises(ApiException) as unknown:
        await line_api.get_profile(BOB)
    assert unknown.value.status == 404 and _error(unknown.value) == {"message": "Not found"}
    standin.send(userId=ALICE, event="unfollow")
    with pytest.raises(ApiException) as blocked:
        await line_api.get_profile(ALICE)
    assert blocked.value.status == 404


async def test_bot_info_and_quota_deserialize(line_api: AsyncMessagingApi) -> None:
    info = await line_api.get_bot_info()
    quota = await line_api.get_message_quota()

    assert info.user_id.startswith("U") and len(info.user_id) == 33
    assert quota.type == "none"


async def test_reply_token_is_single_use(standin: Standin, line_api: AsyncMessagingApi) -> None:
    token = standin.reply_token(ALICE)
    request = ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="หนึ่ง")])
    await line_api.reply_message(request)

    with pytest.raises(ApiException) as caught:
        await line_api.reply_message(request)

    assert caught.value.status == 400
    assert _error(caught.value) == {"message": "Invalid reply token"}
    assert len(standin.messages(ALICE)) == 1


async def test_reply_token_expires(standin: Standin, line_api: AsyncMessagingApi) -> None:
    token = standin.reply_token(ALICE)
    standin.clock.advance(standin.settings.standin_reply_token_ttl_s + 0.001)

    with pytest.raises(ApiException) as caught:
        await line_api.reply_message(
            ReplyMessageRequest(reply_token=token, messages=[TextMessage(text="ช้าไป")])
        )

    assert _error(caught.value) == {"message": "Invalid reply token"}
    assert standin.messages(ALICE) == []


async def test_reply_token_not_issued_by_the_standin_is_invalid(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    with pytest.raises(ApiException) as caught:
        await line_api.reply_message(
            ReplyMessageRequest(reply_token="0" * 32, messages=[TextMessage(text="x")])
        )
    assert caught.value.status == 400
    assert _error(caught.value) == {"message": "Invalid reply token"}


async def test_reply_token_is_bound_to_its_user(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    alice_token = standin.reply_token(ALICE)
    bob_token = standin.reply_token(BOB)

    await line_api.reply_message(
        ReplyMessageRequest(reply_token=bob_token, messages=[TextMessage(text="ถึงบ๊อบ")])
    )
    await line_api.reply_message(
        ReplyMessageRequest(reply_token=alice_token, messages=[TextMessage(text="ถึงอลิซ")])
    )

    assert [m["message"]["text"] for m in standin.messages(ALICE)] == ["ถึงอลิซ"]
    assert [m["message"]["text"] for m in standin.messages(BOB)] == ["ถึงบ๊อบ"]


async def test_retry_key_is_accepted_once(standin: Standin, line_api: AsyncMessagingApi) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=ALICE, messages=[TextMessage(text="เลขที่ A-1024")])
    first = await line_api.push_message_with_http_info(request, x_line_retry_key=key)

    with pytest.raises(ApiException) as again:
        await line_api.push_message(request, x_line_retry_key=key)

    assert again.value.status == 409
    body = _error(again.value)
    assert body["message"] == "The retry key is already accepted"
    assert body["sentMessages"] == [m.to_dict() for m in first.data.sent_messages]
    accepted = again.value.headers["x-line-accepted-request-id"]
    assert accepted == first.headers["x-line-request-id"]
    assert again.value.headers["x-line-request-id"] != accepted
    assert len(standin.messages(ALICE)) == 1
    [retried] = standin.calls("/v2/bot/message/push")[1:]
    assert (retried["retry_key"], retried["status"]) == (key, 409)


async def test_retry_key_is_forgotten_after_24_hours(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=ALICE, messages=[TextMessage(text="x")])
    await line_api.push_message(request, x_line_retry_key=key)
    standin.clock.advance(24 * 60 * 60)

    await line_api.push_message(request, x_line_retry_key=key)

    assert len(standin.messages(ALICE)) == 2


async def test_concurrent_pushes_with_one_retry_key_deliver_once(
    standin: Standin, line_api: AsyncMessagingApi
) -> None:
    key = str(uuid.uuid4())
    request = PushMessageRequest(to=ALICE, messages=[TextMessage(text="ครั้งเดียว")])

    results = await asyncio.gather(
        *(line_api.push_message(request, x_line_retry_key=key) for _ in range(8)),
        return_exceptions=True,
    )

    conflicts = [r for r in results if isinstance(r, ApiException)]
    assert len(conflicts) == 7 and all(r.status == 409 for r in conflicts)
    assert len(standin.messages(ALICE)) == 1
