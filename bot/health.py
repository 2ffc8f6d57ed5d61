"""GET /healthz (ready only when every part is) and GET /metrics."""

from __future__ import annotations

import asyncio
import hmac
import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import httpx
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import metrics
from bot.deadletters import service as dead_letters
from bot.deps import ContextDep, GatewayDep
from bot.worker.runner import heartbeat_key

if TYPE_CHECKING:
    from bot.context import Context, Gateway

router = APIRouter(tags=["operations"])


def _database_ok(context: Context) -> dict[str, Any]:
    try:
        with context.sessions() as session:
            session.execute(text("SELECT 1"))
        return {"ok": True}
    except SQLAlchemyError as error:
        return {"ok": False, "error": type(error).__name__}


async def _gateway(context: Context) -> dict[str, Any]:
    database = await asyncio.to_thread(_database_ok, context)
    try:
        await context.redis.ping()
        redis: dict[str, Any] = {"ok": True}
    except RedisError as error:
        redis = {"ok": False, "error": type(error).__name__}
    return {"ok": database["ok"] and redis["ok"], "database": database, "redis": redis}


async def _worker(context: Context) -> dict[str, Any]:
    settings = context.settings
    try:
        beats = await context.redis.zrangebyscore(
            heartbeat_key(settings.redis_prefix),
            time.time() - 3 * settings.worker_heartbeat_s,
            "+inf",
        )
        depth = await context.queue.depth()
    except RedisError as error:
        return {"ok": False, "error": type(error).__name__}
    return {
        "ok": bool(beats),
        "workers": len(beats),
        "queue_depth": depth.waiting,
        "queue_oldest_age_s": round(depth.oldest_age_s, 3),
    }


async def _rasa(gateway: Gateway) -> dict[str, Any]:
    ok, detail = await gateway.rasa.ready()
    return {"ok": ok, **detail}


async def _action_server(context: Context, gateway: Gateway) -> dict[str, Any]:
    url = context.settings.action_server_url.rsplit("/webhook", 1)[0] + "/health"
    try:
        response = await gateway.http.get(url, timeout=2.0)
    except httpx.HTTPError as error:
        return {"ok": False, "error": type(error).__name__}
    return {"ok": response.status_code == 200}


def _dead_letters(context: Context) -> int:
    with context.sessions() as session:
        return dead_letters.count(session)


def _catalogue(context: Context) -> dict[str, int]:
    from bot.catalogue import cards, store

    with context.sessions() as session:
        return store.review_counts(session, today=cards.bangkok_today())


@router.get("/livez", summary="The gateway process is up")
async def livez() -> dict[str, str]:
    """Liveness only: 200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/healthz", summary="Readiness of gateway, worker, Rasa and action server")
async def healthz(context: ContextDep, parts: GatewayDep) -> JSONResponse:
    """200 when every part is ready, else 503; each part's state in the body."""
    gateway, worker, rasa, actions = await asyncio.gather(
        _gateway(context), _worker(context), _rasa(parts), _action_server(context, parts)
    )
    components = {"gateway": gateway, "worker": worker, "rasa": rasa, "action_server": actions}
    ok = all(part["ok"] for part in components.values())
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "components": components},
        status_code=200 if ok else 503,
    )


class Part(StrEnum):
    """A part of /healthz, as a Kubernetes readiness probe names it."""

    GATEWAY = "gateway"
    WORKER = "worker"
    RASA = "rasa"
    ACTION_SERVER = "action_server"


# For Kubernetes' readiness probes (deploy/), not an API: out of the API description.
@router.get("/readyz/{part}", include_in_schema=False)
async def readyz(part: Part, context: ContextDep, parts: GatewayDep) -> JSONResponse:
    """200 when this part is ready, else 503, with its state (deploy/: readiness probes).

    The gateway's own readiness is its database's: it stores and acknowledges webhooks
    while Redis is down (the worker's sweeper queues them later), so a Redis outage must
    not take every gateway out of the load balancer.
    """
    checks = {
        Part.GATEWAY: lambda: _gateway(context),
        Part.WORKER: lambda: _worker(context),
        Part.RASA: lambda: _rasa(parts),
        Part.ACTION_SERVER: lambda: _action_server(context, parts),
    }
    state = await checks[part]()
    ok = state["database"]["ok"] if part is Part.GATEWAY else state["ok"]
    return JSONResponse({"part": part.value, **state}, status_code=200 if ok else 503)


@router.get("/metrics", summary="Prometheus metrics")
async def prometheus(request: Request, context: ContextDep, parts: GatewayDep) -> Response:
    """Prometheus exposition of every desk process, queue depth and age included.

    In production only for the bearer of METRICS_TOKEN (Prometheus' `authorization`).
    """
    settings = context.settings
    if settings.desk_env == "production":
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        token = settings.metrics_token
        if not (token and hmac.compare_digest(given.encode(), token.encode())):
            return Response(status_code=401, headers={"WWW-Authenticate": "Bearer"})
    collector = parts.queue_collector
    try:
        collector.depth = await context.queue.depth()
    except RedisError:
        pass  # the gauges keep their last value; desk_* counters still report
    try:
        collector.dead_letters = await asyncio.to_thread(_dead_letters, context)
        collector.catalogue = await asyncio.to_thread(_catalogue, context)
    except SQLAlchemyError:
        pass
    data, content_type = metrics.render(
        collector, multiproc=bool(settings.prometheus_multiproc_dir)
    )
    return Response(content=data, media_type=content_type)
