"""Rasa's Redis (tracker and lock stores) failing is a failure the gateway hears (503),
never a silent `200 []`; once Redis is back, Rasa answers again."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from bot import devstack
from bot.config import ROOT
from tests.support.stack import LOGS, free_port, make_settings, start_redis, user_id, wait_for

pytestmark = pytest.mark.stack


def test_a_redis_failure_inside_rasa_is_a_503(
    pg_url: str, redis_prefix: str, tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(pg_url, redis_prefix, redis_url=f"redis://127.0.0.1:{port}/0")
    store = start_redis(port, tmp_path)
    [rasa_proc] = [
        p
        for p in devstack.processes(
            settings, with_redis=False, with_standin=False, model=ROOT / "models" / "desk.tar.gz"
        )
        if p.name == "rasa"
    ]
    env = devstack.base_env(settings, rasa_proc.env)
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / "rasa-stores.log").open("ab") as log:
        rasa = subprocess.Popen(rasa_proc.argv, env=env, cwd=ROOT, stdout=log, stderr=log)
    url = f"{settings.rasa_url}/webhooks/desk/webhook"
    auth = {"Authorization": f"Bearer {settings.rasa_token}"}

    def turn() -> httpx.Response:
        body = {"sender": user_id(), "message": "สวัสดีค่ะ", "metadata": {"event_id": 1}}
        return httpx.post(url, json=body, headers=auth, timeout=30)

    def ready() -> bool:
        try:
            return (
                httpx.get(
                    f"{settings.rasa_url}/status", params={"token": settings.rasa_token}, timeout=2
                ).status_code
                == 200
            )
        except httpx.HTTPError:
            return False

    try:
        wait_for(ready, 180, "rasa to load its model", every=0.5)
        answered = turn()
        assert answered.status_code == 200 and answered.json()
        store.kill()
        store.wait(10)
        failed = turn()
        assert failed.status_code == 503, failed.text
        assert failed.json()["error"] == "handling_failed"
        store = start_redis(port, tmp_path)
        again = turn()
        assert again.status_code == 200 and again.json()
    finally:
        rasa.terminate()
        try:
            rasa.wait(20)
        except subprocess.TimeoutExpired:
            rasa.kill()
        store.terminate()
        store.wait(10)
