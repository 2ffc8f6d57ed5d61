"""The desk's LINE rich menu: four big tiles, set as every user's default menu.

| แจ้งปัญหา (message "แจ้งปัญหา") | ติดตามเรื่อง (postback /check_status) |
| ค้นหาบริการ (postback /service_lookup) | คุยกับเจ้าหน้าที่ (postback /request_human) |

Postbacks whose data starts with "/" go to Rasa as intents (bot/worker/handler.py). The
image (static/richmenu.png, 2500x1686) is drawn by `python -m bot.catalogue.richmenu_image`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from linebot.v3.messaging import (
    Action,
    AsyncMessagingApi,
    AsyncMessagingApiBlob,
    MessageAction,
    PostbackAction,
    RichMenuArea,
    RichMenuBounds,
    RichMenuRequest,
    RichMenuSize,
)
from linebot.v3.messaging.exceptions import ApiException

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 2500, 1686
MENU_NAME = "desk-main-menu"
CHAT_BAR_TEXT = "เมนู"
IMAGE_PATH = Path(__file__).resolve().parent / "static" / "richmenu.png"
IMAGE_TYPE = "image/png"
MAX_IMAGE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Tile:
    """One quarter of the menu: what it says and what a tap does."""

    label: str
    hint: str
    color: str
    text: str | None = None  # a message action: the citizen "says" this text
    postback: str | None = None  # a postback to Rasa ("/intent")

    def action(self) -> Action:
        """The LINE action of this tile."""
        if self.postback is not None:
            return PostbackAction(label=self.label, data=self.postback, display_text=self.label)
        return MessageAction(label=self.label, text=self.text or self.label)


# Row by row, left to right; the image draws the same tiles in the same order.
TILES = (
    Tile("แจ้งปัญหา", "ถนน ไฟทาง ขยะ น้ำท่วม", "#06C755", postback="/report_problem"),
    Tile("ติดตามเรื่อง", "ดูสถานะเรื่องที่แจ้งไว้", "#1E6FD9", postback="/check_status"),
    Tile("ค้นหาบริการ", "เอกสาร ขั้นตอน ที่ติดต่อ", "#F08A00", postback="/service_lookup"),
    Tile("คุยกับเจ้าหน้าที่", "ขอความช่วยเหลือจากคน", "#7A4CC2", postback="/request_human"),
)


def tile_bounds() -> list[RichMenuBounds]:
    """The four tiles' bounds, covering the whole image without gaps."""
    half_w, half_h = WIDTH // 2, HEIGHT // 2
    return [
        RichMenuBounds(x=0, y=0, width=half_w, height=half_h),
        RichMenuBounds(x=half_w, y=0, width=WIDTH - half_w, height=half_h),
        RichMenuBounds(x=0, y=half_h, width=half_w, height=HEIGHT - half_h),
        RichMenuBounds(x=half_w, y=half_h, width=WIDTH - half_w, height=HEIGHT - half_h),
    ]


def rich_menu_request() -> RichMenuRequest:
    """The rich menu object LINE is sent."""
    return RichMenuRequest(
        size=RichMenuSize(width=WIDTH, height=HEIGHT),
        selected=True,
        name=MENU_NAME,
        chat_bar_text=CHAT_BAR_TEXT,
        areas=[
            RichMenuArea(bounds=bounds, action=tile.action())
            for tile, bounds in zip(TILES, tile_bounds(), strict=True)
        ],
    )


def menu_image() -> bytes:
    """The menu's PNG (checked: LINE takes at most 1 MB)."""
    data = IMAGE_PATH.read_bytes()
    if len(data) > MAX_IMAGE_BYTES:
        raise ValueError(f"{IMAGE_PATH} is {len(data)} bytes; LINE takes at most 1 MB")
    return data


async def setup_rich_menu(api: AsyncMessagingApi, blob: AsyncMessagingApiBlob) -> str:
    """Creates the menu, uploads its image, makes it the default; returns its id.

    Earlier menus of the desk (same name) are deleted once the new one is the default,
    so re-running never leaves citizens without a menu nor piles up old ones.
    """
    image = menu_image()
    created = await api.create_rich_menu(rich_menu_request())
    rich_menu_id: str = created.rich_menu_id
    try:
        await blob.set_rich_menu_image(rich_menu_id, image, _headers={"Content-Type": IMAGE_TYPE})
        await api.set_default_rich_menu(rich_menu_id)
    except ApiException:
        # A menu without an image cannot be shown; do not leave it behind.
        await api.delete_rich_menu(rich_menu_id)
        raise
    listed = await api.get_rich_menu_list()
    for menu in listed.richmenus or []:
        if menu.name == MENU_NAME and menu.rich_menu_id != rich_menu_id:
            await api.delete_rich_menu(menu.rich_menu_id)
            logger.info("rich menu: deleted the previous menu %s", menu.rich_menu_id)
    logger.info("rich menu: %s is the default", rich_menu_id)
    return rich_menu_id
