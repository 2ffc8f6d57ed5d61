"""Request dependencies of the stand-in: the app-wide state and settings."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from bot.config import Settings
from bot.dev.standin.state import StandinState


def get_state(request: Request) -> StandinState:
    """The stand-in's in-memory state."""
    state: StandinState = request.app.state.standin
    return state


def get_settings(request: Request) -> Settings:
    """The settings the stand-in was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object (the contract check has already vouched for it)."""
    body: dict[str, Any] = await request.json()
    return body


StateDep = Annotated[StandinState, Depends(get_state)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
JsonBody = Annotated[dict[str, Any], Depends(json_body)]
