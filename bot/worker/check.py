"""`python -m bot.worker.check`: exit 0 when this worker's heartbeat is fresh (container health)."""

from __future__ import annotations

import sys
import time

import redis

from bot import redis_client
from bot.config import get_settings
from bot.worker.runner import heartbeat_key


def main() -> int:
    """0 if any worker beat within three heartbeats, else 1."""
    settings = get_settings()
    client = redis_client.connect(settings, asyncio=False, socket_timeout=2)
    try:
        since = time.time() - 3 * settings.worker_heartbeat_s
        beats = client.zrangebyscore(heartbeat_key(settings.redis_prefix), since, "+inf")
    except redis.RedisError:
        return 1
    finally:
        client.close()
    return 0 if beats else 1


if __name__ == "__main__":
    sys.exit(main())
