"""FastAPI dependencies: the long-lived clients made in the lifespan, per request.

The ones that only read `app.state` are coroutines: FastAPI runs a plain function
dependency in its thread pool, two thread hand-offs per request for a dictionary lookup
(measured on the webhook under load).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.line.intake import EventIntake
from bot.queue import EventQueue


async def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    """The app's session factory."""
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction the endpoint commits (or that rolls back)."""
    with request.app.state.sessions() as session:
        yield session


async def get_redis(request: Request) -> Redis:
    """The app's Redis client."""
    redis: Redis = request.app.state.redis
    return redis


async def get_queue(request: Request) -> EventQueue:
    """The event queue."""
    queue: EventQueue = request.app.state.queue
    return queue


async def get_intake(request: Request) -> EventIntake:
    """The webhook event intake."""
    intake: EventIntake = request.app.state.intake
    return intake


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_sessionmaker)]
RedisDep = Annotated[Redis, Depends(get_redis)]
QueueDep = Annotated[EventQueue, Depends(get_queue)]
IntakeDep = Annotated[EventIntake, Depends(get_intake)]
