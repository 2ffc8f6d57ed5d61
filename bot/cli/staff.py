"""`desk staff ...`: manage staff accounts from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.config import get_settings
from bot.db import make_engine, make_sessionmaker, migrate, unit_of_work
from bot.staff import auth
from bot.staff.models import ROLES, Staff
from bot.tickets.routing import Router

app = typer.Typer(help="Staff accounts.", no_args_is_help=True)


def _sessions() -> sessionmaker[Session]:
    settings = get_settings()
    migrate(settings.database_url)
    return make_sessionmaker(make_engine(settings.database_url))


@app.command("add")
def add(
    username: str,
    role: Annotated[str, typer.Option(help=f"one of {', '.join(ROLES)}")] = "agent",
    agency: Annotated[str | None, typer.Option(help="agency id (data/agencies.yml)")] = None,
    name: Annotated[str | None, typer.Option(help="display name")] = None,
    capacity: Annotated[
        int, typer.Option(min=1, max=50, help="conversations an agent handles at once")
    ] = 5,
    catalogue: Annotated[
        bool, typer.Option(help="may edit and verify the catalogue entries of their agency")
    ] = False,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Creates an account (the password is asked for, never echoed)."""
    if agency is not None:
        try:
            Router.load().agency(agency)
        except KeyError:
            typer.echo(f"unknown agency {agency!r}", err=True)
            raise typer.Exit(2) from None
    try:
        with unit_of_work(_sessions()) as session:
            staff = auth.create_staff(
                session,
                username=username,
                password=password,
                role=role,
                agency_id=agency,
                display_name=name,
                catalogue_owner=catalogue,
            )
            staff.capacity = capacity
            auth.audit(session, None, "staff_created", staff.username, role=role, agency=agency)
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None
    except IntegrityError:
        typer.echo(f"username {username!r} is taken", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created {role} {username}" + (f" of {agency}" if agency else ""))


@app.command("list")
def list_staff() -> None:
    """Every account: username, role, agency, active."""
    with _sessions()() as session:
        for staff in session.scalars(select(Staff).order_by(Staff.username)):
            state = "active" if staff.active else "disabled"
            typer.echo(
                f"{staff.username}\t{staff.role}\t{staff.agency_id or '*'}\t"
                f"capacity {staff.capacity}\t{state}"
            )


@app.command("disable")
def disable(username: str) -> None:
    """Disables an account (its tokens stop working at once)."""
    with unit_of_work(_sessions()) as session:
        staff = session.scalars(select(Staff).where(Staff.username == username.lower())).first()
        if staff is None:
            typer.echo(f"no account {username!r}", err=True)
            raise typer.Exit(2)
        staff.active = False
        auth.audit(session, None, "staff_disabled", staff.username)
    typer.echo(f"disabled {username}")
