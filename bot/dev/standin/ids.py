"""Identifiers shaped like the ones LINE issues."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def message_id() -> str:
    """A numeric message ID, 18 digits like LINE's."""
    return str(10**17 + secrets.randbelow(9 * 10**17))


def reply_token() -> str:
    """A reply token: 32 hexadecimal characters."""
    return secrets.token_hex(16)


def opaque_token() -> str:
    """A quote or mark-as-read token: an opaque URL-safe string."""
    return secrets.token_urlsafe(48)


def webhook_event_id() -> str:
    """A webhook event ID: a ULID (26 Crockford base-32 characters), as LINE uses."""
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def request_id() -> str:
    """A request ID for the x-line-request-id header."""
    return str(uuid.uuid4())


def rich_menu_id() -> str:
    """A rich menu ID."""
    return f"richmenu-{secrets.token_hex(16)}"


def bot_user_id(channel_secret: str) -> str:
    """The bot's own user ID (webhook `destination`), stable for a channel."""
    return "U" + hashlib.sha256(channel_secret.encode()).hexdigest()[:32]
