"""Signing in safely: a rate limit that holds under concurrency, and bounded hashing.

Every attempt takes its place in two Redis counters (the account's and the client
address's) *before* the password is checked, in one Lua call, so 30 concurrent guesses
get at most the allowed number of checks, on any Redis from 5.0 up (no `EXPIRE … NX`,
which Redis 6.2 — the one `make run` bundles — refuses). A success clears the account's
counter and gives back its place in the address's. The console's log-in form and the
API's token endpoint share both counters, so neither is a way around the other.

Argon2 takes 64 MiB per check: at most `HASH_SLOTS` run at once and at most
`HASH_QUEUE` more wait, so a flood of log-ins cannot exhaust the gateway's memory;
beyond that the caller is told to retry in a moment (503).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Callable
from typing import TypeVar

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.config import Settings
from bot.deps import context_of

logger = logging.getLogger(__name__)
T = TypeVar("T")

HASH_SLOTS = 2
HASH_QUEUE = 16

# KEYS: the counters; ARGV[1]: window in ms; ARGV[2..]: each counter's limit.
# Returns 1 when any counter is over its limit (the attempt is refused).
_TAKE = """
local over = 0
for i, key in ipairs(KEYS) do
  local n = redis.call('incr', key)
  if redis.call('pttl', key) < 0 then redis.call('pexpire', key, ARGV[1]) end
  if n > tonumber(ARGV[i + 1]) then over = 1 end
end
return over
"""
# A success: the account's counter goes, the address's place is given back.
_SUCCEEDED = """
redis.call('del', KEYS[1])
if tonumber(redis.call('get', KEYS[2]) or '0') > 0 then redis.call('decr', KEYS[2]) end
return 1
"""


class SignInRefused(Exception):
    """The attempt was not checked: too many failures ("blocked") or too busy ("busy")."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _HashGate:
    """At most `slots` password checks at once and `queue` waiting, per process."""

    def __init__(self, slots: int, queue: int) -> None:
        self.slots = slots
        self.queue = queue
        self.waiting = 0
        # One semaphore per event loop (a semaphore is bound to the loop it waits on).
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()

    async def run(self, check: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = self._semaphores[loop] = asyncio.Semaphore(self.slots)
        if self.waiting >= self.slots + self.queue:
            raise SignInRefused("busy")
        self.waiting += 1
        try:
            async with semaphore:
                return await run_in_threadpool(check)
        finally:
            self.waiting -= 1


GATE = _HashGate(HASH_SLOTS, HASH_QUEUE)


def _keys(prefix: str, username: str, address: str) -> list[str]:
    account = hashlib.sha256(username.strip().lower().encode()).hexdigest()[:32]
    return [f"{prefix}login:u:{account}", f"{prefix}login:a:{address}"]


async def attempt(
    *,
    redis: Redis,
    settings: Settings,
    username: str,
    address: str,
    check: Callable[[], T | None],
) -> T | None:
    """Runs `check` (the password check, in a thread) if the limits allow; its result.

    Raises SignInRefused when the account or the address is over its limit, or when
    too many checks are already waiting. Redis down: the check still runs (bounded by
    the gate), so staff are not locked out by an outage.
    """
    keys = _keys(settings.redis_prefix, username, address)
    window_ms = settings.login_window_minutes * 60 * 1000
    limits = (settings.login_max_failures, settings.login_max_failures_per_address)
    try:
        over = await redis.eval(_TAKE, len(keys), *keys, window_ms, *limits)
    except RedisError as error:
        logger.warning("sign-in: rate limit unavailable (%s)", type(error).__name__)
        over = 0
    if over:
        raise SignInRefused("blocked")
    result = await GATE.run(check)
    if result is not None:
        try:
            await redis.eval(_SUCCEEDED, len(keys), *keys)
        except RedisError:
            pass
    return result


async def attempt_request(
    request: Request, username: str, check: Callable[[], T | None]
) -> T | None:
    """`attempt` for a sign-in request to the gateway (its Redis, settings, address)."""
    return await attempt(
        redis=context_of(request).redis,
        settings=context_of(request).settings,
        username=username,
        # The proxy's address unless it forwards the client's (uvicorn --proxy-headers).
        address=request.client.host if request.client else "unknown",
        check=check,
    )
