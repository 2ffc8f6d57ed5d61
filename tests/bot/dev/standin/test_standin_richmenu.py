"""Rich menus: created and managed through the SDK, images through raw HTTP.

The SDK's blob API always calls https://api-data.line.me, so image upload and download
go through httpx here.
"""

from __future__ import annotations

import re
import struct
import zlib

import httpx
import pytest
from linebot.v3.messaging import (
    ApiException,
    AsyncMessagingApi,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)

from bot.dev.standin.richmenu import image_size

WIDTH, HEIGHT = 2500, 843


def png(width: int, height: int) -> bytes:
    """A valid, tiny (grey) PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


def menu(name: str = "เมนูหลัก") -> RichMenuRequest:
    """A two-button rich menu, as the desk would create it."""
    half = WIDTH // 2
    return RichMenuRequest(
        size=RichMenuSize(width=WIDTH, height=HEIGHT),
        selected=True,
        name=name,
        chat_bar_text="เมนู",
        areas=[
            RichMenuArea(
                bounds=RichMenuBounds(x=0, y=0, width=half, height=HEIGHT),
                action=PostbackAction(data="action=file", display_text="แจ้งเรื่อง"),
            ),
            RichMenuArea(
                bounds=RichMenuBounds(x=half, y=0, width=WIDTH - half, height=HEIGHT),
                action=PostbackAction(data="action=status", display_text="ติดตามเรื่อง"),
            ),
        ],
    )


async def test_rich_menu_lifecycle(line_api: AsyncMessagingApi, api: httpx.Client) -> None:
    await line_api.validate_rich_menu_object(menu())
    created = await line_api.create_rich_menu(menu())
    menu_id = created.rich_menu_id
    image = png(WIDTH, HEIGHT)

    upload = api.post(
        f"/v2/bot/richmenu/{menu_id}/content", content=image, headers={"content-type": "image/png"}
    )
    await line_api.set_default_rich_menu(menu_id)
    fetched = await line_api.get_rich_menu(menu_id)
    listed = await line_api.get_rich_menu_list()
    default = await line_api.get_default_rich_menu_id()
    download = api.get(f"/v2/bot/richmenu/{menu_id}/content")

    assert re.fullmatch(r"richmenu-[0-9a-f]{32}", menu_id)
    assert upload.status_code == 200
    assert (fetched.name, fetched.chat_bar_text, len(fetched.areas)) == ("เมนูหลัก", "เมนู", 2)
    assert [m.rich_menu_id for m in listed.richmenus] == [menu_id]
    assert default.rich_menu_id == menu_id
    assert (download.content, download.headers["content-type"]) == (image, "image/png")

    await line_api.cancel_default_rich_menu()
    with pytest.raises(ApiException) as no_default:
        await line_api.get_default_rich_menu_id()
    await line_api.delete_rich_menu(menu_id)
    with pytest.raises(ApiException) as gone:
        await line_api.get_rich_menu(menu_id)

    assert no_default.value.status == 404
    assert gone.value.status == 404
    assert (await line_api.get_rich_menu_list()).richmenus == []


async def test_default_needs_an_uploaded_image(line_api: AsyncMessagingApi) -> None:
    created = await line_api.create_rich_menu(menu())

    with pytest.raises(ApiException) as caught:
        await line_api.set_default_rich_menu(created.rich_menu_id)

    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (png(800, 270), "image/png", 400),
        (png(WIDTH, HEIGHT), "image/gif", 415),
        (b"not an image", "image/png", 400),
    ],
    ids=["size-mismatch", "unsupported-type", "not-an-image"],
)
async def test_bad_images_are_refused(
    line_api: AsyncMessagingApi,
    api: httpx.Client,
    content: bytes,
    content_type: str,
    status: int,
) -> None:
    menu_id = (await line_api.create_rich_menu(menu())).rich_menu_id

    response = api.post(
        f"/v2/bot/richmenu/{menu_id}/content",
        content=content,
        headers={"content-type": content_type},
    )

    assert response.status_code == status and response.json()["message"]
    assert api.get(f"/v2/bot/richmenu/{menu_id}/content").status_code == 404


async def test_image_is_uploaded_once(line_api: AsyncMessagingApi, api: httpx.Client) -> None:
    menu_id = (await line_api.create_rich_menu(menu())).rich_menu_id
    path = f"/v2/bot/richmenu/{menu_id}/content"
    headers = {"content-type": "image/png"}

    first = api.post(path, content=png(WIDTH, HEIGHT), headers=headers)
    second = api.post(path, content=png(WIDTH, HEIGHT), headers=headers)

    assert (first.status_code, second.status_code) == (200, 400)


def test_rich_menu_object_rules(api: httpx.Client) -> None:
    bad = {"size": {"width": 500, "height": 843}, "name": "x", "chatBarText": "เมนูที่ยาวเกินสิบสี่ตัว"}

    response = api.post("/v2/bot/richmenu/validate", json=bad)

    assert response.status_code == 400
    properties = {d["property"] for d in response.json()["details"]}
    assert {"selected", "areas", "size.width", "chatBarText"} <= properties


def test_image_size_reads_png_and_jpeg() -> None:
    jpeg = (
        b"\xff\xd8"
        + b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
        + b"\xff\xc0\x00\x11\x08"
        + struct.pack(">HH", 843, 2500)
        + b"\x03\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    )

    assert image_size(png(1200, 405), "image/png") == (1200, 405)
    assert image_size(jpeg, "image/jpeg") == (2500, 843)
    assert image_size(b"\xff\xd8garbage", "image/jpeg") is None
