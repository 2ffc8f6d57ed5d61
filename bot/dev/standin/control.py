"""The stand-in's own endpoints (`/__...`): simulated users, recordings, faults, reset.

These are not LINE's: they let the simulator page and tests play the LINE platform and
look at what the bot did. They need no token and are not recorded as API calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, HTTPException, Query, Request, Response

from bot.dev.standin import webhooks
from bot.dev.standin.deps import SettingsDep, StateDep
from bot.dev.standin.schemas import USER_ID_PATTERN, FaultRequest, RedeliverRequest, SendRequest

router = APIRouter(tags=["stand-in control"])


def _webhook_client(request: Request) -> httpx.AsyncClient:
    client: httpx.AsyncClient = request.app.state.webhook_client
    return client


def _webhook_url(request: Request) -> str:
    """Where this webhook goes: the gateways of STANDIN_WEBHOOK_URL in turn (several,
    comma separated, as LINE's platform posts to a load balancer's replicas)."""
    urls: Iterator[str] = request.app.state.webhook_urls
    return next(urls)


@router.get("/__health")
def health() -> dict[str, Any]:
    """Liveness for process managers and test fixtures."""
    return {"ok": True}


@router.get("/__calls")
async def list_calls(
    state: StateDep,
    path: str | None = None,
    at_least: Annotated[int, Query(ge=0)] = 0,
    wait: Annotated[float, Query(ge=0, le=60)] = 0,
) -> list[dict[str, Any]]:
    """Every Messaging API call in arrival order; `path` keeps those starting with it.

    With `wait`, answers once at least `at_least` such calls are recorded (or after `wait`
    seconds, with what there is): a client waits for the bot's reply without polling.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while True:
        found = state.calls(path)
        left = deadline - loop.time()
        if len(found) >= at_least or left <= 0:
            return found
        await state.next_call(left)


@router.delete("/__calls", status_code=204)
def clear_calls(state: StateDep) -> Response:
    """Forget recorded calls."""
    state.clear_calls()
    return Response(status_code=204)


@router.post("/__send")
async def send(
    payload: SendRequest, request: Request, state: StateDep, settings: SettingsDep
) -> dict[str, Any]:
    """A simulated user acts: build the webhook event, sign it and post it to the bot."""
    event = webhooks.user_event(state, payload)
    state.remember_event(event)
    body, status = await webhooks.post(
        _webhook_client(request),
        url=_webhook_url(request),
        channel_secret=settings.line_channel_secret,
        events=[event],
    )
    return {"webhook_status": status, "body": body}


@router.post("/__redeliver")
async def redeliver(
    payload: RedeliverRequest, request: Request, state: StateDep, settings: SettingsDep
) -> dict[str, Any]:
    """Send a previous webhook event again, as LINE's webhook redelivery does."""
    event = state.event(payload.webhookEventId)
    if event is None:
        raise HTTPException(404, f"no webhook event {payload.webhookEventId}")
    event["deliveryContext"] = {"isRedelivery": True}
    body, status = await webhooks.post(
        _webhook_client(request),
        url=_webhook_url(request),
        channel_secret=settings.line_channel_secret,
        events=[event],
    )
    return {"webhook_status": status, "body": body}


@router.get("/__messages")
def list_messages(
    state: StateDep,
    user_id: Annotated[str | None, Query(alias="userId", pattern=USER_ID_PATTERN)] = None,
) -> list[dict[str, Any]]:
    """Messages the bot delivered (reply, push, multicast), optionally to one user."""
    return state.deliveries(user_id)


@router.delete("/__messages", status_code=204)
def clear_messages(state: StateDep) -> Response:
    """Forget delivered messages."""
    state.clear_deliveries()
    return Response(status_code=204)


@router.get("/__faults")
def list_faults(state: StateDep) -> list[dict[str, Any]]:
    """Pending injected faults."""
    return state.faults()


@router.post("/__faults")
def add_fault(payload: FaultRequest, state: StateDep) -> dict[str, Any]:
    """Make the next `count` calls to `path` answer `status` (429 and 5xx worded as LINE's)."""
    state.add_fault(payload.path, payload.status, payload.count, payload.hold_s)
    return payload.model_dump()


@router.delete("/__faults", status_code=204)
def clear_faults(state: StateDep) -> Response:
    """Drop every pending fault."""
    state.clear_faults()
    return Response(status_code=204)


@router.delete("/__state", status_code=204)
def reset(state: StateDep) -> Response:
    """Forget everything: calls, messages, users, tokens, content, rich menus, faults."""
    state.reset()
    return Response(status_code=204)
