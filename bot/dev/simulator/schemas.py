"""What the simulator page may ask the LINE stand-in to deliver as a simulated user: the
stand-in's own request (bot.dev.standin.schemas), with nothing unknown in it."""

from __future__ import annotations

from pydantic import ConfigDict, model_validator

from bot.dev.standin.schemas import (
    MAX_IMAGE_BYTES,
    USER_ID_PATTERN,
    SendRequest,
)

__all__ = ["MAX_IMAGE_BYTES", "USER_ID_PATTERN", "SimulatedSend"]


class SimulatedSend(SendRequest):
    """One thing a simulated user does: follow, unfollow, send a message or tap a postback."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _postback_fields(self) -> SimulatedSend:
        if self.event != "postback" and (self.postbackData or self.postbackParams):
            raise ValueError("`postbackData` and `postbackParams` belong to event 'postback'")
        return self
