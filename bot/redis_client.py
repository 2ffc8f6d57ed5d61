"""The one way the desk's processes reach Redis: one address, or Redis Sentinel.

With `REDIS_SENTINELS` empty, `REDIS_URL` is the Redis (a single server, or a managed
Redis whose address follows its primary). With Sentinels named, every client asks them
for the primary of `REDIS_SENTINEL_SERVICE` whenever it (re)connects, so after a
fail-over the queue, leases, console pub/sub, log-in counters and training jobs reach the
new primary without a restart; `REDIS_URL` then gives only the password, user, database
number and TLS (its host and port are not used). Rasa's stores do the same from
endpoints.yml (nlu/stores.py).
"""

from __future__ import annotations

from typing import Any, Literal, overload

import redis
import redis.asyncio
import redis.asyncio.sentinel
import redis.sentinel
from redis.connection import SSLConnection, parse_url

from bot.config import Settings

# How long one Sentinel may take to answer before the next is asked.
SENTINEL_TIMEOUT_S = 1.0


def sentinel_addresses(spec: str) -> list[tuple[str, int]]:
    """`host:port,host:port` as pairs (the port defaults to Sentinel's 26379)."""
    found: list[tuple[str, int]] = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
        found.append((host.strip("[]"), int(port)))
    return found


def _node_options(url: str) -> dict[str, Any]:
    """What REDIS_URL says of the data nodes besides where they are."""
    options = {k: v for k, v in parse_url(url or "redis://").items() if k not in {"host", "port"}}
    if options.pop("connection_class", None) is SSLConnection:
        options["ssl"] = True
    return options


class _AsyncFollower(redis.asyncio.Redis):
    """A client of the Sentinels' primary that also closes its Sentinel connections."""

    sentinel_clients: list[redis.asyncio.Redis] = []

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        """Closes the client, then its Sentinel connections."""
        await super().aclose(close_connection_pool)
        for client in self.sentinel_clients:
            await client.aclose()


class _Follower(redis.Redis):
    """The same, synchronous (RQ, probes)."""

    sentinel_clients: list[redis.Redis] = []

    def close(self) -> None:
        """Closes the client, then its Sentinel connections."""
        super().close()
        for client in self.sentinel_clients:
            client.close()


@overload
def connect(
    settings: Settings, *, asyncio: Literal[True] = ..., **options: Any
) -> redis.asyncio.Redis: ...


@overload
def connect(settings: Settings, *, asyncio: Literal[False], **options: Any) -> redis.Redis: ...


def connect(
    settings: Settings, *, asyncio: bool = True, **options: Any
) -> redis.asyncio.Redis | redis.Redis:
    """A client of the desk's Redis (`options`: socket timeouts, decode_responses, ...).

    It connects on first use; with Sentinels, each new connection goes to the primary
    they name at that moment.
    """
    sentinels = sentinel_addresses(settings.redis_sentinels)
    if not sentinels:
        if asyncio:
            return redis.asyncio.Redis.from_url(settings.redis_url, **options)
        return redis.Redis.from_url(settings.redis_url, **options)
    asking: dict[str, Any] = {
        "socket_timeout": SENTINEL_TIMEOUT_S,
        "socket_connect_timeout": SENTINEL_TIMEOUT_S,
    }
    if settings.redis_sentinel_password:
        asking["password"] = settings.redis_sentinel_password
    node = {**_node_options(settings.redis_url), **options}
    if asyncio:
        found = redis.asyncio.sentinel.Sentinel(sentinels, sentinel_kwargs=asking, **node)
        client = found.master_for(settings.redis_sentinel_service, redis_class=_AsyncFollower)
        client.sentinel_clients = list(found.sentinels)
        return client
    blocking = redis.sentinel.Sentinel(sentinels, sentinel_kwargs=asking, **node)
    following = blocking.master_for(settings.redis_sentinel_service, redis_class=_Follower)
    following.sentinel_clients = list(blocking.sentinels)
    return following
