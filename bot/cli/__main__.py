"""`python -m bot.cli …`: the `desk` command."""

from bot.cli import app

app()
