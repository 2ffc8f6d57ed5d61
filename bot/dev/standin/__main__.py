"""Run the LINE stand-in: `python -m bot.dev.standin [--host HOST] [--port PORT]`."""

from __future__ import annotations

import argparse

import uvicorn

from bot.config import get_settings
from bot.dev.standin.app import create_app


def main(argv: list[str] | None = None) -> None:
    """Serve the stand-in with uvicorn on the configured (or given) host and port."""
    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="python -m bot.dev.standin", description="Local LINE Messaging API stand-in."
    )
    parser.add_argument("--host", default=settings.standin_host)
    parser.add_argument("--port", type=int, default=settings.standin_port)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
    )


if __name__ == "__main__":
    main()
