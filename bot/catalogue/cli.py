"""`desk line ...`: LINE channel set-up commands (mounted by bot/cli.py).

The LINE SDK is imported inside the command: loading it costs about a second, which
every other `desk` command would otherwise pay.
"""

from __future__ import annotations

import asyncio

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
