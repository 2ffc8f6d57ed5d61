"""A local stand-in for the LINE Messaging API, checked against LINE's OpenAPI file.

Point the official SDK at it (Configuration(host=...)); drive simulated users through
its `/__` endpoints. Run it with `python -m bot.dev.standin`.
"""

from bot.dev.standin.app import create_app

__all__ = ["create_app"]
