"""The action server's context: the same as the gateway's (bot.context), built once per
action-server process on first use (not at import), so importing the actions package
stays cheap and tests can build their own."""

from __future__ import annotations

import threading

from bot.config import get_settings
from bot.context import Context

_desk: Context | None = None
_lock = threading.Lock()


def shared_desk() -> Context:
    """The process's context, built on first use."""
    global _desk
    with _lock:
        if _desk is None:
            _desk = Context(get_settings())
        return _desk
