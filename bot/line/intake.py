"""Durable intake of webhook events: concurrent requests share one transaction.

Every webhook request waits until its events are committed (and only then answers
200), but requests that arrive while a commit is in flight are stored together in the
next one: one INSERT, one commit, one Redis round trip for many events. Under light
load a batch is a single request, so nothing waits for company.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from bot import metrics
from bot.db import unit_of_work
from bot.line import service
from bot.queue import EventQueue

logger = logging.getLogger(__name__)


UNQUEUED_RETRY_S = 1.0
# Beyond this many, the oldest are left to the worker's sweeper.
MAX_UNQUEUED = 100_000


class UnstorableEvents(Exception):
    """This request's events could not be stored even on their own (bad data)."""


Pending = tuple[list[dict[str, Any]], "asyncio.Future[None]"]


class EventIntake:
    """Stores webhook events in batches, then enqueues the new ones."""

    def __init__(self, *, sessions: sessionmaker[Session], queue: EventQueue) -> None:
        self.sessions = sessions
        self.queue = queue
        self._pending: list[Pending] = []
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Stored events Redis refused to take: published again (before any newer event,
        # so each citizen's order holds) every second until Redis is back.
        self._unqueued: list[tuple[str, int]] = []

    def start(self) -> None:
        """Starts the batching task (in the app's lifespan)."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stores what is pending, then stops."""
        if self._task is None:
            return
        while self._pending:
            await asyncio.sleep(0.01)
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def submit(self, events: list[dict[str, Any]]) -> None:
        """Returns once the events are committed; raises if they could not be stored."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((events, future))
        self._wakeup.set()
        await future

    def _store(self, events: list[dict[str, Any]]) -> list[tuple[str, int]]:
        with unit_of_work(self.sessions) as session:
            return service.store_events(session=session, events=events)

    async def _store_each(self, batch: list[Pending]) -> list[tuple[str, int]]:
        """Stores each request of a failed batch in its own transaction."""
        stored: list[tuple[str, int]] = []
        for group, future in batch:
            try:
                stored += await asyncio.to_thread(self._store, group)
            except Exception as error:  # noqa: BLE001 - handed to its request
                logger.error("intake: a request's events failed alone: %s", type(error).__name__)
                if not future.done():
                    future.set_exception(_unstorable(error) if _bad_data(error) else error)
        return stored

    async def _run(self) -> None:
        while True:
            if self._unqueued:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), UNQUEUED_RETRY_S)
            else:
                await self._wakeup.wait()
            self._wakeup.clear()
            batch, self._pending = self._pending, []
            if not batch:
                if self._unqueued:
                    await self._enqueue([])
                continue
            try:
                await self._flush(batch)
            except Exception as error:  # noqa: BLE001 - the intake must outlive any bug
                logger.exception("intake: a batch failed unexpectedly")
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)

    async def _flush(self, batch: list[Pending]) -> None:
        """Stores one batch, enqueues what is new, and resolves every request's future."""
        events = [event for group, _ in batch for event in group]
        try:
            new = await asyncio.to_thread(self._store, events)
        except Exception as error:  # noqa: BLE001 - handed to the waiting requests
            logger.error("intake: storing %d events failed: %s", len(events), type(error).__name__)
            if not _bad_data(error) or len(batch) == 1:
                # The database failed (everybody's failure: LINE delivers again after
                # a 503), or this one request's data cannot be stored (a 400).
                failure = _unstorable(error) if _bad_data(error) else error
                for _, future in batch:
                    if not future.done():
                        future.set_exception(failure)
                return
            # One request's bad data must not fail the others: each on its own.
            new = await self._store_each(batch)
        metrics.EVENTS_DUPLICATE.inc(len(events) - len(new))
        await self._enqueue(new)
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    async def _enqueue(self, new: list[tuple[str, int]]) -> None:
        """Publishes what Redis refused before, then the new events, in that order."""
        items = self._unqueued + new
        try:
            await self.queue.publish(items)
        except RedisError as error:
            # Stored already: kept here and tried again every second (the worker's
            # sweeper enqueues them should this process die meanwhile).
            logger.error(
                "intake: enqueue failed for %d events: %s", len(items), type(error).__name__
            )
            metrics.ENQUEUE_FAILURES.inc()
            self._unqueued = items[-MAX_UNQUEUED:]
            return
        self._unqueued = []


_DATA_ERRORS = (ValueError, TypeError, RecursionError, UnicodeError)


def _bad_data(error: Exception) -> bool:
    """This data cannot be stored (retrying cannot help), rather than the database failed."""
    if isinstance(error, (DataError, *_DATA_ERRORS)):
        return True
    return isinstance(error, StatementError) and isinstance(error.orig, _DATA_ERRORS)


def _unstorable(error: Exception) -> UnstorableEvents:
    failure = UnstorableEvents(type(error).__name__)
    failure.__cause__ = error
    return failure
