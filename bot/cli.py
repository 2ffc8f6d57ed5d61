"""`desk`: the command line of the service desk."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import typer

from bot import devstack
from bot.catalogue.cli import line_app
from bot.config import ROOT, Settings
from bot.db import migrate
from bot.nlu.cli import app as nlu_app
from bot.staff.cli import app as staff_app

app = typer.Typer(help="Thai citizen service desk on LINE.", no_args_is_help=True)
db_app = typer.Typer(help="Database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(nlu_app, name="nlu")
app.add_typer(line_app, name="line")
app.add_typer(staff_app, name="staff")


def _local(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


def _announce_when_ready(settings: Settings, started: float) -> None:
    base = f"http://{settings.gateway_host}:{settings.gateway_port}"
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                took = time.monotonic() - started
                print(
                    f"\n  ✅ The desk is ready ({took:.0f} s).\n"
                    f"  LINE simulator: {base}/simulator\n"
                    f"  Health:         {base}/healthz\n"
                    "  Stop with Ctrl-C.\n",
                    flush=True,
                )
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


@app.command()
def run() -> None:
    """Runs the whole desk on this machine (what `make run` does)."""
    from honcho.manager import Manager

    started = time.monotonic()
    settings = Settings()
    with_redis = not settings.redis_url
    if with_redis:
        settings.redis_url = devstack.private_redis_url(settings.private_redis_port)
    multiproc = Path(settings.prometheus_multiproc_dir or ROOT / "var" / "prometheus")
    shutil.rmtree(multiproc, ignore_errors=True)
    multiproc.mkdir(parents=True)
    migrate(settings.database_url)
    extra = {"PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    env = devstack.base_env(settings, extra)
    manager = Manager()
    procs = devstack.processes(
        settings, with_redis=with_redis, with_standin=_local(settings.line_api_base)
    )
    for proc in procs:
        manager.add_process(proc.name, proc.command, env={**env, **proc.env}, cwd=str(ROOT))
    threading.Thread(target=_announce_when_ready, args=(settings, started), daemon=True).start()
    manager.loop()
    raise typer.Exit(manager.returncode or 0)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Brings the database to the newest schema."""
    migrate(Settings().database_url)
    typer.echo("database is up to date")


if __name__ == "__main__":
    app()
