"""Photos citizens send: checked, stripped of metadata (GPS included) and stored."""

from __future__ import annotations

import hashlib
import io
import uuid
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.service import ensure_citizen
from bot.db import unit_of_work
from bot.tickets.models import Media

FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}
# Decompression bombs: refuse images with more pixels than a 50-megapixel photo.
Image.MAX_IMAGE_PIXELS = 50_000_000


@dataclass(frozen=True)
class StoredPhoto:
    """The outcome of storing one photo: its media id, or why it was refused."""

    media_id: str | None
    refused: str | None = None  # too_large, not_image


def _clean(data: bytes) -> tuple[bytes, str, int, int]:
    """(bytes without metadata, content type, width, height); ValueError if not an image."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
            if image_format not in FORMATS:
                raise ValueError(f"unsupported image format {image_format!r}")
            image.load()
            width, height = image.size
            out = io.BytesIO()
            if image_format == "JPEG":
                image.save(out, format="JPEG", quality=90, optimize=True)
            elif image_format == "GIF":
                return data, FORMATS[image_format], width, height
            else:
                image.save(out, format=image_format)
            return out.getvalue(), FORMATS[image_format], width, height
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError) as error:
        raise ValueError(str(error)) from error


def store_photo(
    sessions: sessionmaker[Session],
    *,
    line_user_id: str,
    line_message_id: str,
    data: bytes,
    max_bytes: int,
) -> StoredPhoto:
    """Stores a downloaded photo once per LINE message; refuses oversized or non-images."""
    if len(data) > max_bytes:
        return StoredPhoto(None, "too_large")
    try:
        cleaned, content_type, width, height = _clean(data)
    except ValueError:
        return StoredPhoto(None, "not_image")
    with unit_of_work(sessions) as session:
        existing = session.scalars(
            select(Media.id).where(Media.line_message_id == line_message_id)
        ).first()
        if existing is not None:
            return StoredPhoto(existing)
        citizen = ensure_citizen(session, line_user_id)
        media = Media(
            id=uuid.uuid4().hex,
            line_message_id=line_message_id,
            citizen_id=citizen.id,
            content_type=content_type,
            size=len(cleaned),
            width=width,
            height=height,
            sha256=hashlib.sha256(cleaned).hexdigest(),
            data=cleaned,
        )
        session.add(media)
        return StoredPhoto(media.id)
