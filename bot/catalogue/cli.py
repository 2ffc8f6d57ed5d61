"""`desk line ...` (LINE channel set-up) and `desk catalogue export|import` (the catalogue
as YAML files), mounted by bot/cli.

The LINE SDK is imported inside the command: loading it costs about a second, which
every other `desk` command would otherwise pay.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from bot.config import Settings

line_app = typer.Typer(help="LINE channel set-up.", no_args_is_help=True)


@line_app.callback()
def line_group() -> None:
    """LINE channel set-up (a group even with one command: `desk line setup-rich-menu`)."""


async def _setup(settings: Settings) -> str:
    from bot.catalogue.richmenu import setup_rich_menu
    from bot.line.client import LineChannel

    channel = LineChannel(settings)
    try:
        return await setup_rich_menu(channel.api, channel.blob)
    finally:
        await channel.close()


@line_app.command("setup-rich-menu")
def setup_rich_menu_command() -> None:
    """Creates the desk's rich menu, uploads its image and makes it every user's default."""
    from linebot.v3.messaging.exceptions import ApiException

    settings = Settings()
    try:
        rich_menu_id = asyncio.run(_setup(settings))
    except ApiException as error:
        typer.echo(f"LINE refused the rich menu: {error.status} {error.reason}", err=True)
        raise typer.Exit(1) from error
    except OSError as error:
        typer.echo(f"cannot reach LINE at {settings.line_api_base}: {error}", err=True)
        raise typer.Exit(1) from error
    typer.echo(f"rich menu {rich_menu_id} is now the default")


catalogue_app = typer.Typer(
    help="The service catalogue: export to and import from the YAML files of data/.",
    no_args_is_help=True,
)


def _sessions() -> Any:
    from bot.db import make_engine, make_sessionmaker, migrate

    settings = Settings()
    migrate(settings.database_url)
    return make_sessionmaker(make_engine(settings.database_url))


@catalogue_app.command("export")
def export_command(
    folder: Annotated[Path, typer.Argument(help="where to write agencies.yml and catalogue/")],
) -> None:
    """Writes the live catalogue (as staff edited it) as YAML files, for version control."""
    from bot.catalogue import store
    from bot.catalogue.service import DATA_DIR, read_data
    from bot.db import unit_of_work

    with unit_of_work(_sessions()) as session:
        if store.revision(session) == 0:
            store.seed(session, read_data(data_dir=DATA_DIR))
        count = store.export_files(session, folder)
    typer.echo(f"exported {count} services to {folder}")


@catalogue_app.command("import")
def import_command(
    folder: Annotated[Path, typer.Argument(help="a folder with agencies.yml and catalogue/")],
) -> None:
    """Makes the live catalogue what the files say (a new version of each changed entry;
    entries the files no longer have are retired). Nothing changes if a file is wrong."""
    from bot.catalogue import store
    from bot.catalogue.service import CatalogueError
    from bot.db import unit_of_work

    try:
        with unit_of_work(_sessions()) as session:
            counts = store.import_files(session, None, folder)
    except CatalogueError as error:
        typer.echo(f"nothing imported: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
