"""The process table of `desk run` (bot.devstack), scaled: `--workers 3 --rasa 2 --gateways 2`."""

from __future__ import annotations

from bot import devstack
from bot.config import Settings


def test_a_scaled_table_has_each_process_once_on_its_own_port() -> None:
    settings = devstack.scaled(
        Settings(rasa_url="http://127.0.0.1:5005", gateway_port=8000, worker_id="w"),
        rasa=2,
        gateways=2,
    )
    assert settings.rasa_servers() == ["http://127.0.0.1:5005", "http://127.0.0.1:5006"]
    # The LINE stand-in spreads webhooks over both gateways.
    assert settings.standin_webhook_url.split(",") == [
        "http://127.0.0.1:8000/line/webhook",
        "http://127.0.0.1:8001/line/webhook",
    ]
    procs = {
        p.name: p
        for p in devstack.processes(
            settings, with_redis=False, with_standin=True, workers=3, gateways=2
        )
    }
    assert sorted(procs) == sorted(
        ["line", "rasa.1", "rasa.2", "actions", "trainer"]
        + ["worker.1", "worker.2", "worker.3", "gateway.1", "gateway.2"]
    )
    ports = [p.argv[p.argv.index("--port") + 1] for p in procs.values() if "--port" in p.argv]
    assert ports.count("5005") == ports.count("5006") == 1
    assert ports.count("8000") == ports.count("8001") == 1
    # Each worker has a name of its own (a restarted one takes its partitions back).
    assert [procs[f"worker.{n}"].env["WORKER_ID"] for n in (1, 2, 3)] == ["w.1", "w.2", "w.3"]
    # Every process of the Rasa environment finds the servers' shared stores in Redis.
    assert procs["rasa.1"].env == procs["rasa.2"].env


def test_one_of_each_is_the_table_make_run_always_had() -> None:
    names = [p.name for p in devstack.processes(Settings(), with_redis=True, with_standin=True)]
    assert names == ["redis", "line", "rasa", "actions", "worker", "trainer", "gateway"]
    assert devstack.scaled(Settings(), rasa=1, gateways=1) == Settings()


def test_rasa_urls_given_are_kept() -> None:
    given = "http://10.0.0.1:5005,http://10.0.0.2:5005"
    settings = devstack.scaled(Settings(rasa_urls=given), rasa=2)
    assert settings.rasa_servers() == given.split(",")
