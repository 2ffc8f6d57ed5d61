"""Rasa's Redis stores through Redis Sentinel, when endpoints.yml names Sentinels.

Rasa 3.6's Redis tracker and lock stores connect to one address. With `sentinels`
(`host:port,host:port`, from RASA_REDIS_SENTINELS) and `sentinel_service`, the desk's
stores ask the Sentinels for the primary instead, on every new connection, so Rasa
follows a fail-over as the desk's own processes do (bot/redis_client.py). Empty
`sentinels`: Rasa's own behaviour, at `url` and `port`.
"""

from __future__ import annotations

from typing import Any

import redis
from rasa.core.lock_store import DEFAULT_SOCKET_TIMEOUT_IN_SECONDS, RedisLockStore
from rasa.utils.endpoints import EndpointConfig
from redis.sentinel import Sentinel

# The endpoints.yml keys these stores add to Rasa's.
SENTINEL_KEYS = ("sentinels", "sentinel_service", "sentinel_password")
SENTINEL_TIMEOUT_S = 1.0


def sentinel_addresses(spec: str | None) -> list[tuple[str, int]]:
    """`host:port,host:port` as pairs (the port defaults to Sentinel's 26379)."""
    found: list[tuple[str, int]] = []
    for item in (spec or "").split(","):
        item = item.strip()
        if item:
            host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
            found.append((host.strip("[]"), int(port)))
    return found


def take_sentinel_options(options: dict[str, Any]) -> dict[str, Any]:
    """Removes this module's keys from a store's options (Rasa's own classes refuse them)."""
    return {key: options.pop(key, None) for key in SENTINEL_KEYS}


def primary_client(
    sentinel: dict[str, Any], *, db: Any, username: str | None, password: str | None, **node: Any
) -> redis.Redis | None:
    """A client of the Sentinels' current primary, or None when no Sentinel is named."""
    addresses = sentinel_addresses(sentinel.get("sentinels"))
    if not addresses:
        return None
    asking: dict[str, Any] = {
        "socket_timeout": SENTINEL_TIMEOUT_S,
        "socket_connect_timeout": SENTINEL_TIMEOUT_S,
    }
    if sentinel.get("sentinel_password"):
        asking["password"] = sentinel["sentinel_password"]
    found = Sentinel(addresses, sentinel_kwargs=asking)
    return found.master_for(
        sentinel.get("sentinel_service") or "desk",
        db=int(db or 0),
        username=username or None,
        password=password or None,
        **node,
    )


class DeskRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store, through Sentinel when endpoints.yml names Sentinels."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        options = dict(endpoint_config.kwargs)
        sentinel = take_sentinel_options(options)
        super().__init__(host=endpoint_config.url or "localhost", **options)
        following = primary_client(
            sentinel,
            db=options.get("db", 1),
            username=options.get("username"),
            password=options.get("password"),
            ssl=bool(options.get("use_ssl", False)),
            socket_timeout=float(options.get("socket_timeout", DEFAULT_SOCKET_TIMEOUT_IN_SECONDS)),
        )
        if following is not None:
            self.red = following
