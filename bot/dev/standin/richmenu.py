"""Rich menu endpoints: create, image upload and download, list, default menu.

Routes are named by operationId in messaging-api.yml; `/list` is declared before
`/{rich_menu_id}` so that it is not taken for an ID.
"""

from __future__ import annotations

import struct
from typing import Any

from fastapi import APIRouter, Request, Response

from bot.dev.standin.deps import JsonBody, StateDep
from bot.dev.standin.errors import NOT_FOUND, LineError
from bot.dev.standin.state import Content

router = APIRouter()

# https://developers.line.biz/en/reference/messaging-api/#upload-rich-menu-image
IMAGE_TYPES = ("image/jpeg", "image/png")
MAX_IMAGE_BYTES = 1024 * 1024
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# JPEG start-of-frame markers (SOF0-SOF15 without DHT, JPG and DAC) carry the dimensions.
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(data: bytes, content_type: str) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG image; None if the bytes are not one."""
    if content_type == "image/png":
        if data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR" and len(data) >= 24:
            width, height = struct.unpack(">II", data[16:24])
            return width, height
        return None
    if data[:2] != b"\xff\xd8":
        return None
    at = 2
    while at + 9 <= len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return width, height
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        at += 2 + length
    return None


@router.post("/v2/bot/richmenu", name="createRichMenu")
def create_rich_menu(body: JsonBody, state: StateDep) -> dict[str, Any]:
    """Create a rich menu."""
    return {"richMenuId": state.create_rich_menu(body)}


@router.post("/v2/bot/richmenu/validate", name="validateRichMenuObject")
def validate_rich_menu(body: JsonBody) -> dict[str, Any]:
    """The contract check has passed, so the rich menu object is valid."""
    return {}


@router.get("/v2/bot/richmenu/list", name="getRichMenuList")
def list_rich_menus(state: StateDep) -> dict[str, Any]:
    """Every rich menu."""
    return {"richmenus": state.rich_menus()}


@router.post("/v2/bot/richmenu/{rich_menu_id}/content", name="setRichMenuImage")
async def set_rich_menu_image(rich_menu_id: str, request: Request, state: StateDep) -> Any:
    """Upload a rich menu's image: JPEG or PNG, at most 1 MB, exactly the menu's size."""
    menu = state.rich_menu(rich_menu_id).menu
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in IMAGE_TYPES:
        raise LineError(415, f"The content type, {content_type or 'none'}, is not supported")
    data = await request.body()
    if len(data) > MAX_IMAGE_BYTES:
        raise LineError(400, "The image file size must be 1 MB or less")
    size = menu.get("size", {})
    expected = (size.get("width"), size.get("height"))
    found = image_size(data, content_type)
    if found is None:
        raise LineError(400, f"The request body is not a valid {content_type} image")
    if found != expected:
        raise LineError(
            400, f"The image size must match the rich menu size ({expected[0]}x{expected[1]})"
        )
    state.set_rich_menu_image(rich_menu_id, Content(data, content_type))
    return {}


@router.get("/v2/bot/richmenu/{rich_menu_id}/content", name="getRichMenuImage")
def get_rich_menu_image(rich_menu_id: str, state: StateDep) -> Response:
    """Download a rich menu's image."""
    image = state.rich_menu(rich_menu_id).image
    if image is None:
        raise LineError(404, NOT_FOUND)
    return Response(image.data, media_type=image.content_type)


@router.get("/v2/bot/richmenu/{rich_menu_id}", name="getRichMenu")
def get_rich_menu(rich_menu_id: str, state: StateDep) -> dict[str, Any]:
    """One rich menu."""
    return state.rich_menu(rich_menu_id).menu


@router.delete("/v2/bot/richmenu/{rich_menu_id}", name="deleteRichMenu")
def delete_rich_menu(rich_menu_id: str, state: StateDep) -> dict[str, Any]:
    """Delete a rich menu."""
    state.delete_rich_menu(rich_menu_id)
    return {}


@router.post("/v2/bot/user/all/richmenu/{rich_menu_id}", name="setDefaultRichMenu")
def set_default_rich_menu(rich_menu_id: str, state: StateDep) -> dict[str, Any]:
    """Make a rich menu the default for every user."""
    state.set_default_rich_menu(rich_menu_id)
    return {}


@router.get("/v2/bot/user/all/richmenu", name="getDefaultRichMenuId")
def get_default_rich_menu(state: StateDep) -> dict[str, Any]:
    """The default rich menu's ID."""
    rich_menu_id = state.default_rich_menu()
    if rich_menu_id is None:
        raise LineError(404, "no default richmenu")
    return {"richMenuId": rich_menu_id}


@router.delete("/v2/bot/user/all/richmenu", name="cancelDefaultRichMenu")
def cancel_default_rich_menu(state: StateDep) -> dict[str, Any]:
    """Unset the default rich menu."""
    state.clear_default_rich_menu()
    return {}
