"""Inputs of the stand-in's own control endpoints (the `/__` paths)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import BaseModel, Field, field_validator, model_validator

USER_ID_PATTERN = r"^U[0-9a-f]{32}$"


class TextIn(BaseModel):
    """A text message a simulated user sends."""

    type: Literal["text"]
    text: str = Field(min_length=1, max_length=5000)


class StickerIn(BaseModel):
    """A sticker a simulated user sends."""

    type: Literal["sticker"]
    packageId: str = Field(min_length=1)
    stickerId: str = Field(min_length=1)


class LocationIn(BaseModel):
    """A location a simulated user shares."""

    type: Literal["location"]
    title: str | None = None
    address: str | None = None
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class ImageIn(BaseModel):
    """An image a simulated user sends; its bytes are served by the content endpoint."""

    type: Literal["image"]
    contentBase64: str = Field(min_length=1)
    contentType: str = "image/jpeg"

    @field_validator("contentBase64")
    @classmethod
    def _is_base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("contentBase64 is not valid base64") from exc
        return value

    def content(self) -> bytes:
        """The image bytes."""
        return base64.b64decode(self.contentBase64)


UserMessage = Annotated[TextIn | StickerIn | LocationIn | ImageIn, Field(discriminator="type")]


class SendRequest(BaseModel):
    """Something a simulated user does, to be delivered to the bot as a webhook event."""

    userId: str = Field(pattern=USER_ID_PATTERN)
    displayName: str | None = Field(default=None, min_length=1, max_length=20)
    event: Literal["message", "follow", "unfollow", "postback"] = "message"
    message: UserMessage | None = None
    postbackData: str | None = Field(default=None, max_length=300)
    postbackParams: dict[str, str] | None = None

    @model_validator(mode="after")
    def _fits_event(self) -> SendRequest:
        if (self.event == "message") != (self.message is not None):
            raise ValueError("`message` is required for, and only for, event 'message'")
        if self.event == "postback" and self.postbackData is None:
            raise ValueError("`postbackData` is required for event 'postback'")
        return self


class RedeliverRequest(BaseModel):
    """A webhook event to send again, marked as a redelivery."""

    webhookEventId: str


class FaultRequest(BaseModel):
    """Make the next `count` calls to `path` answer `status`; or, with `hold_s`, carry
    them out (a reply is delivered) and hold the answer that long, as a LINE that
    accepted a send just before the caller crashed or timed out."""

    path: str = Field(pattern=r"^/")
    status: int = Field(default=500, ge=400, le=599)
    count: int = Field(default=1, ge=1)
    hold_s: float = Field(default=0.0, ge=0, le=300)
