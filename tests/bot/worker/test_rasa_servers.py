"""The worker's Rasa client over several servers: turns spread in turn, fail-over from a
server that is down or failing, and a short circuit breaker.

Rasa's desk channel is played by small apps (a real Rasa cannot be made to fail on
demand); the real servers' fail-over is tested end to end in tests/bot/test_scaling.py.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bot.config import Settings
from bot.worker.rasa import RasaClient, RasaUnavailable
from tests.support.stack import Served, free_port


def fake_rasa(name: str, seen: list[str], *, status: int = 200, delay_s: float = 0) -> FastAPI:
    """A desk channel that notes who got each message and answers with `status`."""
    app = FastAPI()

    @app.post("/webhooks/desk/webhook")
    async def webhook(request: Request) -> Any:
        body = await request.json()
        seen.append(f"{name}:{body['message']}")
        await asyncio.sleep(delay_s)
        if status != 200:
            return JSONResponse({"error": "handling_failed", "detail": "LockError"}, status)
        return [{"recipient_id": body["sender"], "text": f"{name} ตอบค่ะ"}]

    @app.get("/status")
    async def ready() -> dict[str, str]:
        return {"model_file": "desk.tar.gz"}

    return app


@pytest.fixture
def seen() -> list[str]:
    return []


@pytest.fixture
def two(seen: list[str]) -> Iterator[list[str]]:
    """Two healthy servers' URLs."""
    with Served(fake_rasa("a", seen)) as a, Served(fake_rasa("b", seen)) as b:
        yield [a.base_url, b.base_url]


def client(urls: list[str], timeout_s: float = 5.0, open_s: float = 5.0) -> RasaClient:
    return RasaClient(base_urls=urls, token="t", timeout_s=timeout_s, open_s=open_s)


async def say(rasa: RasaClient, texts: list[str]) -> list[str]:
    answers = []
    for text in texts:
        turn = await rasa.send(sender="Ucitizen", text=text, metadata={})
        answers.append(turn.messages[0]["text"])
    return answers


def test_rasa_urls_lists_the_servers_and_rasa_url_is_the_first() -> None:
    settings = Settings(rasa_urls="http://r1:5005/, http://r2:5005")
    assert settings.rasa_servers() == ["http://r1:5005", "http://r2:5005"]
    assert settings.rasa_url == "http://r1:5005"
    assert Settings(rasa_url="http://solo:5005").rasa_servers() == ["http://solo:5005"]


async def test_turns_are_spread_over_the_servers_in_turn(two: list[str], seen: list[str]) -> None:
    rasa = client(two)
    await say(rasa, ["1", "2", "3", "4"])
    await rasa.close()
    assert sorted(s.split(":")[0] for s in seen) == ["a", "a", "b", "b"]


@contextmanager
def dropping() -> Iterator[tuple[str, list[int]]]:
    """A server that is going down: it accepts connections and drops them unanswered.
    Its URL, and a list that grows by one for each connection it dropped."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    dropped: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            dropped.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", dropped
    finally:
        stop.set()
        thread.join(5)
        listener.close()


async def test_a_server_that_is_down_is_passed_over_and_skipped_for_a_while(
    two: list[str], seen: list[str]
) -> None:
    with dropping() as (down, dropped):
        rasa = client([down, *two])
        answers = await say(rasa, [str(n) for n in range(6)])
        ok, detail = await rasa.ready()
        await rasa.close()
    assert len(answers) == 6  # nothing lost
    assert len(seen) == 6  # and the live servers took each message once
    # Its turn came twice in six messages; after the first failure it was skipped.
    assert len(dropped) == 1 + 1  # the first message's try, and the readiness check
    assert ok and [s["ok"] for s in detail["servers"]] == [False, True, True]


async def test_a_failing_server_hands_the_message_to_the_next(seen: list[str]) -> None:
    with (
        Served(fake_rasa("broken", seen, status=503)) as broken,
        Served(fake_rasa("good", seen)) as good,
    ):
        rasa = client([broken.base_url, good.base_url])
        answers = await say(rasa, ["1", "2"])
        await rasa.close()
    assert answers == ["good ตอบค่ะ", "good ตอบค่ะ"]
    assert seen.count("good:1") == 1 and seen.count("good:2") == 1


async def test_when_every_server_is_down_the_message_is_kept_for_a_retry() -> None:
    rasa = client([f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"])
    with pytest.raises(RasaUnavailable) as error:
        await rasa.send(sender="Ucitizen", text="สวัสดี", metadata={})
    assert error.value.reason == "unreachable"
    assert not (await rasa.ready())[0]
    await rasa.close()


async def test_a_busy_server_is_not_asked_twice_for_one_turn(seen: list[str]) -> None:
    """A timeout is no fail-over: the turn is under way there, and another server would
    only wait on the conversation's lock (the queue's retry is answered once)."""
    with (
        Served(fake_rasa("slow", seen, delay_s=1.0)) as slow,
        Served(fake_rasa("fast", seen)) as fast,
    ):
        rasa = client([slow.base_url, fast.base_url], timeout_s=0.2)
        with pytest.raises(RasaUnavailable) as error:
            await rasa.send(sender="Ucitizen", text="1", metadata={})
        await rasa.close()
    assert error.value.reason == "timeout"
    assert seen == ["slow:1"]
