"""Against the LINE stand-in (LINE's OpenAPI contract and limits): cards and the rich menu."""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from linebot.v3.messaging.exceptions import ApiException
from typer.testing import CliRunner

from bot.catalogue import cards, richmenu
from bot.catalogue.cli import line_app
from bot.catalogue.service import Catalogue
from bot.config import Settings
from bot.dev.standin.app import create_app
from bot.line import convert
from bot.line.client import LineChannel
from tests.support.stack import Served

TOKEN = "catalogue-test-token"
USER = "U" + "c3" * 16


@pytest.fixture(scope="module")
def standin_settings() -> Iterator[Settings]:
    """A LINE stand-in for this module; settings pointing the SDK at it."""
    settings = Settings(
        desk_env="test",
        line_channel_access_token=TOKEN,
        line_api_base="http://127.0.0.1:1",  # replaced below, once the port is known
    )
    with Served(create_app(settings)) as served:
        yield settings.model_copy(
            update={"line_api_base": served.base_url, "line_api_data_base": served.base_url}
        )


@pytest.fixture
def control(standin_settings: Settings) -> Iterator[httpx.Client]:
    """The stand-in's control endpoints, its state reset for this test."""
    with httpx.Client(base_url=standin_settings.line_api_base, timeout=10) as http:
        assert http.delete("/__state").status_code == 204
        yield http


@pytest.fixture
async def channel(standin_settings: Settings, control: httpx.Client) -> AsyncIterator[LineChannel]:
    """The desk's LINE channel (official async SDK) on the stand-in."""
    line = LineChannel(standin_settings)
    yield line
    await line.close()


def png(width: int, height: int) -> bytes:
    """A valid grey PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"".join(b"\x00" + b"\x80" * width for _ in range(height)))
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize("which", ["fixture", "real"])
async def test_every_card_is_accepted_by_line(
    channel: LineChannel,
    control: httpx.Client,
    catalogue: Catalogue,
    real_catalogue: Catalogue,
    which: str,
) -> None:
    catalogue = catalogue if which == "fixture" else real_catalogue
    services = {s.id: s for s in catalogue.services}
    messages = [cards.service_message(s) for s in catalogue.services]
    messages += [cards.agency_message(a) for a in catalogue.agencies]
    messages += [cards.category_message(c, c.services) for c in catalogue.by_category()]
    buttons = cards.quick_replies(
        cards.match_buttons(catalogue.search(query="บัตร", limit=5), services),
        cards.category_buttons(catalogue.categories),
    )
    messages += convert.from_rasa([{"text": "เลือกได้เลยค่ะ", "buttons": buttons}])
    for batch in convert.batches(messages):
        result = await channel.push(USER, batch, retry_key=str(uuid.uuid4()))
        assert result.request_id
    calls = [c for c in control.get("/__calls").json() if c["path"] == "/v2/bot/message/push"]
    assert calls and all(c["status"] == 200 for c in calls)


def test_the_menu_definition_covers_the_image_with_four_tiles() -> None:
    menu = richmenu.rich_menu_request().to_dict()
    assert menu["size"] == {"width": 2500, "height": 1686}
    areas = menu["areas"]
    assert sum(a["bounds"]["width"] * a["bounds"]["height"] for a in areas) == 2500 * 1686
    actions = [a["action"] for a in areas]
    assert actions[0] == {
        "type": "postback",
        "label": "แจ้งปัญหา",
        "data": "/report_problem",
        "displayText": "แจ้งปัญหา",
    }
    assert [a.get("data") for a in actions[1:]] == [
        "/check_status",
        "/service_lookup",
        "/request_human",
    ]
    assert all(len(a["label"]) <= 20 for a in actions)
    image = richmenu.menu_image()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", image[16:24]) == (2500, 1686)
    assert len(image) <= 1024 * 1024


async def test_setup_makes_the_menu_the_default(
    channel: LineChannel, control: httpx.Client
) -> None:
    rich_menu_id = await richmenu.setup_rich_menu(channel.api, channel.blob)
    assert (await channel.api.get_default_rich_menu_id()).rich_menu_id == rich_menu_id
    stored = control.get(
        f"/v2/bot/richmenu/{rich_menu_id}/content", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert stored.status_code == 200
    assert stored.content == richmenu.menu_image()
    # Running it again replaces the menu instead of piling up copies.
    second = await richmenu.setup_rich_menu(channel.api, channel.blob)
    listed = (await channel.api.get_rich_menu_list()).richmenus
    assert [m.rich_menu_id for m in listed] == [second]


async def test_a_refused_image_leaves_no_menu_behind(
    channel: LineChannel, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong.png"
    wrong.write_bytes(png(800, 270))  # LINE wants the menu's own size
    monkeypatch.setattr(richmenu, "IMAGE_PATH", wrong)
    with pytest.raises(ApiException) as caught:
        await richmenu.setup_rich_menu(channel.api, channel.blob)
    assert caught.value.status == 400
    assert (await channel.api.get_rich_menu_list()).richmenus == []


def test_the_cli_command_sets_up_the_menu(
    standin_settings: Settings, control: httpx.Client
) -> None:
    env = {
        "LINE_API_BASE": standin_settings.line_api_base,
        "LINE_API_DATA_BASE": standin_settings.line_api_base,
        "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
        "DESK_ENV": "test",
    }
    result = CliRunner().invoke(line_app, ["setup-rich-menu"], env=env)
    assert result.exit_code == 0, result.output
    default = control.get(
        "/v2/bot/user/all/richmenu", headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()["richMenuId"]
    assert default in result.output
    refused = CliRunner().invoke(
        line_app, ["setup-rich-menu"], env={**env, "LINE_CHANNEL_ACCESS_TOKEN": "wrong"}
    )
    assert refused.exit_code == 1
    assert "401" in refused.output
