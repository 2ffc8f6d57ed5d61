"""`make run`'s private Redis keeps the queue and Rasa's conversations across restarts."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any, cast

import pytest
import redis

from tests.support.stack import free_port, start_redis

pytestmark = pytest.mark.processes


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL])
def test_queue_entries_pending_and_conversations_survive_a_restart(
    tmp_path: Path, how: signal.Signals
) -> None:
    port = free_port()
    server = start_redis(port, tmp_path)
    client = redis.Redis(port=port)
    assert client.config_get("appendonly") == {"appendonly": "yes"}
    client.xgroup_create("desk:events:0", "workers", id="0", mkstream=True)
    first = client.xadd("desk:events:0", {"event": "1"})
    client.xadd("desk:events:0", {"event": "2"})
    # Entry 1 is being handled (delivered, not acknowledged) when Redis goes down.
    client.xreadgroup("workers", "p0", {"desk:events:0": ">"}, count=1)
    client.set("deskrasa:tracker:Uabc", "{...a form half filled...}")
    # Every answered write is on disk already (appendfsync always): a crash loses none.
    client.close()
    server.send_signal(how)
    server.wait(10)

    server = start_redis(port, tmp_path)
    client = redis.Redis(port=port)
    try:
        assert client.get("deskrasa:tracker:Uabc") == b"{...a form half filled...}"
        # The entry in flight comes back first to the partition's consumer, then the rest.
        pending = cast(list[Any], client.xreadgroup("workers", "p0", {"desk:events:0": "0"}))
        assert [entry_id for entry_id, _ in pending[0][1]] == [first]
        assert client.xlen("desk:events:0") == 2
    finally:
        client.close()
        server.terminate()
        server.wait(10)
