"""The simulator's HTTP API: validation, relaying to the LINE stand-in, and its failures."""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from bot.config import Settings
from bot.dev.simulator import views
from bot.dev.simulator.schemas import MAX_IMAGE_BYTES, SimulatedSend
from bot.web import views as web_views
from bot.web.areas import static_files

STANDIN = "http://standin.test:8081"
USER = "U" + "0123456789abcdef" * 2
UNSAFE_DOM = re.compile(
    r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|eval\("
)
Handler = Callable[[httpx.Request], httpx.Response]


class StandinCalls:
    """A MockTransport handler recording what reached the stand-in."""

    def __init__(self, answer: Handler) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answer(request)


def make_app(*, base: str = STANDIN, http: httpx.AsyncClient | None = None) -> FastAPI:
    """The simulator router and the static files' route as a development gateway has them,
    with the state the gateway's lifespan would set."""
    app = FastAPI()
    app.include_router(views.router)
    app.include_router(web_views.static_router(development=True))
    app.state.context = SimpleNamespace(settings=Settings(line_api_base=base))
    if http is not None:
        app.state.gateway = SimpleNamespace(http=http)
    return app


async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://desk.test") as client:
        yield client


@pytest.fixture
def standin() -> StandinCalls:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/__send":
            sent = json.loads(request.content)
            body = {"destination": "U" + "f" * 32, "events": [{"type": sent["event"]}]}
            return httpx.Response(200, json={"webhook_status": 200, "body": body})
        if request.url.path == "/__messages":
            message = {"type": "text", "text": "สวัสดีค่ะ"}
            return httpx.Response(
                200, json=[{"time": "2025-01-01T00:00:00.000Z", "via": "reply", "message": message}]
            )
        return httpx.Response(404)

    return StandinCalls(answer)


@pytest.fixture
async def api(standin: StandinCalls) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(standin)) as http:
        async for client in client_for(make_app(http=http)):
            yield client


def text(value: str, **extra: Any) -> dict[str, Any]:
    return {
        "userId": USER,
        "displayName": "สมชาย ใจดี",
        "event": "message",
        "message": {"type": "text", "text": value},
        **extra,
    }


async def test_page_is_thai_with_test_ids_and_a_strict_csp(api: httpx.AsyncClient) -> None:
    page = await api.get("/simulator")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="th">' in page.text
    for testid in (
        "message-input",
        "send-button",
        "add-user",
        "location-button",
        "photo-input",
        "quick-replies",
        "error-banner",
    ):
        assert f'data-testid="{testid}"' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    # Nothing from a CDN: every script and style comes from this router.
    assert not re.search(r'(src|href)="(https?:)?//', page.text)


SIMULATOR_FILES = sorted(n for a, n in static_files(development=True) if a == "simulator")


def test_every_module_the_page_imports_is_a_static_file() -> None:
    folder = Path(views.__file__).parent / "static"
    assert "app.js" in SIMULATOR_FILES and "simulator.css" in SIMULATOR_FILES
    for name in SIMULATOR_FILES:
        for imported in re.findall(r'from "\./([^"]+)"', (folder / name).read_text()):
            assert imported in SIMULATOR_FILES, (name, imported)


@pytest.mark.parametrize("name", SIMULATOR_FILES)
async def test_static_files_are_served(api: httpx.AsyncClient, name: str) -> None:
    got = await api.get(f"/static/simulator/{name}")
    assert got.status_code == 200
    kind = "text/css" if name.endswith(".css") else "text/javascript"
    assert got.headers["content-type"] == f"{kind}; charset=utf-8"
    # Message content must go in through safe DOM APIs, never parsed as HTML.
    assert not UNSAFE_DOM.search(got.text)


@pytest.mark.parametrize("name", ["views.py", "..%2Fviews.py", "%2E%2E%2Fschemas.py", "nope.js"])
async def test_other_files_are_not_served(api: httpx.AsyncClient, name: str) -> None:
    assert (await api.get(f"/static/simulator/{name}")).status_code == 404
    assert (await api.get(f"/simulator/static/{name}")).status_code == 404


async def test_the_page_links_its_own_files(api: httpx.AsyncClient) -> None:
    page = (await api.get("/simulator")).text
    assert page.startswith('<!doctype html>\n<html lang="th">')  # the base layout
    assets = re.findall(r'(?:src|href)="(/static/[^"]*)"', page)
    assert assets == [
        "/static/web/flex.css",  # the Flex renderer's, shared with the catalogue editor
        "/static/simulator/simulator.css",
        "/static/simulator/app.js",
    ]


async def test_send_forwards_to_the_standin_and_relays_its_answer(
    api: httpx.AsyncClient, standin: StandinCalls
) -> None:
    got = await api.post("/simulator/api/send", json=text("ถนนเป็นหลุม"))
    assert got.status_code == 200
    assert got.json() == {
        "webhook_status": 200,
        "body": {"destination": "U" + "f" * 32, "events": [{"type": "message"}]},
    }
    (forwarded,) = standin.requests
    assert str(forwarded.url) == f"{STANDIN}/__send"
    assert json.loads(forwarded.content) == text("ถนนเป็นหลุม")


@pytest.mark.parametrize(
    "payload",
    [
        {"userId": USER, "event": "follow"},
        {
            "userId": USER,
            "event": "postback",
            "postbackData": "action=help",
            "postbackParams": {"date": "2025-01-31"},
        },
        text("x" * 5000),
        {
            "userId": USER,
            "event": "message",
            "message": {"type": "sticker", "packageId": "446", "stickerId": "1988"},
        },
        {
            "userId": USER,
            "event": "message",
            "message": {
                "type": "location",
                "title": "อนุสาวรีย์ชัยสมรภูมิ",
                "address": "ราชเทวี",
                "latitude": 13.7649,
                "longitude": 100.5383,
            },
        },
        {
            "userId": USER,
            "event": "message",
            "message": {
                "type": "image",
                "contentBase64": base64.b64encode(b"\x89PNG").decode(),
                "contentType": "image/png",
            },
        },
    ],
)
async def test_every_kind_of_event_is_forwarded_unchanged(
    api: httpx.AsyncClient, standin: StandinCalls, payload: dict[str, Any]
) -> None:
    got = await api.post("/simulator/api/send", json=payload)
    assert got.status_code == 200, got.text
    assert json.loads(standin.requests[0].content) == payload


@pytest.mark.parametrize(
    ("why", "payload"),
    [
        ("upper-case hex", text("hi", userId="U" + "0123456789ABCDEF" * 2)),
        ("short id", text("hi", userId="U1234")),
        ("not a user", text("hi", userId="C" + "0" * 32)),
        ("empty text", text("")),
        ("text too long", text("x" * 5001)),
        ("name too long", text("hi", displayName="ก" * 21)),
        (
            "message without event message",
            {"userId": USER, "event": "follow", "message": {"type": "text", "text": "hi"}},
        ),
        ("event message without message", {"userId": USER, "event": "message"}),
        ("postback without data", {"userId": USER, "event": "postback"}),
        ("unknown event", {"userId": USER, "event": "join"}),
        (
            "unknown message type",
            {"userId": USER, "event": "message", "message": {"type": "video"}},
        ),
        ("extra field", text("hi", replyToken="x")),
        (
            "latitude out of range",
            {
                "userId": USER,
                "event": "message",
                "message": {"type": "location", "latitude": 91, "longitude": 100},
            },
        ),
        (
            "not base64",
            {
                "userId": USER,
                "event": "message",
                "message": {
                    "type": "image",
                    "contentBase64": "not base64!",
                    "contentType": "image/jpeg",
                },
            },
        ),
        (
            "not an image type",
            {
                "userId": USER,
                "event": "message",
                "message": {"type": "image", "contentBase64": "AAAA", "contentType": "text/html"},
            },
        ),
    ],
)
async def test_invalid_sends_are_refused_before_the_standin(
    api: httpx.AsyncClient, standin: StandinCalls, why: str, payload: dict[str, Any]
) -> None:
    got = await api.post("/simulator/api/send", json=payload)
    assert got.status_code == 422, why
    assert standin.requests == []


def image(size: int) -> dict[str, Any]:
    content = base64.b64encode(b"\xff" * size).decode()
    return {
        "userId": USER,
        "event": "message",
        "message": {"type": "image", "contentBase64": content},
    }


def test_an_image_of_exactly_10_mb_is_accepted() -> None:
    SimulatedSend.model_validate(image(MAX_IMAGE_BYTES))


def test_an_image_over_10_mb_is_refused() -> None:
    with pytest.raises(ValidationError, match="larger than 10 MB"):
        SimulatedSend.model_validate(image(MAX_IMAGE_BYTES + 1))


async def test_an_oversized_image_gets_422_over_http(
    api: httpx.AsyncClient, standin: StandinCalls
) -> None:
    got = await api.post("/simulator/api/send", json=image(MAX_IMAGE_BYTES + 1))
    assert got.status_code == 422
    assert standin.requests == []


async def test_messages_are_relayed_for_one_user(
    api: httpx.AsyncClient, standin: StandinCalls
) -> None:
    got = await api.get("/simulator/api/messages", params={"userId": USER})
    assert got.status_code == 200
    assert got.json()[0]["message"] == {"type": "text", "text": "สวัสดีค่ะ"}
    (forwarded,) = standin.requests
    assert forwarded.url.path == "/__messages"
    assert forwarded.url.params["userId"] == USER


async def test_messages_wrapped_in_an_object_are_unwrapped() -> None:
    delivered = [{"time": "2025-01-01T00:00:00Z", "via": "push", "message": {"type": "text"}}]

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"messages": delivered})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async for client in client_for(make_app(http=http)):
            got = await client.get("/simulator/api/messages", params={"userId": USER})
    assert got.json() == delivered


@pytest.mark.parametrize("user_id", ["", "U123", "u" + "0" * 32, USER + "0"])
async def test_messages_need_a_user_id(
    api: httpx.AsyncClient, standin: StandinCalls, user_id: str
) -> None:
    got = await api.get("/simulator/api/messages", params={"userId": user_id})
    assert got.status_code == 422
    assert standin.requests == []


def closed_port_url() -> str:
    """The address of a port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/simulator/api/send", text("สวัสดี")),
        ("GET", f"/simulator/api/messages?userId={USER}", None),
    ],
)
async def test_unreachable_standin_is_a_thai_502(
    method: str, path: str, body: dict[str, Any] | None
) -> None:
    # No gateway client: the router makes its own client, and the port refuses it.
    base = closed_port_url()
    async for client in client_for(make_app(base=base)):
        got = await client.request(method, path, json=body)
    assert got.status_code == 502
    detail = got.json()["detail"]
    assert base in detail and "ติดต่อ LINE stand-in" in detail


@pytest.mark.parametrize(
    ("standin_status", "expected"), [(500, 502), (503, 502), (400, 400), (404, 404)]
)
async def test_standin_errors_are_reported(standin_status: int, expected: int) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(standin_status, json={"message": "nope"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async for client in client_for(make_app(http=http)):
            got = await client.post("/simulator/api/send", json=text("hi"))
    assert got.status_code == expected
    assert str(standin_status) in got.json()["detail"]


async def test_a_standin_answer_that_is_not_json_is_a_502() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>proxy error</html>")

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async for client in client_for(make_app(http=http)):
            sent = await client.post("/simulator/api/send", json=text("hi"))
            read = await client.get("/simulator/api/messages", params={"userId": USER})
    assert (sent.status_code, read.status_code) == (502, 502)


async def test_webhook_failures_are_relayed_for_the_page_to_show(standin: StandinCalls) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"webhook_status": 500, "body": {"events": []}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        async for client in client_for(make_app(http=http)):
            got = await client.post("/simulator/api/send", json=text("hi"))
    assert got.status_code == 200
    assert got.json()["webhook_status"] == 500


async def test_nothing_is_served_in_production(standin: StandinCalls) -> None:
    app = make_app()
    app.state.context = SimpleNamespace(
        settings=Settings(
            desk_env="production",
            line_channel_secret="0f9c2d4e6a8b1c3d5e7f9a0b2c4d6e8f",
            line_channel_access_token="Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8=",
            rasa_token="6b1f0c9e2d8a4f7b3c5e1a9d0f2b4c6e",
            session_secret="9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
            redis_url="redis://127.0.0.1:6379/0",
            line_api_base="https://api.line.me",
        )
    )
    async for client in client_for(app):
        page = await client.get("/simulator")
        sent = await client.post("/simulator/api/send", json=text("hi"))
    assert (page.status_code, sent.status_code) == (404, 404)
    # Nor its files, by the static route of a production gateway (tests/bot/test_web.py).
