"""Logging set-up shared by the desk's processes.

Logs carry event ids, types and statuses only: never message text, names, phone or ID
numbers (PDPA). Library loggers that would log request bodies are kept at WARNING.
"""

from __future__ import annotations

import logging

QUIET = ("httpx", "httpcore", "linebot", "urllib3", "aiohttp.access")


def setup(level: str, process: str) -> None:
    """Configures the root logger once for this process."""
    logging.basicConfig(
        level=level.upper(),
        format=f"%(asctime)s {process} %(levelname)s %(name)s: %(message)s",
    )
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
