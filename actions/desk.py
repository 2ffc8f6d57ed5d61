"""What the action server shares with the gateway: settings, database, routing, queue.

Built once per action-server process, on first use (not at import), so importing the
actions package stays cheap and tests can build their own.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, get_settings
from bot.db import make_engine, make_sessionmaker, unit_of_work
from bot.handoff import live
from bot.queue import EventQueue
from bot.tickets.calendar import BusinessCalendar, OfficeHours
from bot.tickets.routing import Router
from bot.tickets.service import Notice

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class Desk:
    """The action server's long-lived clients."""

    settings: Settings

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        """Session factory on the desk's database."""
        return make_sessionmaker(make_engine(self.settings.database_url))

    @cached_property
    def router(self) -> Router:
        """Complaint routing (data/routing.yml)."""
        return Router.load()

    @cached_property
    def calendar(self) -> BusinessCalendar:
        """Business days and Thai public holidays (data/holidays.yml)."""
        return BusinessCalendar.load()

    @cached_property
    def places(self) -> Any:
        """The province/district gazetteer matcher (for typed and LINE addresses)."""
        from nlu.entities.places import PlaceMatcher
        from nlu.geo import load_gazetteer

        return PlaceMatcher(load_gazetteer())

    @cached_property
    def office_hours(self) -> OfficeHours:
        """When call-centre staff answer chats (business days, Bangkok time)."""
        return OfficeHours(self.settings.office_open, self.settings.office_close, self.calendar)

    async def publish_console(self, queue: str, event: dict[str, Any]) -> None:
        """A live update for the consoles watching `queue` (lost updates are caught up)."""
        redis = Redis.from_url(self.settings.redis_url)
        try:
            await live.publish(redis, self.settings.redis_prefix, queue, event)
        finally:
            await redis.aclose()

    async def run(self, work: Callable[[Session], T]) -> T:
        """Runs `work` in one transaction, off the event loop."""

        def call() -> T:
            with unit_of_work(self.sessions) as session:
                return work(session)

        return await asyncio.to_thread(call)

    async def announce(self, notices: list[Notice]) -> None:
        """Puts committed outbox rows on the queue; the worker's sweeper covers a failure."""
        if not notices:
            return
        redis = Redis.from_url(self.settings.redis_url)
        try:
            queue = EventQueue(
                redis, prefix=self.settings.redis_prefix, partitions=self.settings.queue_partitions
            )
            await queue.publish_outbox([(n.line_user_id, n.outbound_id) for n in notices])
        except RedisError as error:
            logger.warning("notices not queued (%s); the sweeper will", type(error).__name__)
        finally:
            await redis.aclose()


_desk: Desk | None = None
_lock = threading.Lock()


def shared_desk() -> Desk:
    """The process's Desk, built on first use."""
    global _desk
    with _lock:
        if _desk is None:
            _desk = Desk(get_settings())
        return _desk
