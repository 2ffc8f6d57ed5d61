"""`desk`: the command line of the service desk."""

from __future__ import annotations

import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Annotated
from urllib.parse import urlparse

import httpx
import typer

from bot import devstack
from bot.catalogue.cli import catalogue_app, line_app
from bot.cli.staff import app as staff_app
from bot.config import ROOT, Settings
from bot.db import migrate
from bot.teaching.cli import app as nlu_app

app = typer.Typer(help="Thai citizen service desk on LINE.", no_args_is_help=True)
db_app = typer.Typer(help="Database.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(nlu_app, name="nlu")
app.add_typer(line_app, name="line")
app.add_typer(catalogue_app, name="catalogue")
app.add_typer(staff_app, name="staff")


def _local(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"127.0.0.1", "localhost", "::1"}


DEV_STAFF = ROOT / "var" / "dev-staff.txt"


def _dev_staff_file(settings: Settings) -> Path:
    """Where the development accounts of this database are written: beside a SQLite file
    (so another database never shows accounts it does not have), else var/."""
    if settings.database_url.startswith("sqlite:///"):
        path = settings.database_url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            return Path(path).parent / DEV_STAFF.name
    return DEV_STAFF


def _seed_dev_staff(settings: Settings) -> str:
    """Development only: an agent and a supervisor of the hand-off queue and an admin,
    created with random passwords kept in var/dev-staff.txt (owner-only) when the database
    has no staff yet, so the consoles can be tried; the accounts, for the start banner."""
    if settings.desk_env != "development":
        return ""
    from bot.db import make_engine, make_sessionmaker, unit_of_work
    from bot.staff import auth
    from bot.staff.models import Staff

    saved = _dev_staff_file(settings)
    engine = make_engine(settings.database_url)
    lines = []
    try:
        with unit_of_work(make_sessionmaker(engine)) as session:
            if session.query(Staff).count():
                return saved.read_text() if saved.exists() else ""
            for username, role, name, agency in (
                ("agent", "agent", "มาลี (ทดลอง)", settings.handoff_queue),
                ("supervisor", "supervisor", "สมชาย (หัวหน้าเวร ทดลอง)", settings.handoff_queue),
                ("admin", "admin", "ผู้ดูแลระบบ (ทดลอง)", None),
            ):
                password = secrets.token_urlsafe(12)
                auth.create_staff(
                    session,
                    username=username,
                    password=password,
                    role=role,
                    agency_id=agency,
                    display_name=name,
                )
                lines.append(f"  {role:<10}  username: {username:<10}  password: {password}\n")
    finally:
        engine.dispose()
    saved.parent.mkdir(parents=True, exist_ok=True)
    saved.touch(mode=0o600)
    saved.write_text("".join(lines))
    return "".join(lines)


def _announce_when_ready(settings: Settings, started: float) -> None:
    # Beside the processes' start (hashing passwords takes a moment), not before it.
    try:
        accounts = _seed_dev_staff(settings)
    except Exception as error:  # noqa: BLE001 - the desk runs without them
        print(f"  (development accounts not created: {type(error).__name__})", flush=True)
        accounts = ""
    base = f"http://{settings.gateway_host}:{settings.gateway_port}"
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                took = time.monotonic() - started
                print(
                    f"\n  ✅ The desk is ready ({took:.0f} s).\n"
                    f"  LINE simulator: {base}/simulator\n"
                    f"  Agent console:  {base}/console\n"
                    f"  Teach the bot:  {base}/console/nlu (admins)\n"
                    f"  Health:         {base}/healthz\n"
                    + (
                        f"  Console accounts (development, {_dev_staff_file(settings)}):\n"
                        f"{accounts}"
                        if accounts
                        else ""
                    )
                    + "  Stop with Ctrl-C.\n",
                    flush=True,
                )
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)


@app.command()
def run(
    workers: Annotated[
        int, typer.Option(min=1, help="Workers (they share the queue's partitions).")
    ] = 1,
    rasa: Annotated[int, typer.Option(min=1, help="Rasa servers, on RASA_URL's port on.")] = 1,
    gateways: Annotated[int, typer.Option(min=1, help="Gateways, on GATEWAY_PORT on.")] = 1,
) -> None:
    """Runs the whole desk on this machine (what `make run` does)."""
    from bot.supervisor import Supervisor

    started = time.monotonic()
    settings = devstack.scaled(Settings(), rasa=rasa, gateways=gateways)
    with_redis = not settings.redis_url
    if with_redis:
        settings.redis_url = devstack.private_redis_url(settings.private_redis_port)
    multiproc = Path(settings.prometheus_multiproc_dir or ROOT / "var" / "prometheus")
    shutil.rmtree(multiproc, ignore_errors=True)
    multiproc.mkdir(parents=True)
    migrate(settings.database_url)
    extra = {"PROMETHEUS_MULTIPROC_DIR": str(multiproc)}
    env = devstack.base_env(settings, extra)
    manager = Supervisor()
    procs = devstack.processes(
        settings,
        with_redis=with_redis,
        with_standin=_local(settings.line_api_base),
        workers=workers,
        gateways=gateways,
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
