"""FastAPI dependencies: the process's context (bot.context) and what it holds, per request.

Every route takes what it needs from here; none reads `app.state`. The context is built
once in the lifespan (bot.main). Its type is imported for type checkers only: the
domains' views depend on this module, and the context loads the domains' data, so a
runtime import would tie every domain to every other.

The dependencies are coroutines: FastAPI runs a plain function dependency in its thread
pool, two thread hand-offs per request for an attribute lookup (measured on the webhook
under load).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from bot.catalogue.service import Catalogue
    from bot.config import Settings
    from bot.context import Context, Gateway
    from bot.line.intake import EventIntake
    from bot.tickets.routing import Router


def context_of(request: Request) -> Context:
    """The process's context (for helpers that are handed the request)."""
    context: Context = request.app.state.context
    return context


async def get_context(request: Request) -> Context:
    """The process's context."""
    return context_of(request)


async def get_settings(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.context.settings
    return settings


async def get_redis(request: Request) -> Redis:
    """The app's Redis client."""
    redis: Redis = request.app.state.context.redis
    return redis


async def get_router(request: Request) -> Router:
    """Complaint routing and the agencies."""
    router: Router = request.app.state.context.router
    return router


async def get_catalogue(request: Request) -> Catalogue:
    """The service catalogue and its search index."""
    catalogue: Catalogue = request.app.state.context.catalogue
    return catalogue


async def get_gateway(request: Request) -> Gateway:
    """The gateway's own parts (intake, Rasa and HTTP clients, queue gauges)."""
    gateway: Gateway = request.app.state.gateway
    return gateway


async def get_intake(request: Request) -> EventIntake:
    """The webhook event intake."""
    intake: EventIntake = request.app.state.gateway.intake
    return intake


ContextDep = Annotated["Context", Depends(get_context)]
SettingsDep = Annotated["Settings", Depends(get_settings)]
RedisDep = Annotated["Redis", Depends(get_redis)]
RouterDep = Annotated["Router", Depends(get_router)]
CatalogueDep = Annotated["Catalogue", Depends(get_catalogue)]
GatewayDep = Annotated["Gateway", Depends(get_gateway)]
IntakeDep = Annotated["EventIntake", Depends(get_intake)]
