"""Kubernetes probes of the pods that serve no HTTP of their own (and of Rasa's model).

    python /ops/probe.py worker ready    this worker beat within three heartbeats
    python /ops/probe.py worker alive    this worker beat within LIVE_WITHIN_BEATS, or Redis
                                         cannot be asked (restarting would not help then)
    python /ops/probe.py trainer         an RQ training worker is registered, or Redis cannot
                                         be asked
    python /ops/probe.py rasa            Rasa answers /status with a loaded model (the same
                                         request as /healthz's Rasa part, bot/worker/rasa.py)

Mounted from the desk-ops ConfigMap (deploy/base/kustomization.yaml). It imports only the
standard library, redis, rq, bot.config and bot.redis_client (which follows Redis
Sentinel), because a probe runs every few seconds inside the pod's memory limit:
`python -m bot.worker.check` imports the whole worker (4.4 s and 208 MB on the 2-core
development machine), this 0.5 s and 45 MB. The Rasa mode runs in
the Rasa image (Python 3.10, no `bot` package) on the standard library alone (0.2 s,
19 MB).
"""

from __future__ import annotations

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

# A worker beating this many heartbeats late is hung (its leases expired long before, so
# its partitions already went to other workers): restart it.
LIVE_WITHIN_BEATS = 15


def heartbeat_key(prefix: str) -> str:
    """bot.worker.runner.heartbeat_key, which imports too much for a probe (a test keeps
    the two equal)."""
    return f"{prefix}:workers"


def worker_beat_age(settings: Any, client: Any) -> float | None:
    """Seconds since this worker's (WORKER_ID's) last heartbeat; None if it has none."""
    beat = client.zscore(heartbeat_key(settings.redis_prefix), settings.worker_id)
    return None if beat is None else time.time() - float(beat)


def worker(mode: str) -> int:
    """0 when this worker is ready (mode "ready") or alive (mode "alive")."""
    import redis

    from bot import redis_client
    from bot.config import Settings

    settings = Settings()
    if not settings.worker_id:
        print("WORKER_ID is not set (the Deployment sets it to the pod's name)")
        return 1
    try:
        client = redis_client.connect(settings, asyncio=False, socket_timeout=2)
        try:
            age = worker_beat_age(settings, client)
        finally:
            client.close()
    except (redis.RedisError, ValueError) as error:
        print(f"redis: {type(error).__name__}")
        return 0 if mode == "alive" else 1
    beats = 3 if mode == "ready" else LIVE_WITHIN_BEATS
    if age is not None and age <= beats * settings.worker_heartbeat_s:
        return 0
    print(f"worker {settings.worker_id}: " + ("no heartbeat" if age is None else f"{age:.0f} s"))
    return 1


def trainer() -> int:
    """0 when an RQ training worker is registered, or Redis cannot be asked."""
    import redis
    from rq import Worker

    from bot import redis_client
    from bot.config import Settings

    try:
        client = redis_client.connect(Settings(), asyncio=False, socket_timeout=2)
        try:
            registered = Worker.all(connection=client)
        finally:
            client.close()
    except (redis.RedisError, ValueError) as error:
        print(f"redis: {type(error).__name__}")
        return 0
    return 0 if registered else 1


def rasa(base_url: str = "http://127.0.0.1:5005") -> int:
    """0 when Rasa answers /status with a model file (its token from RASA_TOKEN)."""
    token = os.environ.get("RASA_TOKEN", "")
    url = f"{base_url}/status?" + urllib.parse.urlencode({"token": token})
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            status = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"rasa: {error}")
        return 1
    return 0 if status.get("model_file") else 1


def main(argv: list[str]) -> int:
    """Dispatches on the probe's name."""
    probes = {
        ("worker", "ready"): lambda: worker("ready"),
        ("worker", "alive"): lambda: worker("alive"),
        ("trainer",): trainer,
        ("rasa",): rasa,
    }
    probe = probes.get(tuple(argv))
    if probe is None:
        print(f"usage: probe.py {{{' | '.join(' '.join(k) for k in probes)}}}")
        return 2
    return probe()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
