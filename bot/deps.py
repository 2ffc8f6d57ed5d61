"""FastAPI dependencies: the long-lived clients made in the lifespan, per request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from redis.asyncio import Redis
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.line.intake import EventIntake
from bot.queue import EventQueue


def get_settings_dep(request: Request) -> Settings:
    """The app's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_sessionmaker(request: Request) -> sessionmaker[Session]:
    """The app's session factory."""
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def get_session(request: Request) -> Iterator[Session]:
    """A session whose transaction the endpoint commits (or that rolls back)."""
    with request.app.state.sessions() as session:
        yield session


def get_redis(request: Request) -> Redis:
    """The app's Redis client."""
    redis: Redis = request.app.state.redis
    return redis


def get_queue(request: Request) -> EventQueue:
    """The event queue."""
    queue: EventQueue = request.app.state.queue
    return queue


def get_intake(request: Request) -> EventIntake:
    """The webhook event intake."""
    intake: EventIntake = request.app.state.intake
    return intake


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[Session, Depends(get_session)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_sessionmaker)]
RedisDep = Annotated[Redis, Depends(get_redis)]
QueueDep = Annotated[EventQueue, Depends(get_queue)]
IntakeDep = Annotated[EventIntake, Depends(get_intake)]
