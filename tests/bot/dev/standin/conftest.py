"""Fixtures: the stand-in and a webhook receiver, each served by uvicorn on a free port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from linebot.v3.messaging import AsyncApiClient, AsyncMessagingApi, Configuration

from bot.config import Settings
from bot.dev.standin import create_app
from tests.bot.dev.standin.standin_support import TOKEN, FakeClock, Receiver, Standin, make_settings
from tests.support.stack import Served


@pytest.fixture(scope="session")
def receiver() -> Iterator[tuple[Receiver, str]]:
    """The webhook receiver, served once per session."""
    found = Receiver()
    with Served(found.app()) as served:
        yield found, f"{served.base_url}/line/webhook"


@pytest.fixture(scope="session")
def _served_standin(
    receiver: tuple[Receiver, str],
) -> Iterator[tuple[str, FakeClock, Settings]]:
    clock = FakeClock()
    settings = make_settings(standin_webhook_url=receiver[1])
    with Served(create_app(settings, clock=clock)) as served:
        yield served.base_url, clock, settings


@pytest.fixture
def standin(
    _served_standin: tuple[str, FakeClock, Settings], receiver: tuple[Receiver, str]
) -> Iterator[Standin]:
    """The session's stand-in, reset for this test."""
    base_url, clock, settings = _served_standin
    clock.offset = 0.0
    receiver[0].posts.clear()
    receiver[0].status = 200
    with httpx.Client(base_url=base_url, timeout=10) as http:
        assert http.delete("/__state").status_code == 204
        yield Standin(base_url, clock, receiver[0], settings, http)


@pytest.fixture
def api(standin: Standin) -> Iterator[httpx.Client]:
    """Raw HTTP to the Messaging API paths, with the right token."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=standin.base_url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture
async def line_api(standin: Standin) -> AsyncIterator[AsyncMessagingApi]:
    """The official SDK's async client, pointed at the stand-in."""
    configuration = Configuration(host=standin.base_url, access_token=TOKEN)
    async with AsyncApiClient(configuration) as client:
        yield AsyncMessagingApi(client)
