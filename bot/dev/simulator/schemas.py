"""What the simulator page may ask the LINE stand-in to deliver as a simulated user.

Stricter than the stand-in's own request (bot.dev.standin.schemas), on purpose: the
stand-in takes whatever LINE could deliver (a test sends a photo too large for the desk
to see it refused), while the page may send only what LINE's app lets a user send."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.dev.standin.schemas import SendRequest

USER_ID_PATTERN = r"^U[0-9a-f]{32}$"
MAX_TEXT_CHARS = 5000
MAX_IMAGE_BYTES = 10 * 1024 * 1024
# Base64 needs 4 characters per 3 bytes: anything longer cannot decode to <= 10 MB.
_MAX_IMAGE_BASE64 = -(-MAX_IMAGE_BYTES // 3) * 4


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TextIn(_In):
    """A text message."""

    type: Literal["text"]
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class StickerIn(_In):
    """A sticker, named by LINE package and sticker ids."""

    type: Literal["sticker"]
    packageId: str = Field(pattern=r"^[0-9]{1,20}$")
    stickerId: str = Field(pattern=r"^[0-9]{1,20}$")


class LocationIn(_In):
    """A shared location; LINE caps title and address at 100 characters."""

    type: Literal["location"]
    title: str | None = Field(default=None, max_length=100)
    address: str | None = Field(default=None, max_length=100)
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class ImageIn(_In):
    """A photo, as base64 bytes of at most 10 MB."""

    type: Literal["image"]
    contentBase64: str = Field(min_length=1)
    contentType: Literal["image/jpeg", "image/png", "image/gif", "image/webp"] = "image/jpeg"

    @field_validator("contentBase64")
    @classmethod
    def _small_base64(cls, value: str) -> str:
        # Check the length before decoding so an oversized upload is never decoded.
        if len(value) > _MAX_IMAGE_BASE64:
            raise ValueError("image is larger than 10 MB")
        try:
            data = base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise ValueError("contentBase64 is not valid base64") from exc
        if len(data) > MAX_IMAGE_BYTES:
            raise ValueError("image is larger than 10 MB")
        return value


UserMessage = Annotated[TextIn | StickerIn | LocationIn | ImageIn, Field(discriminator="type")]


class SimulatedSend(SendRequest):
    """One thing a simulated user does: follow, unfollow, send a message or tap a postback
    (the stand-in's request, with only what LINE's app lets a user send)."""

    model_config = ConfigDict(extra="forbid")

    message: UserMessage | None = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _postback_fields(self) -> SimulatedSend:
        if self.event != "postback" and (self.postbackData or self.postbackParams):
            raise ValueError("`postbackData` and `postbackParams` belong to event 'postback'")
        return self
