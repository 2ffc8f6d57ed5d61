"""One context per process: the long-lived parts every request or action works with.

The gateway builds it in its lifespan (bot.main) and hands it to routes through the typed
dependencies of bot.deps; the action server builds one on first use (actions.desk). It
owns the one way a change is made: `transaction(work)` runs `work(session)` in one
database transaction off the event loop and, only once that has committed, announces
what the work asked for with `queue.after_commit` (stored events to handle),
`outbox.after_commit` (messages to citizens) and `live.after_commit` (console
updates). No caller publishes by hand, and nothing is published for a change that
rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from fastapi.concurrency import run_in_threadpool
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session, sessionmaker

from bot import queue, redis_client
from bot.config import Settings
from bot.db import make_engine, make_sessionmaker
from bot.queue import EventQueue

if TYPE_CHECKING:  # built on first use: importing the context loads no domain
    import httpx

    from bot.catalogue.service import Catalogue
    from bot.line.intake import EventIntake
    from bot.line.outbox import Notice
    from bot.metrics import QueueCollector
    from bot.tickets.calendar import BusinessCalendar, OfficeHours
    from bot.tickets.routing import Router
    from bot.worker.rasa import RasaClient

T = TypeVar("T")
Update = tuple[str, dict[str, Any]]
logger = logging.getLogger(__name__)

# A stalled Redis must not hold webhook answers past LINE's timeout or hang /healthz:
# events are stored first, and the sweeper enqueues what a timeout misses.
REDIS_TIMEOUT_S = 2.0


class Context:
    """Settings, database, Redis and queue, and the data every domain reads (routing,
    calendar, office hours, catalogue, gazetteer), each built once."""

    def __init__(
        self,
        settings: Settings,
        *,
        sessions: sessionmaker[Session] | None = None,
        redis: Redis | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions or make_sessionmaker(
            make_engine(
                settings.database_url,
                pool_size=settings.db_pool_size,
                max_overflow=settings.db_max_overflow,
            )
        )
        if redis is not None:
            self.redis = redis

    @cached_property
    def redis(self) -> Redis:
        """The Redis client (made on first use: it connects only when used)."""
        return redis_client.connect(
            self.settings,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
        )

    @cached_property
    def queue(self) -> EventQueue:
        """The event queue (partitioned Redis streams)."""
        return EventQueue(
            self.redis,
            prefix=self.settings.redis_prefix,
            partitions=self.settings.queue_partitions,
        )

    # Data every domain reads, loaded once ------------------------------------------------

    @cached_property
    def router(self) -> Router:
        """Complaint routing and the agencies (data/routing.yml, data/agencies.yml)."""
        from bot.tickets.routing import Router

        return Router.load()

    @cached_property
    def calendar(self) -> BusinessCalendar:
        """Business days and Thai public holidays (data/holidays.yml)."""
        from bot.tickets.calendar import BusinessCalendar

        return BusinessCalendar.load()

    @cached_property
    def office_hours(self) -> OfficeHours:
        """When call-centre staff answer chats (business days, Bangkok time)."""
        from bot.tickets.calendar import OfficeHours

        return OfficeHours(self.settings.office_open, self.settings.office_close, self.calendar)

    @property
    def staffed_hours(self) -> OfficeHours | None:
        """Office hours, or None for a call centre staffed around the clock."""
        return None if self.settings.office_always_open else self.office_hours

    @cached_property
    def _catalogue(self) -> Catalogue:
        from bot.catalogue.store import database_catalogue

        return database_catalogue(self.sessions)

    @property
    def catalogue(self) -> Catalogue:
        """The service catalogue and its search index, rebuilt first when staff have
        changed it since (one indexed query)."""
        return self._catalogue.fresh()

    @cached_property
    def places(self) -> Any:
        """The province/district gazetteer matcher (for typed and LINE addresses)."""
        from nlu.entities.places import PlaceMatcher
        from nlu.geo import load_gazetteer

        return PlaceMatcher(load_gazetteer())

    def warm(self) -> None:
        """Loads the data now (start-up), not on a first request."""
        for part in ("router", "calendar", "office_hours", "catalogue"):
            getattr(self, part)

    # Reading and changing ------------------------------------------------------------------

    async def read(self, work: Callable[[Session], T]) -> T:
        """Runs `work(session)` off the event loop, in a session that commits nothing."""

        def call() -> T:
            with self.sessions() as session:
                return work(session)

        return await run_in_threadpool(call)

    async def transaction(self, work: Callable[[Session], T]) -> T:
        """Runs `work(session)` in one transaction off the event loop; after the commit,
        announces the notices and console updates the work registered."""
        from bot import live
        from bot.line import outbox

        def call() -> tuple[T, list[tuple[str, int]], list[Notice], list[Update]]:
            with self.sessions() as session, session.begin():
                result = work(session)
                return (
                    result,
                    queue.pending(session),
                    outbox.pending(session),
                    live.pending(session),
                )

        result, events, notices, updates = await run_in_threadpool(call)
        if events:
            try:
                await self.queue.publish(events)
            except RedisError as error:
                logger.warning("events not queued now (%s); the sweeper will", type(error).__name__)
        await self.announce(notices)
        for name, event in updates:
            await self.publish_console(name, event)
        return result

    async def announce(self, notices: list[Notice]) -> None:
        """Queues committed outbox rows for the worker (the sweeper covers a failure)."""
        from bot.line import outbox

        if notices:
            await outbox.announce(self.queue, notices)

    async def publish_console(self, queue: str, event: dict[str, Any]) -> None:
        """A live update for the consoles watching `queue` (lost updates are caught up)."""
        from bot import live

        await live.publish(self.redis, self.settings.redis_prefix, queue, event)

    async def aclose(self) -> None:
        """Closes Redis (if it was used) and the database pool."""
        if "redis" in self.__dict__:
            await self.redis.aclose()
        self.sessions.kw["bind"].dispose()


@dataclass
class Gateway:
    """What only the gateway process holds besides its context: the webhook's intake, the
    clients /healthz and /parse use, and the queue gauges of /metrics."""

    intake: EventIntake
    rasa: RasaClient
    http: httpx.AsyncClient
    queue_collector: QueueCollector
